// Usage: npm run db:migration:create -- <name>
// Diffs prisma/migrations/schema.snapshot.prisma against prisma/schema.prisma with Prisma's
// schema engine and writes prisma/migrations/<timestamp>_<name>/migration.sql. The engine
// needs a PostgreSQL connection, so a throwaway embedded server runs in a temp directory.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_DIR, startEmbeddedPostgres } from "@tunnelfleet/db";
import { createMigration } from "../packages/db/src/migration-create";

const name = process.argv[2];
if (!name) {
  console.error("usage: npm run db:migration:create -- <name>   (e.g. add_host_labels)");
  process.exit(2);
}

const scratch = await mkdtemp(join(tmpdir(), "tunnelfleet-migration-"));
const server = await startEmbeddedPostgres({ dataDir: scratch, settings: { fsync: "off" } });
try {
  const created = await createMigration({
    name,
    schemaPath: join(MIGRATIONS_DIR, "..", "schema.prisma"),
    migrationsDir: MIGRATIONS_DIR,
    databaseUrl: server.url,
  });
  if (created) {
    console.log(`created ${created.path}/migration.sql: review it, then run npm run db:generate`);
  } else {
    console.log("prisma/schema.prisma matches the newest migration: nothing to create");
  }
} finally {
  await server.stop();
  await rm(scratch, { recursive: true, force: true });
}
