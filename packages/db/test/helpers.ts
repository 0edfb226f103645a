// Shared helpers for this package's tests: empty databases on the run's test server and
// read-outs of the catalog to compare database shapes.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { dropDatabase, ensureDatabase } from "../src/admin";
import { silentLogger } from "../src/logger";
import { withDatabase } from "../src/testing/context";

export interface EmptyDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a database with no tables (not copied from the migrated template). */
export async function createEmptyDatabase(): Promise<EmptyDatabase> {
  const server = inject("tunnelfleetTestDatabase");
  const name = `${server.databasePrefix}empty_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(server.adminUrl, name, silentLogger);
  return { url: withDatabase(server.adminUrl, name), drop: () => dropDatabase(server.adminUrl, name) };
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Returns the public schema's tables, columns, constraints, indexes and enums as sorted
 * text lines, leaving out Prisma's migration history table.
 */
export async function describeSchema(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const queries = [
      `SELECT 'column ' || table_name || '.' || column_name || ' ' || udt_name || ' nullable=' || is_nullable
              || ' default=' || coalesce(column_default, '')
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
      `SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
         FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'`,
      `SELECT 'index ' || indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
      `SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname`,
    ];
    const lines: string[] = [];
    for (const query of queries) {
      const result = await client.query<{ "?column?": string }>(query);
      for (const row of result.rows) lines.push(Object.values(row)[0] as string);
    }
    return lines.sort();
  });
}
