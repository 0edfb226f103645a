#!/usr/bin/env node
// Usage: npm run db:generate
// Regenerates the Prisma client in packages/db/src/generated/prisma (committed to git).
// The Prisma CLI downloads its native schema engine before every command unless
// PRISMA_SCHEMA_ENGINE_BINARY names a file. Generate never runs that engine, so any
// existing file will do, and the command works offline.
import { spawnSync } from "node:child_process";

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  // Turns off the CLI's version check (telemetry) request to Prisma's servers.
  CHECKPOINT_DISABLE: "1",
};
const result = spawnSync("npx", ["prisma", "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
