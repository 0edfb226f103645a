// Usage: npm run db:migrate
// Applies pending migrations to DATABASE_URL, or to the embedded PostgreSQL in the data
// directory (TUNNELFLEET_DATA_DIR, default ./.tunnelfleet) when DATABASE_URL is unset.
import { applyMigrations, redactUrl, startEmbeddedPostgres } from "@tunnelfleet/db";

const log = {
  debug() {},
  info: (fields: Record<string, unknown>, message: string) => console.log(message, JSON.stringify(fields)),
  warn: (fields: Record<string, unknown>, message: string) => console.warn(message, JSON.stringify(fields)),
  error: (fields: Record<string, unknown>, message: string) => console.error(message, JSON.stringify(fields)),
};

const configured = process.env.DATABASE_URL;
const server = configured ? undefined : await startEmbeddedPostgres({ log });
const url = configured ?? server!.url;
try {
  const result = await applyMigrations(url, { log });
  console.log(
    `${redactUrl(url)}: ${result.applied.length} applied, ${result.skipped.length} already applied`,
  );
} finally {
  await server?.stop();
}
