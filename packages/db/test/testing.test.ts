import { describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "../src/testing";
import { withClient } from "./helpers";

async function databaseExists(name: string): Promise<boolean> {
  const { adminUrl } = inject("tunnelfleetTestDatabase");
  return withClient(adminUrl, async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return rowCount === 1;
  });
}

describe("createTestDatabase", () => {
  it("returns migrated databases isolated from each other", async () => {
    const first = await createTestDatabase();
    const second = await createTestDatabase();
    try {
      await first.prisma.user.create({ data: { username: "alice", passwordHash: "x", role: "admin" } });

      expect(first.name).not.toBe(second.name);
      expect(await first.prisma.user.count()).toBe(1);
      expect(await second.prisma.user.count()).toBe(0);
    } finally {
      await first.drop();
      await second.drop();
    }
  });

  it("drops the database", async () => {
    const database = await createTestDatabase();
    await database.prisma.host.count();
    expect(await databaseExists(database.name)).toBe(true);

    await database.drop();

    expect(await databaseExists(database.name)).toBe(false);
  });

  it("creates databases in parallel", async () => {
    const databases = await Promise.all([1, 2, 3, 4, 5].map(() => createTestDatabase()));
    try {
      const counts = await Promise.all(databases.map((database) => database.prisma.cluster.count()));
      expect(counts).toEqual([0, 0, 0, 0, 0]);
    } finally {
      await Promise.all(databases.map((database) => database.drop()));
    }
  });
});
