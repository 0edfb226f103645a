// Applies the SQL migrations under prisma/migrations to a PostgreSQL database and records
// them in Prisma's `_prisma_migrations` table, so `prisma migrate status` reads the same
// history. Runs at every server start, and concurrent starts serialise on an advisory lock.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { type DbLogger, silentLogger } from "./logger";

/** prisma/migrations of this repository. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../prisma/migrations", import.meta.url));

/**
 * Key of the session-level advisory lock held while migrating. It is the key Prisma's
 * schema engine locks in `migrate deploy`, so this runner and Prisma's never migrate at once.
 */
export const MIGRATION_LOCK_KEY = 72707369;

export interface Migration {
  /** Folder name, e.g. `20261204120000_init`. Migrations apply in ascending name order. */
  name: string;
  sql: string;
  /** Hex SHA-256 of migration.sql, the checksum Prisma records. */
  checksum: string;
}

export interface ApplyMigrationsOptions {
  log?: DbLogger;
  /** Folder with one sub-folder containing a migration.sql per migration. Default: MIGRATIONS_DIR. */
  migrationsDir?: string;
}

export interface ApplyMigrationsResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
  /** Names of the migrations that were already applied. */
  skipped: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

/** Reads every `<dir>/<name>/migration.sql`, sorted by name. */
export async function readMigrations(migrationsDir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  const migrations: Migration[] = [];
  for (const name of names) {
    const bytes = await readFile(join(migrationsDir, name, "migration.sql"));
    migrations.push({
      name,
      sql: bytes.toString("utf8"),
      checksum: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  return migrations;
}

/**
 * Applies every migration not yet recorded in `_prisma_migrations`, in name order, each in
 * its own transaction together with its history row. Rejects before applying anything
 * when a recorded migration was edited (checksum differs), is missing from the folder, or
 * failed earlier. Holds MIGRATION_LOCK_KEY throughout, so concurrent callers apply each
 * migration once.
 */
export async function applyMigrations(
  databaseUrl: string,
  options: ApplyMigrationsOptions = {},
): Promise<ApplyMigrationsResult> {
  const log = options.log ?? silentLogger;
  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  const migrations = await readMigrations(migrationsDir);

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await createHistoryTable(client);
      const applied = await readHistory(client);
      checkHistory(migrations, applied, migrationsDir);

      const result: ApplyMigrationsResult = { applied: [], skipped: [] };
      for (const migration of migrations) {
        if (applied.has(migration.name)) {
          result.skipped.push(migration.name);
          continue;
        }
        await applyOne(client, migration, log);
        result.applied.push(migration.name);
      }

      log.info(
        { applied: result.applied.length, alreadyApplied: result.skipped.length },
        result.applied.length > 0 ? "database migrations applied" : "database schema is up to date",
      );
      return result;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function createHistoryTable(client: pg.Client): Promise<void> {
  // The column set of Prisma's migration history table.
  await client.query(`
    CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum"            VARCHAR(64) NOT NULL,
      "finished_at"         TIMESTAMPTZ,
      "migration_name"      VARCHAR(255) NOT NULL,
      "logs"                TEXT,
      "rolled_back_at"      TIMESTAMPTZ,
      "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
}

async function readHistory(client: pg.Client): Promise<Map<string, AppliedRow>> {
  const { rows } = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"
     WHERE rolled_back_at IS NULL ORDER BY started_at`,
  );
  return new Map(rows.map((row) => [row.migration_name, row]));
}

function checkHistory(
  migrations: Migration[],
  applied: Map<string, AppliedRow>,
  migrationsDir: string,
): void {
  const byName = new Map(migrations.map((migration) => [migration.name, migration]));

  for (const row of applied.values()) {
    const migration = byName.get(row.migration_name);
    if (!migration) {
      throw new Error(
        `the database has migration ${row.migration_name} applied, but ${migrationsDir} does not contain it: ` +
          "this database was migrated by a newer Tunnelfleet release; run that release (or newer) against it",
      );
    }
    if (row.finished_at === null) {
      throw new Error(
        `migration ${row.migration_name} started earlier but never finished: ` +
          "repair the database by hand, then mark the row in _prisma_migrations as rolled back or finished",
      );
    }
    if (row.checksum !== migration.checksum) {
      throw new Error(
        `migration ${row.migration_name} was changed after it was applied ` +
          `(recorded checksum ${row.checksum}, file checksum ${migration.checksum}): ` +
          `restore ${join(migrationsDir, row.migration_name, "migration.sql")} and put the change in a new migration`,
      );
    }
  }
}

// NOTE: each migration runs inside one transaction, so a statement PostgreSQL forbids in a
// transaction block (CREATE INDEX CONCURRENTLY, VACUUM) fails here. Prisma's generated SQL
// has none of them; hand-written migrations must avoid them.
async function applyOne(client: pg.Client, migration: Migration, log: DbLogger): Promise<void> {
  log.info({ migration: migration.name }, "applying database migration");
  await client.query("BEGIN");
  try {
    const id = randomUUID();
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ migration: migration.name, err: reason }, "database migration failed and was rolled back");
    throw new Error(`migration ${migration.name} failed and was rolled back: ${reason}`);
  }
}
