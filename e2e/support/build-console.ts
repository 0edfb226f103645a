// Builds the console UI (next build) unless .next is newer than every source it is built
// from. The global setup runs this under `flock`, so that test runs started at the same
// time in one checkout build once instead of overwriting each other's .next.
//
// Usage: node --import tsx e2e/support/build-console.ts
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const CONSOLE_DIR = join(ROOT, "apps", "console");
const BUILD_ID = join(CONSOLE_DIR, ".next", "BUILD_ID");

/** Files and folders the UI bundle is built from; a change in any of them makes .next stale. */
const SOURCES = ["app", "src", "next.config.ts", "package.json"]
  .map((path) => join(CONSOLE_DIR, path))
  .concat(["mesh", "protocol"].map((name) => join(ROOT, "packages", name, "src")));

/** Returns the newest modification time below `path`, skipping dot folders and node_modules. */
function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;

  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry !== "node_modules" && !entry.startsWith("."))
      newest = Math.max(newest, newestChange(join(path, entry)));
  }
  return newest;
}

const built = existsSync(BUILD_ID) ? statSync(BUILD_ID).mtimeMs : 0;
if (built > 0 && SOURCES.every((source) => newestChange(source) <= built)) {
  console.log("e2e: the console build is current; skipping next build");
  process.exit(0);
}

const result = spawnSync("npx", ["next", "build"], {
  cwd: CONSOLE_DIR,
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
process.exit(result.status ?? 1);
