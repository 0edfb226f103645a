// Database-level administration over a maintenance connection: create and drop databases.
import pg from "pg";
import type { DbLogger } from "./logger";

/** Creates `database` on the server of `adminUrl` unless it exists. Safe when two processes race. */
export async function ensureDatabase(adminUrl: string, database: string, log: DbLogger): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount && found.rowCount > 0) return;

    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      log.info({ database }, "created database");
    } catch (error) {
      // 42P04 duplicate_database: another process created it between the check and here.
      if ((error as { code?: string }).code !== "42P04") throw error;
    }
  } finally {
    await client.end();
  }
}

/** Drops `database`, closing any sessions still connected to it. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
