// The whole product in network namespaces. The control plane (console server, embedded
// PostgreSQL, gateway) runs in its own namespace on the bridge. Two nodes join it with
// real join tokens and run `tunnelfleet-agent run`, and Redis traffic between them must
// flow through the tunnels the control plane planned and signed.
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../src/agent";
import { agentBin, agentCommand, agentStatus, stopLeftoverPostgres } from "../support/full-stack";
import { type NetnsHost, NetnsLab, waitFor } from "../support/netns";

const controlPlaneScript = join(import.meta.dirname, "fixtures/control-plane.mjs");
const CONTROL_PLANE_ADDRESS = "10.213.0.100";

interface Node {
  name: string;
  address: string;
  host: NetnsHost;
  stateDir: string;
  runDir: string;
}

const lab = new NetnsLab();
const workDir = mkdtempSync(join(tmpdir(), "tf-agent-fullstack-"));
const nodes: Node[] = [];
let controlPlane: ChildProcess | undefined;
const agentProcesses: ChildProcess[] = [];
let joinData: { url: string; caHash: string; tokens: Record<string, string> } | undefined;
let controlPlaneOutput = "";

beforeAll(async () => {
  // The embedded PostgreSQL runs as an unprivileged user and must reach its data
  // directory below this one; the nodes' state directories stay 0700 themselves.
  chmodSync(workDir, 0o711);
  lab.create();
  const controlHost = lab.addHost("cp", CONTROL_PLANE_ADDRESS);
  for (const [name, address] of [
    ["a", "10.213.0.1"],
    ["b", "10.213.0.2"],
  ] as const) {
    const host = lab.addHost(name, address);
    nodes.push({
      name,
      address,
      host,
      stateDir: join(workDir, name, "state"),
      runDir: join(workDir, name, "run"),
    });
    lab.startRedis(host.name, address);
  }

  controlPlane = lab.spawnIn(controlHost.name, process.execPath, [
    "--import",
    "tsx",
    controlPlaneScript,
    CONTROL_PLANE_ADDRESS,
    join(workDir, "control-plane"),
    ...nodes.map((node) => `${node.name}=${node.address}`),
  ]);
  controlPlane.stdout?.on("data", (chunk: Buffer) => {
    controlPlaneOutput += chunk.toString();
  });
  controlPlane.stderr?.on("data", (chunk: Buffer) => {
    controlPlaneOutput += chunk.toString();
  });
}, 180_000);

afterAll(async () => {
  try {
    // The agents go first: a running agent's drift check would start stunnel again.
    for (const child of agentProcesses) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    }
    await waitFor(
      "the agents to exit",
      () => agentProcesses.every((child) => child.exitCode !== null || child.signalCode !== null),
      15_000,
    ).catch(() => undefined);
    for (const node of nodes) {
      const agent = createAgent({ stateDir: node.stateDir, runDir: node.runDir });
      const pid = await agent.stunnel.readPid();
      if (pid) await agent.stunnel.stop(pid);
    }
    if (controlPlane?.pid && controlPlane.exitCode === null) {
      controlPlane.kill("SIGTERM");
      await waitFor(
        "the control plane to stop",
        () => controlPlane?.exitCode !== null || controlPlane.signalCode !== null,
        30_000,
      ).catch(() => undefined);
    }
    stopLeftoverPostgres(join(workDir, "control-plane"));
  } finally {
    await lab.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
}, 120_000);

describe("full stack in network namespaces", () => {
  it("joins, applies and carries Redis traffic", { timeout: 300_000 }, async () => {
    // A control plane that exits early ends the wait at once, with its output.
    const ready = await waitFor(
      "the control plane to print its join data",
      () =>
        controlPlane?.exitCode !== null
          ? `exited with ${controlPlane?.exitCode}`
          : controlPlaneOutput.split("\n").find((line) => line.startsWith('{"url"')),
      90_000,
    ).catch((error: Error) => `${error.message}`);
    if (!ready.startsWith("{")) {
      throw new Error(`control plane: ${ready}\noutput:\n${controlPlaneOutput.slice(-3000)}`);
    }
    const join = JSON.parse(ready) as { url: string; caHash: string; tokens: Record<string, string> };
    joinData = join;

    for (const node of nodes) {
      const output = agentCommand(node, [
        "join",
        "--server",
        join.url,
        "--token",
        join.tokens[node.name]!,
        "--ca-hash",
        join.caHash,
      ]);
      expect(output).toContain(`as host ${node.name}`);
      const agentProcess = lab.spawnIn(node.host.name, process.execPath, [
        agentBin,
        "run",
        "--state-dir",
        node.stateDir,
        "--run-dir",
        node.runDir,
        "--heartbeat-interval",
        "2",
        "--drift-interval",
        "5",
      ]);
      agentProcesses.push(agentProcess);
    }

    const [a, b] = nodes as [Node, Node];
    for (const node of nodes) {
      const healthy = await waitFor(
        `node ${node.name} to apply and report healthy`,
        () => {
          const current = agentStatus(node);
          return current?.healthy ? current : undefined;
        },
        120_000,
      );
      expect(healthy.applied?.generation).toBeGreaterThan(0);
      expect(healthy.health.probes.length).toBeGreaterThan(0);
      expect(healthy.health.probes.every((probe) => probe.ok)).toBe(true);
    }
    expect(lab.execIn(a.host.name, "iptables-save", ["-t", "nat"]).stdout).toContain(`-d ${b.address}/32`);

    const set = lab.execIn(a.host.name, "redis-cli", ["-h", b.address, "-p", "6379", "SET", "stack", "ok"]);
    expect(set.stdout.trim()).toBe("OK");
    expect(lab.execIn(b.host.name, "redis-cli", ["-h", b.address, "GET", "stack"]).stdout.trim()).toBe("ok");

    // Strict mode: b's ingress guard drops plaintext from a host that is not a member.
    const outsider = lab.execIn(lab.hosts[0]!.name, "redis-cli", ["-h", b.address, "-p", "6379", "PING"], {
      timeoutMs: 5000,
    });
    expect(outsider.stdout).not.toContain("PONG");
  });

  it("rejects a used join token", () => {
    const [a] = nodes as [Node];
    expect(joinData).toBeDefined();
    expect(() =>
      agentCommand(a, [
        "join",
        "--server",
        joinData!.url,
        "--token",
        joinData!.tokens.a!,
        "--ca-hash",
        joinData!.caHash,
      ]),
    ).toThrow(/enrolment was rejected/);
  });

  it("rejects a gateway CA that differs from the pin", () => {
    const [a] = nodes as [Node];
    expect(() =>
      agentCommand(a, [
        "join",
        "--server",
        `https://${CONTROL_PLANE_ADDRESS}:8443`,
        "--token",
        "tfj_not-a-valid-token-at-all",
        "--ca-hash",
        `sha256:${"0".repeat(64)}`,
      ]),
    ).toThrow(/refusing to join/);
  });
});
