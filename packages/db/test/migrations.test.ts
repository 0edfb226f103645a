import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Prisma } from "../src/generated/prisma/client";
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from "../src/migrations";
import { createEmptyDatabase, describeSchema, type EmptyDatabase, withClient } from "./helpers";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function emptyDatabase(): Promise<EmptyDatabase> {
  const database = await createEmptyDatabase();
  cleanups.push(database.drop);
  return database;
}

async function scratchMigrations(migrations: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tunnelfleet-migrations-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  for (const [name, sql] of Object.entries(migrations)) {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, "migration.sql"), sql);
  }
  return dir;
}

async function historyRows(url: string) {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
    }>(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name`);
    return rows;
  });
}

describe("applyMigrations", () => {
  it("applies every migration to an empty database", async () => {
    const database = await emptyDatabase();
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);

    const result = await applyMigrations(database.url);

    expect(result.applied).toEqual(migrations.map((migration) => migration.name));
    expect(result.skipped).toEqual([]);
    const rows = await historyRows(database.url);
    expect(rows.map((row) => row.migration_name)).toEqual(migrations.map((migration) => migration.name));
    expect(rows.map((row) => row.checksum)).toEqual(migrations.map((migration) => migration.checksum));
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
  });

  it("creates a table for every model", async () => {
    const database = await emptyDatabase();
    await applyMigrations(database.url);

    const tables = await withClient(database.url, async (client) => {
      const { rows } = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      return rows.map((row) => row.table_name);
    });
    for (const model of Object.values(Prisma.ModelName)) {
      expect(tables).toContain(model);
    }
  });

  it("applies nothing on a second run", async () => {
    const database = await emptyDatabase();
    const first = await applyMigrations(database.url);

    const second = await applyMigrations(database.url);

    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);
    expect(await historyRows(database.url)).toHaveLength(first.applied.length);
  });

  it("applies only migrations added since the last run", async () => {
    const database = await emptyDatabase();
    const dir = await scratchMigrations({ "20260101000000_first": 'CREATE TABLE "A" (id int);' });
    await applyMigrations(database.url, { migrationsDir: dir });
    await mkdir(join(dir, "20260102000000_second"));
    await writeFile(join(dir, "20260102000000_second", "migration.sql"), 'CREATE TABLE "B" (id int);');

    const result = await applyMigrations(database.url, { migrationsDir: dir });

    expect(result.applied).toEqual(["20260102000000_second"]);
    expect(result.skipped).toEqual(["20260101000000_first"]);
  });

  it("rejects an applied migration whose file changed", async () => {
    const database = await emptyDatabase();
    const dir = await mkdtemp(join(tmpdir(), "tunnelfleet-migrations-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const [first] = await readMigrations(dir);
    await applyMigrations(database.url, { migrationsDir: dir });
    const file = join(dir, first!.name, "migration.sql");
    await writeFile(file, `${await readFile(file, "utf8")}\n-- edited\n`);

    await expect(applyMigrations(database.url, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`migration ${first!.name} was changed after it was applied`),
    );
  });

  it("rejects a database with a migration the folder lacks", async () => {
    const database = await emptyDatabase();
    const dir = await scratchMigrations({
      "20260101000000_first": 'CREATE TABLE "A" (id int);',
      "20260102000000_second": 'CREATE TABLE "B" (id int);',
    });
    await applyMigrations(database.url, { migrationsDir: dir });
    await rm(join(dir, "20260102000000_second"), { recursive: true });

    await expect(applyMigrations(database.url, { migrationsDir: dir })).rejects.toThrow(
      /has migration 20260102000000_second applied, but .* does not contain it/,
    );
  });

  it("rolls back a failing migration completely", async () => {
    const database = await emptyDatabase();
    const dir = await scratchMigrations({
      "20260101000000_first": 'CREATE TABLE "A" (id int);',
      "20260102000000_broken": 'CREATE TABLE "B" (id int);\nSELECT no_such_function();',
    });

    await expect(applyMigrations(database.url, { migrationsDir: dir })).rejects.toThrow(
      /migration 20260102000000_broken failed and was rolled back: .*no_such_function/,
    );

    const rows = await historyRows(database.url);
    expect(rows.map((row) => row.migration_name)).toEqual(["20260101000000_first"]);
    const tables = await withClient(database.url, async (client) => {
      const { rows: found } = await client.query<{ name: string | null }>(
        `SELECT to_regclass('"B"')::text AS name`,
      );
      return found;
    });
    expect(tables[0]?.name).toBeNull();
  });

  it("applies each migration once when runs overlap", async () => {
    const database = await emptyDatabase();
    const migrations = await readMigrations();

    const results = await Promise.all([1, 2, 3, 4].map(() => applyMigrations(database.url)));

    const appliedNames = results.flatMap((result) => result.applied).sort();
    expect(appliedNames).toEqual(migrations.map((migration) => migration.name).sort());
    expect(await historyRows(database.url)).toHaveLength(migrations.length);
  });
});

describe("migrations folder", () => {
  it("builds the same database as the schema", async () => {
    const { diffSchemas } = await import("../src/schema-diff");
    const migrated = await emptyDatabase();
    const direct = await emptyDatabase();
    await applyMigrations(migrated.url);
    const schema = await readFile(join(MIGRATIONS_DIR, "..", "schema.prisma"), "utf8");
    const sql = await diffSchemas({ from: null, to: schema, databaseUrl: direct.url });
    await withClient(direct.url, (client) => client.query(sql));

    const expected = await describeSchema(direct.url);
    const actual = await describeSchema(migrated.url);

    expect(expected.length).toBeGreaterThan(0);
    expect(actual).toEqual(expected);
  });

  it("has a snapshot matching the schema", async () => {
    const { diffSchemas } = await import("../src/schema-diff");
    const database = await emptyDatabase();
    const schema = await readFile(join(MIGRATIONS_DIR, "..", "schema.prisma"), "utf8");
    const snapshot = await readFile(join(MIGRATIONS_DIR, "schema.snapshot.prisma"), "utf8");

    // A non-empty diff means the schema changed without `npm run db:migration:create -- <name>`.
    expect(await diffSchemas({ from: snapshot, to: schema, databaseUrl: database.url })).toBe("");
  });
});
