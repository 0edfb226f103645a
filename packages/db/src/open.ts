// Opens the control plane's database: the configured PostgreSQL or the embedded one,
// migrated to the current schema before any query runs.
import { createPrismaClient, redactUrl } from "./client";
import { defaultDataDir, type EmbeddedPostgresServer, startEmbeddedPostgres } from "./embedded";
import type { PrismaClient } from "./generated/prisma/client";
import { type DbLogger, silentLogger } from "./logger";
import { applyMigrations } from "./migrations";

export interface OpenDatabaseOptions {
  /** PostgreSQL to use. When absent, an embedded server is started in `dataDir`. */
  databaseUrl?: string;
  /** Data directory of the embedded server. Default: TUNNELFLEET_DATA_DIR or ./.tunnelfleet. */
  dataDir?: string;
  log?: DbLogger;
  /** Folder of migrations to apply. Default: the repository's prisma/migrations. */
  migrationsDir?: string;
  /** Maximum connections in the Prisma client's pool (node-postgres default: 10). */
  maxConnections?: number;
}

export interface Database {
  prisma: PrismaClient;
  /** Connection URL for LISTEN connections and tools. It contains the password. */
  url: string;
  /** The embedded server, when one was started. */
  embedded: EmbeddedPostgresServer | undefined;
  /** Disconnects Prisma and stops the embedded server, if any. */
  stop(): Promise<void>;
}

/** Connects to `databaseUrl` (or starts the embedded server), applies pending migrations, and returns a client. */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const log = options.log ?? silentLogger;

  let embedded: EmbeddedPostgresServer | undefined;
  let url: string;
  if (options.databaseUrl) {
    url = options.databaseUrl;
    log.info({ database: redactUrl(url) }, "using the configured PostgreSQL");
  } else {
    embedded = await startEmbeddedPostgres({ dataDir: options.dataDir ?? defaultDataDir(), log });
    url = embedded.url;
  }

  let prisma: PrismaClient | undefined;
  try {
    await applyMigrations(url, {
      log,
      ...(options.migrationsDir ? { migrationsDir: options.migrationsDir } : {}),
    });
    prisma = createPrismaClient(url, { maxConnections: options.maxConnections });
    await prisma.$connect();
  } catch (error) {
    await prisma?.$disconnect().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }

  const client = prisma;
  return {
    prisma: client,
    url,
    embedded,
    async stop() {
      await client.$disconnect();
      await embedded?.stop();
    },
  };
}
