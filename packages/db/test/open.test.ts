import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readMigrations } from "../src/migrations";
import { openDatabase } from "../src/open";
import { createEmptyDatabase, withClient } from "./helpers";

describe("openDatabase", () => {
  it("migrates a configured database", async () => {
    const empty = await createEmptyDatabase();
    const database = await openDatabase({ databaseUrl: empty.url });
    try {
      const host = await database.prisma.host.create({ data: { name: "node-1" } });

      expect(database.embedded).toBeUndefined();
      expect(await database.prisma.host.findUnique({ where: { id: host.id } })).toMatchObject({
        name: "node-1",
      });
      const applied = await withClient(empty.url, async (client) => {
        const { rowCount } = await client.query(`SELECT 1 FROM "_prisma_migrations"`);
        return rowCount;
      });
      expect(applied).toBe((await readMigrations()).length);
    } finally {
      await database.stop();
      await empty.drop();
    }
  });

  it("starts the embedded server without a URL", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "tunnelfleet-open-"));
    try {
      const database = await openDatabase({ dataDir });
      try {
        await database.prisma.user.create({ data: { username: "admin", passwordHash: "x", role: "admin" } });

        expect(database.embedded?.pgDir).toBe(join(dataDir, "pg"));
        expect(await database.prisma.user.count()).toBe(1);
      } finally {
        await database.stop();
      }

      const reopened = await openDatabase({ dataDir });
      try {
        expect(await reopened.prisma.user.count()).toBe(1);
      } finally {
        await reopened.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
