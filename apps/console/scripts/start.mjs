#!/usr/bin/env node
// `npm start`: builds the Next.js UI when .next is missing or older than its sources,
// builds the agent bundle, then runs server.ts in production mode. The data directory
// defaults to .tunnelfleet in the folder npm was started from.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const consoleDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoDir = resolve(consoleDir, "..", "..");
const buildId = join(consoleDir, ".next", "BUILD_ID");

/** Sources whose change makes the UI build stale. */
const SOURCES = [
  join(consoleDir, "app"),
  join(consoleDir, "src"),
  join(consoleDir, "next.config.ts"),
  join(consoleDir, "package.json"),
  join(repoDir, "packages", "mesh", "src"),
  join(repoDir, "packages", "protocol", "src"),
];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

function buildIsCurrent() {
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.every((source) => newestMtime(source) <= built);
}

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
env.TUNNELFLEET_DATA_DIR ||= resolve(process.env.INIT_CWD || process.cwd(), ".tunnelfleet");

if (process.env.TUNNELFLEET_UI !== "off" && !buildIsCurrent()) {
  console.log("tunnelfleet: building the console UI (next build)...");
  const build = spawnSync("npx", ["next", "build"], { cwd: consoleDir, stdio: "inherit", env });
  if (build.status !== 0) {
    console.error(
      "tunnelfleet: next build failed; fix the error above, or start without the UI with TUNNELFLEET_UI=off",
    );
    process.exit(build.status ?? 1);
  }
}

// The agent bundle the gateway serves to nodes. It is rebuilt on every start because that
// takes a few seconds and the same sources give the same bytes, so it is never stale.
console.log("tunnelfleet: building the agent bundle (npm run build:agent)...");
const agentBuild = spawnSync(process.execPath, [join(repoDir, "apps", "agent", "build", "build.mjs")], {
  stdio: "inherit",
  env,
});
if (agentBuild.status !== 0) {
  console.error("tunnelfleet: building the agent bundle failed; fix the error above and start again");
  process.exit(agentBuild.status ?? 1);
}

const server = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
  cwd: consoleDir,
  stdio: "inherit",
  env: { ...env, NODE_ENV: "production" },
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.kill(signal));
}
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
