// Test server details that the global setup passes to test files through vitest's provide/inject.

export interface TestDatabaseServer {
  /** URL of a maintenance database on the test server, used for CREATE/DROP DATABASE. */
  adminUrl: string;
  /** Migrated database that createTestDatabase copies. */
  template: string;
  /** Prefix of every database this test run creates, so teardown can find leftovers. */
  databasePrefix: string;
}

export const PROVIDE_KEY = "tunnelfleetTestDatabase";

declare module "vitest" {
  export interface ProvidedContext {
    tunnelfleetTestDatabase: TestDatabaseServer;
  }
}

/** Returns `url` pointing at `database` on the same server, with the same credentials. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
