// Playwright global setup: builds the console (next build), starts the real server with
// its own data directory and ports on 127.0.0.1, and returns the teardown that stops it
// and removes the data directory.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const ROOT = join(import.meta.dirname, "..");

/** Start-up includes initdb of the embedded PostgreSQL and Next.js; generous for a busy machine. */
const START_TIMEOUT_MS = 180_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Serializes `next build` across test runs started at the same time in this checkout. */
const BUILD_LOCK = join(tmpdir(), "tunnelfleet-e2e-next-build.lock");

function buildConsole(): void {
  if (process.env.E2E_SKIP_BUILD === "1") return;
  const result = spawnSync(
    "flock",
    [BUILD_LOCK, process.execPath, "--import", "tsx", join(ROOT, "e2e", "support", "build-console.ts")],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (result.error) throw new Error(`could not run flock for next build: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`next build failed with exit code ${result.status}`);
}

function waitForReady(child: ChildProcess): Promise<{ url: string; gatewayPort: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the console server did not start in time")),
      START_TIMEOUT_MS,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (!line.startsWith('{"ready"')) {
        if (process.env.E2E_SERVER_LOG === "1") console.log(line);
        return;
      }
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; gatewayPort: number });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the console server exited with code ${code} before it was ready`));
    });
  });
}

export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  // A server started by hand (E2E_BASE_URL) is used as it is, for working on the tests.
  if (process.env.E2E_BASE_URL) return undefined;
  buildConsole();

  const dataDir = mkdtempSync(join(tmpdir(), "tunnelfleet-e2e-"));
  const gatewayPort = await freePort();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "e2e", "support", "run-server.ts"), dataDir, String(gatewayPort)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NODE_ENV: "production" } },
  );

  let ready: { url: string; gatewayPort: number };
  try {
    ready = await waitForReady(child);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  process.env.E2E_BASE_URL = ready.url;

  return async () => {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  };
}
