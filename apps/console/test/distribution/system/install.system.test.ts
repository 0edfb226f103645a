// The one-line join command across network namespaces. The real console (embedded
// PostgreSQL, gateway on 10.214.0.1:8443) runs in one namespace. A node namespace runs
// the line as an operator would: from a directory outside the repository, with a PATH
// that reaches only Node.js and the system tools, installing under a temp prefix
// (TUNNELFLEET_PREFIX). The node ends joined, with the agent running and connected.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderJoinCommand } from "../../../src/distribution/join-command";
import { buildTestArtefact, hasCommand } from "../support";
import { InstallLab, type LabHost } from "./netns";

const execFileAsync = promisify(execFile);
const REPOSITORY_ROOT = join(import.meta.dirname, "../../../../..");
const CONTROL_PLANE_SCRIPT = join(import.meta.dirname, "control-plane.ts");
/** Start-up includes initdb of the embedded PostgreSQL on a busy two-core machine. */
const READY_TIMEOUT_MS = 180_000;
const CONNECT_TIMEOUT_MS = 120_000;

interface ReadyEvent {
  gatewayUrl: string;
  token: string;
  caHash: string;
}

interface ConnectedEvent {
  hostId: string;
  hostName: string;
  agentVersion: string | null;
}

const canRun = process.getuid?.() === 0 && hasCommand("ip");

describe.skipIf(!canRun)("one-line install across namespaces", () => {
  const lab = new InstallLab();
  let controlPlaneHost: LabHost;
  let nodeHost: LabHost;
  let built: Awaited<ReturnType<typeof buildTestArtefact>>;
  let dataDir: string;
  let prefix: string;
  let controlPlane: ChildProcess | undefined;
  let ready: ReadyEvent;
  let connected: Promise<ConnectedEvent>;

  /** Runs `line` in the node namespace with a minimal environment; never throws for an exit code. */
  async function runOnNode(line: string, installPrefix: string) {
    try {
      const { stdout, stderr } = await execFileAsync(
        "ip",
        ["netns", "exec", nodeHost.namespace, "sh", "-c", line],
        {
          cwd: installPrefix,
          env: {
            PATH: `${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`,
            HOME: installPrefix,
            TUNNELFLEET_PREFIX: installPrefix,
            NODE_ENV: "production",
          },
          timeout: 180_000,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failure = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failure.code ?? 1, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
    }
  }

  function readPid(file: string): number | null {
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  function isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  beforeAll(async () => {
    built = await buildTestArtefact();
    dataDir = mkdtempSync(join(tmpdir(), "tunnelfleet-cp-"));
    prefix = mkdtempSync(join(tmpdir(), "tunnelfleet-node-"));

    lab.create();
    controlPlaneHost = lab.addHost("cp", "10.214.0.1");
    nodeHost = lab.addHost("node", "10.214.0.2");

    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        controlPlaneHost.namespace,
        process.execPath,
        "--import",
        "tsx",
        CONTROL_PLANE_SCRIPT,
        dataDir,
        controlPlaneHost.address,
        built.path,
      ],
      { cwd: REPOSITORY_ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    controlPlane = child;

    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let resolveConnected: (event: ConnectedEvent) => void = () => undefined;
    connected = new Promise<ConnectedEvent>((resolve) => {
      resolveConnected = resolve;
    });
    ready = await new Promise<ReadyEvent>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("the control plane did not start in time")),
        READY_TIMEOUT_MS,
      );
      lines.on("line", (line) => {
        if (!line.startsWith("{")) return;
        const event = JSON.parse(line) as { ready?: ReadyEvent; connected?: ConnectedEvent };
        if (event.ready) {
          clearTimeout(timer);
          resolve(event.ready);
        }
        if (event.connected) resolveConnected(event.connected);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the control plane exited with code ${code} before it was ready`));
      });
    });
  }, READY_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    const runDir = join(prefix ?? "/nonexistent", "run/tunnelfleet");
    for (const pidFile of ["agent.pid", "stunnel.pid"]) {
      const pid = readPid(join(runDir, pidFile));
      if (pid !== null && isAlive(pid)) process.kill(pid, "SIGKILL");
    }
    if (controlPlane?.pid && controlPlane.exitCode === null) {
      const exited = new Promise<void>((resolve) => controlPlane?.once("exit", () => resolve()));
      controlPlane.kill("SIGTERM");
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
      await Promise.race([exited, timeout]);
      if (controlPlane.exitCode === null) controlPlane.kill("SIGKILL");
    }
    lab.destroy();
    for (const dir of [dataDir, prefix, built?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it("stops at a wrong CA hash before downloading anything", async () => {
    const otherPrefix = mkdtempSync(join(tmpdir(), "tunnelfleet-node-wrong-"));
    try {
      const wrongHash = `sha256:${"f".repeat(64)}`;
      const line = renderJoinCommand({ serverUrl: ready.gatewayUrl, token: ready.token, caHash: wrongHash });
      const result = await runOnNode(line, otherPrefix);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`not the pinned ${wrongHash}; stopped before downloading anything`);
      expect(readdirSync(otherPrefix)).toEqual([]);
    } finally {
      rmSync(otherPrefix, { recursive: true, force: true });
    }
  });

  it("installs, joins and connects the agent", async () => {
    const line = renderJoinCommand({ serverUrl: ready.gatewayUrl, token: ready.token, caHash: ready.caHash });
    const result = await runOnNode(`${line} --start`, prefix);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`installed agent ${built.artefact.manifest.version}`);
    expect(result.stdout).toContain("joined https://10.214.0.1:8443 as host node-1");
    expect(result.stdout).toMatch(/agent started in the background with PID \d+/);

    const pid = readPid(join(prefix, "run/tunnelfleet/agent.pid"));
    expect(pid).not.toBeNull();
    expect(isAlive(pid as number)).toBe(true);

    const event = await Promise.race([
      connected,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("the agent did not connect in time")), CONNECT_TIMEOUT_MS).unref(),
      ),
    ]);
    expect(event.hostName).toBe("node-1");
    expect(event.agentVersion).toBe(built.artefact.manifest.version);
  });

  it("runs again without joining or starting twice", async () => {
    const pidBefore = readPid(join(prefix, "run/tunnelfleet/agent.pid"));
    const line = renderJoinCommand({ serverUrl: ready.gatewayUrl, token: ready.token, caHash: ready.caHash });
    const result = await runOnNode(`${line} --start`, prefix);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("already joined to https://10.214.0.1:8443");
    expect(result.stdout).toContain(`agent already running with PID ${pidBefore}`);
  });
});
