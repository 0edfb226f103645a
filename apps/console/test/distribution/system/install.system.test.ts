// The one-line join command across network namespaces. The real console (embedded
// PostgreSQL, gateway on 10.214.0.1:8443) runs in one namespace. A node namespace runs
// the line as an operator would: from a directory outside the repository, with a PATH
// that reaches only Node.js and the system tools, installing under a temp prefix
// (TUNNELFLEET_PREFIX). The node ends joined, with the agent running and connected.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderJoinCommand } from "../../../src/distribution/join-command";
import { buildTestArtefact, hasCommand } from "../support";
import { type ControlPlaneProcess, startControlPlaneProcess } from "./control-plane-process";
import { InstallLab, type LabHost } from "./netns";

const execFileAsync = promisify(execFile);
const CONNECT_TIMEOUT_MS = 120_000;

const canRun = process.getuid?.() === 0 && hasCommand("ip");

describe.skipIf(!canRun)("one-line install across namespaces", () => {
  const lab = new InstallLab();
  let controlPlaneHost: LabHost;
  let nodeHost: LabHost;
  let built: Awaited<ReturnType<typeof buildTestArtefact>>;
  let dataDir: string;
  let prefix: string;
  let controlPlane: ControlPlaneProcess | undefined;

  /** Renders the join command for the control plane's token, with its CA hash unless `caHash` is given. */
  function joinLine(caHash?: string): string {
    if (!controlPlane) throw new Error("the control plane did not start");
    const { gatewayUrl, token } = controlPlane.ready;
    return renderJoinCommand({ serverUrl: gatewayUrl, token, caHash: caHash ?? controlPlane.ready.caHash });
  }

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

    controlPlane = await startControlPlaneProcess({
      namespace: controlPlaneHost.namespace,
      address: controlPlaneHost.address,
      dataDir,
      artefactPath: built.path,
    });
  }, 240_000);

  afterAll(async () => {
    const runDir = join(prefix ?? "/nonexistent", "run/tunnelfleet");
    for (const pidFile of ["agent.pid", "stunnel.pid"]) {
      const pid = readPid(join(runDir, pidFile));
      if (pid !== null && isAlive(pid)) process.kill(pid, "SIGKILL");
    }
    await controlPlane?.stop();
    lab.destroy();
    for (const dir of [dataDir, prefix, built?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it("stops at a wrong CA hash before downloading anything", async () => {
    const otherPrefix = mkdtempSync(join(tmpdir(), "tunnelfleet-node-wrong-"));
    try {
      const wrongHash = `sha256:${"f".repeat(64)}`;
      const line = joinLine(wrongHash);
      const result = await runOnNode(line, otherPrefix);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`not the pinned ${wrongHash}; stopped before downloading anything`);
      expect(readdirSync(otherPrefix)).toEqual([]);
    } finally {
      rmSync(otherPrefix, { recursive: true, force: true });
    }
  });

  it("installs, joins and connects the agent", async () => {
    // The command exactly as the console returns it when the join token is created.
    const line = (controlPlane as ControlPlaneProcess).ready.installCommand;
    expect(line).toBe(joinLine());
    const result = await runOnNode(`${line} --start`, prefix);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`installed agent ${built.artefact.manifest.version}`);
    expect(result.stdout).toContain("joined https://10.214.0.1:8443 as host node-1");
    expect(result.stdout).toMatch(/agent started in the background with PID \d+/);

    const pid = readPid(join(prefix, "run/tunnelfleet/agent.pid"));
    expect(pid).not.toBeNull();
    expect(isAlive(pid as number)).toBe(true);

    const event = await (controlPlane as ControlPlaneProcess).connected(CONNECT_TIMEOUT_MS);
    expect(event.hostName).toBe("node-1");
    expect(event.agentVersion).toBe(built.artefact.manifest.version);
  });

  it("runs again without joining or starting twice", async () => {
    const pidBefore = readPid(join(prefix, "run/tunnelfleet/agent.pid"));
    const line = joinLine();
    const result = await runOnNode(`${line} --start`, prefix);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("already joined to https://10.214.0.1:8443");
    expect(result.stdout).toContain(`agent already running with PID ${pidBefore}`);
  });
});
