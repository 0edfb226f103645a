// Test helpers for workspaces whose tests need a real PostgreSQL. Requires the global
// setup `@tunnelfleet/db/testing/global-setup` in the workspace's vitest.config.ts.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { dropDatabase } from "../admin";
import { createPrismaClient } from "../client";
import type { PrismaClient } from "../generated/prisma/client";
import { withDatabase } from "./context";

export type { TestDatabaseServer } from "./context";

/** SQLSTATE object_in_use: the template briefly had another session (e.g. a concurrent copy's check). */
const OBJECT_IN_USE = "55006";
const CREATE_ATTEMPTS = 5;

export interface TestDatabase {
  /** Name of the database, unique within the test server. */
  name: string;
  url: string;
  prisma: PrismaClient;
  /** Disconnects `prisma` and drops the database, closing other sessions still on it. */
  drop(): Promise<void>;
}

/** Creates an empty, fully migrated database of its own, copied from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const server = inject("tunnelfleetTestDatabase");
  if (!server) {
    throw new Error(
      'no test database server: add globalSetup: ["@tunnelfleet/db/testing/global-setup"] to this workspace\'s vitest.config.ts',
    );
  }

  const name = `${server.databasePrefix}${randomBytes(6).toString("hex")}`;
  await copyTemplate(server.adminUrl, server.template, name);

  const url = withDatabase(server.adminUrl, name);
  const prisma = createPrismaClient(url, { maxConnections: 5 });
  let dropped = false;
  return {
    name,
    url,
    prisma,
    async drop() {
      if (dropped) return;
      dropped = true;
      await prisma.$disconnect();
      await dropDatabase(server.adminUrl, name);
    },
  };
}

async function copyTemplate(adminUrl: string, template: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(
          `CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`,
        );
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== OBJECT_IN_USE || attempt >= CREATE_ATTEMPTS) throw error;
        await new Promise((resolveDelay) => setTimeout(resolveDelay, 100 * attempt));
      }
    }
  } finally {
    await client.end();
  }
}
