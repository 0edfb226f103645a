import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createMigration, SNAPSHOT_FILE } from "../src/migration-create";
import { applyMigrations } from "../src/migrations";
import { createEmptyDatabase, describeSchema } from "./helpers";

const SCHEMA = `
datasource db {
  provider = "postgresql"
}

model Widget {
  id   Int    @id @default(autoincrement())
  name String @unique
}
`;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function project(schema: string) {
  const dir = await mkdtemp(join(tmpdir(), "tunnelfleet-migration-create-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const schemaPath = join(dir, "schema.prisma");
  await writeFile(schemaPath, schema);
  return { schemaPath, migrationsDir: join(dir, "migrations") };
}

const databaseUrl = () => inject("tunnelfleetTestDatabase").adminUrl;

describe("createMigration", () => {
  it("writes the first migration and the snapshot", async () => {
    const paths = await project(SCHEMA);

    const created = await createMigration({
      name: "init",
      ...paths,
      databaseUrl: databaseUrl(),
      now: new Date("2026-01-02T03:04:05Z"),
    });

    expect(created?.name).toBe("20260102030405_init");
    expect(created?.sql).toMatch(/CREATE TABLE "Widget"/);
    expect(await readFile(join(paths.migrationsDir, "20260102030405_init", "migration.sql"), "utf8")).toBe(
      created?.sql,
    );
    expect(await readFile(join(paths.migrationsDir, SNAPSHOT_FILE), "utf8")).toBe(SCHEMA);
    expect(await readFile(join(paths.migrationsDir, "migration_lock.toml"), "utf8")).toMatch(
      /provider = "postgresql"/,
    );
  });

  it("writes nothing when the schema is unchanged", async () => {
    const paths = await project(SCHEMA);
    await createMigration({
      name: "init",
      ...paths,
      databaseUrl: databaseUrl(),
      now: new Date("2026-01-01T00:00:00Z"),
    });

    const created = await createMigration({ name: "again", ...paths, databaseUrl: databaseUrl() });

    expect(created).toBeUndefined();
    expect((await readdir(paths.migrationsDir)).filter((name) => name.includes("again"))).toEqual([]);
  });

  it("writes only the change since the snapshot", async () => {
    const paths = await project(SCHEMA);
    await createMigration({
      name: "init",
      ...paths,
      databaseUrl: databaseUrl(),
      now: new Date("2026-01-01T00:00:00Z"),
    });
    const changed = SCHEMA.replace("name String @unique", "name String @unique\n  color String?");
    await writeFile(paths.schemaPath, changed);

    const created = await createMigration({
      name: "add_color",
      ...paths,
      databaseUrl: databaseUrl(),
      now: new Date("2026-01-02T00:00:00Z"),
    });

    expect(created?.sql).toMatch(/ALTER TABLE "Widget" ADD COLUMN\s+"color" TEXT/);
    expect(created?.sql).not.toMatch(/CREATE TABLE/);
    expect(await readFile(join(paths.migrationsDir, SNAPSHOT_FILE), "utf8")).toBe(changed);

    const database = await createEmptyDatabase();
    cleanups.push(database.drop);
    const result = await applyMigrations(database.url, { migrationsDir: paths.migrationsDir });
    expect(result.applied).toEqual(["20260101000000_init", "20260102000000_add_color"]);
    expect(await describeSchema(database.url)).toContain("column Widget.color text nullable=YES default=");
  });

  it("rejects an invalid name", async () => {
    const paths = await project(SCHEMA);

    await expect(
      createMigration({ name: "Add Color", ...paths, databaseUrl: databaseUrl() }),
    ).rejects.toThrow(/invalid migration name "Add Color"/);
  });

  it("rejects migrations without a snapshot", async () => {
    const paths = await project(SCHEMA);
    await createMigration({
      name: "init",
      ...paths,
      databaseUrl: databaseUrl(),
      now: new Date("2026-01-01T00:00:00Z"),
    });
    await rm(join(paths.migrationsDir, SNAPSHOT_FILE));

    await expect(createMigration({ name: "next", ...paths, databaseUrl: databaseUrl() })).rejects.toThrow(
      /schema\.snapshot\.prisma is missing/,
    );
  });

  it("rejects a timestamp that sorts before the newest migration", async () => {
    const paths = await project(SCHEMA);
    await createMigration({
      name: "init",
      ...paths,
      databaseUrl: databaseUrl(),
      now: new Date("2026-06-01T00:00:00Z"),
    });
    await writeFile(paths.schemaPath, SCHEMA.replace("name String @unique", "name String"));

    await expect(
      createMigration({
        name: "later",
        ...paths,
        databaseUrl: databaseUrl(),
        now: new Date("2026-01-01T00:00:00Z"),
      }),
    ).rejects.toThrow(/would not sort after 20260601000000_init/);
  });
});
