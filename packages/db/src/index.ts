// Public API of @tunnelfleet/db: the Prisma client and model types, the embedded
// PostgreSQL server, the migration runner and the LISTEN/NOTIFY helpers.

export { dropDatabase, ensureDatabase } from "./admin";
export { createPrismaClient, type PrismaClientOptions, redactUrl } from "./client";
export {
  defaultDataDir,
  EMBEDDED_DATABASE,
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from "./embedded";
export * from "./generated/prisma/client";
export { type DbLogger, silentLogger } from "./logger";
export {
  type ApplyMigrationsOptions,
  type ApplyMigrationsResult,
  applyMigrations,
  MIGRATION_LOCK_KEY,
  MIGRATIONS_DIR,
  type Migration,
  readMigrations,
} from "./migrations";
export {
  CHANGES_CHANNEL,
  type Listener,
  type ListenOptions,
  listen,
  MAX_PAYLOAD_BYTES,
  notify,
  type PrismaExecutor,
  type SqlQueryable,
} from "./notify";
export { type Database, type OpenDatabaseOptions, openDatabase } from "./open";
