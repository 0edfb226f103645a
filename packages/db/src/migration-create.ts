// Creates a new migration folder from the change between the schema snapshot of the last
// migration and prisma/schema.prisma. Development tooling: it needs the devDependency
// @prisma/schema-engine-wasm, so the server never imports it.
import { copyFile, mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { diffSchemas } from "./schema-diff";

/** Copy of the schema the newest migration was created from, kept beside the migrations. */
export const SNAPSHOT_FILE = "schema.snapshot.prisma";

const NAME_PATTERN = /^[a-z0-9][a-z0-9_]{0,79}$/;

export interface CreateMigrationOptions {
  /** Short snake_case description, e.g. `add_host_labels`. */
  name: string;
  schemaPath: string;
  migrationsDir: string;
  /** Reachable PostgreSQL that the schema engine connects to (it reads nothing from it). */
  databaseUrl: string;
  /** Clock for the folder's timestamp. Default: now. */
  now?: Date;
}

export interface CreatedMigration {
  /** Folder name, `<UTC yyyyMMddHHmmss>_<name>`. */
  name: string;
  path: string;
  sql: string;
}

/**
 * Writes `<migrationsDir>/<timestamp>_<name>/migration.sql` with the SQL that takes the
 * snapshot schema to the current one, then updates the snapshot. Returns undefined, and
 * writes nothing, when the schema has not changed.
 */
export async function createMigration(
  options: CreateMigrationOptions,
): Promise<CreatedMigration | undefined> {
  if (!NAME_PATTERN.test(options.name)) {
    throw new Error(
      `invalid migration name ${JSON.stringify(options.name)}: use lower-case letters, digits and underscores, e.g. add_host_labels`,
    );
  }

  const existing = await listMigrationFolders(options.migrationsDir);
  const snapshotPath = join(options.migrationsDir, SNAPSHOT_FILE);
  const snapshot = await readOptional(snapshotPath);
  if (snapshot === undefined && existing.length > 0) {
    throw new Error(
      `${snapshotPath} is missing but ${options.migrationsDir} has migrations: restore it from git ` +
        "(it must equal the schema the newest migration was created from)",
    );
  }

  const schema = await readFile(options.schemaPath, "utf8");
  const sql = await diffSchemas({ from: snapshot ?? null, to: schema, databaseUrl: options.databaseUrl });
  if (sql === "") return undefined;

  const name = `${timestamp(options.now ?? new Date())}_${options.name}`;
  const newest = existing.at(-1);
  if (newest !== undefined && name <= newest) {
    throw new Error(`new migration ${name} would not sort after ${newest}: check the system clock`);
  }

  const path = join(options.migrationsDir, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, "migration.sql"), sql);
  await writeLockFile(options.migrationsDir);

  const temporary = `${snapshotPath}.tmp`;
  await copyFile(options.schemaPath, temporary);
  await rename(temporary, snapshotPath);

  return { name, path, sql };
}

async function listMigrationFolders(migrationsDir: string): Promise<string[]> {
  await mkdir(migrationsDir, { recursive: true });
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Prisma's tools expect this file to name the provider the migrations are written for. */
async function writeLockFile(migrationsDir: string): Promise<void> {
  const path = join(migrationsDir, "migration_lock.toml");
  if ((await readOptional(path)) !== undefined) return;
  await writeFile(
    path,
    '# Written by `npm run db:migration:create`; Prisma reads the provider of these migrations here.\nprovider = "postgresql"\n',
  );
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}
