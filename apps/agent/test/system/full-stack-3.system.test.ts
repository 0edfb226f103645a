// The whole product with the control plane, in network namespaces. Three hosts join with
// join tokens from the REST API, and Redis replicates from a to b and c through the tunnels,
// with the replicas pointed at a's own address and port 6379. A fourth host joins later and
// every host converges by reload: same stunnel pid, same replication connection. A bundle
// that c cannot apply is reported, and c keeps its last one. Replication then continues after
// b's agent is killed and after the control plane is stopped.
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../../src/agent";
import type { AgentStatus } from "../../src/status";
import { agentBin, agentCommand, agentStatus, stopLeftoverPostgres } from "../support/full-stack";
import { type NetnsHost, NetnsLab, waitFor } from "../support/netns";

const controlPlaneScript = join(import.meta.dirname, "fixtures/control-plane-api.mjs");
const CONTROL_PLANE_ADDRESS = "10.213.0.100";
const REDIS_PORT = "6379";

interface Node {
  name: string;
  address: string;
  host: NetnsHost;
  stateDir: string;
  runDir: string;
  agent?: ChildProcess;
  agentLog: string;
}

const lab = new NetnsLab();
const workDir = mkdtempSync(join(tmpdir(), "tf-agent-fullstack3-"));
const nodes: Node[] = [];
let controlPlane: ChildProcess | undefined;
let controlPlaneLog = "";
let ready:
  | Promise<{ cluster: { appPorts: number[]; inboundPortBase: number }; commands: Record<string, string> }>
  | undefined;
const pending = new Map<number, (reply: Record<string, unknown>) => void>();
let nextRequestId = 1;

function node(name: string): Node {
  const found = nodes.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no node named ${name}`);
  return found;
}

/** Runs redis-cli against the node's own Redis from inside its namespace, and throws on failure. */
function redis(target: Node, args: string[]): string {
  const result = lab.execIn(target.host.name, "redis-cli", ["-h", target.address, "-p", REDIS_PORT, ...args]);
  if (result.code !== 0)
    throw new Error(`redis-cli ${args[0]} on ${target.name} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Sends one request to the control plane fixture and returns its reply. */
async function controlPlaneRequest(request: Record<string, unknown>): Promise<Record<string, unknown>> {
  const id = nextRequestId++;
  const answer = new Promise<Record<string, unknown>>((resolve) => pending.set(id, resolve));
  controlPlane?.stdin?.write(`${JSON.stringify({ ...request, id })}\n`);
  const reply = await Promise.race([
    answer,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 60_000)),
  ]);
  if (!reply)
    throw new Error(
      `timed out after 60 s waiting for the control plane to reply to ${request.op}:\n${controlPlaneLog}`,
    );
  if (typeof reply.error === "string")
    throw new Error(`the control plane failed ${request.op}: ${reply.error}`);
  return reply;
}

/** Runs the join command the API returned on `target`, then starts `tunnelfleet-agent run` there. */
function joinAndRun(target: Node, command: string): string {
  const [program, ...args] = command.trim().split(/\s+/);
  if (program !== "tunnelfleet-agent" || args[0] !== "join") {
    throw new Error(`expected a "tunnelfleet-agent join ..." command, got ${JSON.stringify(command)}`);
  }
  const output = agentCommand(target, args);
  const agent = lab.spawnIn(target.host.name, process.execPath, [
    agentBin,
    "run",
    "--state-dir",
    target.stateDir,
    "--run-dir",
    target.runDir,
    "--heartbeat-interval",
    "2",
    "--drift-interval",
    "5",
  ]);
  // The pipes are always drained so that a full pipe never blocks the agent.
  // The tail of the log is kept for failure messages.
  const keep = (chunk: Buffer) => {
    target.agentLog = (target.agentLog + chunk.toString()).slice(-4000);
  };
  agent.stdout?.on("data", keep);
  agent.stderr?.on("data", keep);
  target.agent = agent;
  return output;
}

async function waitHealthy(target: Node, accept: (current: AgentStatus) => boolean = () => true) {
  try {
    return await waitFor(
      `node ${target.name} to apply and report healthy`,
      () => {
        const current = agentStatus(target);
        return current?.healthy && accept(current) ? current : undefined;
      },
      150_000,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nlast status: ${JSON.stringify(agentStatus(target))}\nagent log:\n${target.agentLog}`,
    );
  }
}

/** Returns the source ports of the replica connections on the primary, from `CLIENT LIST TYPE replica`. */
function replicaPorts(primary: Node): string[] {
  return redis(primary, ["CLIENT", "LIST", "TYPE", "replica"])
    .split("\n")
    .map((line) => /\baddr=\S+:(\d+)\b/.exec(line)?.[1])
    .filter((port): port is string => port !== undefined)
    .sort();
}

function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Writes a fresh key on the primary and waits until every replica returns it. */
async function expectReplicated(primary: Node, replicas: Node[], label: string): Promise<void> {
  const key = `tf-${label}-${Date.now()}`;
  expect(redis(primary, ["SET", key, label])).toBe("OK");
  for (const replica of replicas) {
    await waitFor(
      `${replica.name} to return ${key} written on ${primary.name}`,
      () => redis(replica, ["GET", key]) === label,
      60_000,
    );
  }
}

beforeAll(() => {
  // The embedded PostgreSQL runs as an unprivileged user and must reach its data
  // directory below this one. The nodes' state directories stay 0700 themselves.
  chmodSync(workDir, 0o711);
  lab.create();
  const controlHost = lab.addHost("cp", CONTROL_PLANE_ADDRESS);
  for (const [name, address] of [
    ["a", "10.213.0.1"],
    ["b", "10.213.0.2"],
    ["c", "10.213.0.3"],
    ["d", "10.213.0.4"],
  ] as const) {
    const host = lab.addHost(name, address);
    nodes.push({
      name,
      address,
      host,
      stateDir: join(workDir, name, "state"),
      runDir: join(workDir, name, "run"),
      agentLog: "",
    });
    // A replica's full sync writes a temporary RDB file into the working directory, and
    // Redis 7 by default accepts `dir` only at start, so each server gets its own here.
    const redisDir = join(workDir, name, "redis");
    mkdirSync(redisDir, { recursive: true });
    const server = lab.spawnIn(host.name, "redis-server", [
      "--bind",
      address,
      "--port",
      REDIS_PORT,
      "--dir",
      redisDir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
    ]);
    server.stdout?.resume();
    server.stderr?.resume();
  }

  // Only a, b and c get join tokens now. The token of d comes from the API later.
  const child = lab.spawnIn(controlHost.name, process.execPath, [
    "--import",
    "tsx",
    controlPlaneScript,
    CONTROL_PLANE_ADDRESS,
    join(workDir, "control-plane"),
    ...nodes
      .filter((candidate) => candidate.name !== "d")
      .map((target) => `${target.name}=${target.address}`),
  ]);
  controlPlane = child;
  child.stderr?.on("data", (chunk: Buffer) => {
    controlPlaneLog = (controlPlaneLog + chunk.toString()).slice(-6000);
  });
  ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`timed out after 180 s waiting for the control plane to start:\n${controlPlaneLog}`),
        ),
      180_000,
    );
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (message.ready === true) {
        clearTimeout(timer);
        resolve(
          message as {
            cluster: { appPorts: number[]; inboundPortBase: number };
            commands: Record<string, string>;
          },
        );
      } else if (typeof message.id === "number") {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the control plane exited with code ${code}:\n${controlPlaneLog}`));
    });
  });
  // The first test awaits it. This handler keeps an early exit from being an unhandled rejection.
  ready.catch(() => undefined);
});

afterAll(async () => {
  try {
    // The agents go first: a running agent's drift check would start stunnel again.
    for (const target of nodes) {
      if (isRunning(target.agent) && target.agent?.pid) process.kill(target.agent.pid, "SIGTERM");
    }
    await waitFor(
      "the agents to exit",
      () => nodes.every((target) => !isRunning(target.agent)),
      15_000,
    ).catch(() => undefined);
    for (const target of nodes) {
      const pid = await createAgent({ stateDir: target.stateDir, runDir: target.runDir }).stunnel.readPid();
      if (pid) await createAgent({ stateDir: target.stateDir, runDir: target.runDir }).stunnel.stop(pid);
    }
    if (isRunning(controlPlane) && controlPlane?.pid) {
      process.kill(controlPlane.pid, "SIGTERM");
      await waitFor("the control plane to stop", () => !isRunning(controlPlane), 30_000).catch(
        () => undefined,
      );
    }
    stopLeftoverPostgres(join(workDir, "control-plane"));
  } finally {
    await lab.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
}, 120_000);

describe("full stack with three Redis hosts", () => {
  it("replicates from a to b and c", { timeout: 420_000 }, async () => {
    const { commands } = await ready!;
    const [a, b, c] = [node("a"), node("b"), node("c")];
    for (const target of [a, b, c]) {
      expect(joinAndRun(target, commands[target.name]!)).toContain(`as host ${target.name}`);
    }
    for (const target of [a, b, c]) await waitHealthy(target);
    // The replicas reach a's address unchanged, and their kernel steers it into the local tunnel.
    for (const replica of [b, c]) {
      expect(lab.execIn(replica.host.name, "iptables-save", ["-t", "nat"]).stdout).toContain(
        `-d ${a.address}/32`,
      );
    }

    for (const target of [a, b, c]) {
      await waitFor(
        `Redis on ${target.name} to answer PING`,
        () => redis(target, ["PING"]) === "PONG",
        30_000,
      );
    }

    for (const replica of [b, c]) {
      expect(redis(replica, ["REPLICAOF", a.address, REDIS_PORT])).toBe("OK");
    }
    for (const replica of [b, c]) {
      await waitFor(
        `${replica.name} to finish its sync with a`,
        () => redis(replica, ["INFO", "replication"]).includes("master_link_status:up"),
        90_000,
      );
    }
    await expectReplicated(a, [b, c], "three-hosts");
    expect(replicaPorts(a)).toHaveLength(2);
  });

  it("adds d without restarting stunnel", { timeout: 420_000 }, async () => {
    const [a, b, c, d] = [node("a"), node("b"), node("c"), node("d")];
    const before = new Map([a, b, c].map((target) => [target.name, agentStatus(target)!]));
    for (const target of [a, b, c]) expect(before.get(target.name)?.stunnelPid).toBeGreaterThan(0);
    const portsBefore = replicaPorts(a);
    expect(portsBefore).toHaveLength(2);

    const reply = await controlPlaneRequest({ op: "token", hostName: "d", address: d.address });
    expect(joinAndRun(d, String(reply.command))).toContain("as host d");
    await waitHealthy(d);

    for (const target of [a, b, c]) {
      const previous = before.get(target.name)!;
      const converged = await waitHealthy(
        target,
        (current) =>
          (current.applied?.generation ?? 0) > (previous.applied?.generation ?? 0) &&
          current.health.probes.some((probe) => probe.address === d.address && probe.ok),
      );
      expect(converged.stunnelPid, `stunnel on ${target.name} was restarted`).toBe(previous.stunnelPid);
    }
    expect(replicaPorts(a), "a replica's connection to a was re-established").toEqual(portsBefore);
    await expectReplicated(a, [b, c], "after-d");
  });

  it("reports a bundle c cannot apply", { timeout: 300_000 }, async () => {
    const [a, b, c] = [node("a"), node("b"), node("c")];
    const { cluster } = await ready!;
    const before = new Map([a, b, c].map((target) => [target.name, agentStatus(target)!]));
    const portsBefore = replicaPorts(a);

    // One more app port adds an inbound service on the next port after the existing ones,
    // which another program already listens on in c's namespace.
    const takenPort = cluster.inboundPortBase + cluster.appPorts.length;
    const squatter = lab.spawnIn(c.host.name, process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${takenPort}, "0.0.0.0", () => console.log("listening"))`,
    ]);
    let squatterOutput = "";
    const keep = (chunk: Buffer) => {
      squatterOutput += chunk.toString();
    };
    squatter.stdout?.on("data", keep);
    squatter.stderr?.on("data", keep);
    await waitFor(
      `a listener on port ${takenPort} in c`,
      () => {
        if (!isRunning(squatter)) throw new Error(`the listener exited: ${squatterOutput}`);
        return squatterOutput.includes("listening");
      },
      30_000,
    );

    await controlPlaneRequest({ op: "cluster", patch: { appPorts: [...cluster.appPorts, 26379] } });
    // a and b apply the new bundle. They stay unhealthy while c's new inbound port is
    // not a tunnel, so this waits for the generation only.
    for (const target of [a, b]) {
      const previous = before.get(target.name)!;
      const applied = await waitFor(
        `${target.name} to apply the bundle with the new app port`,
        () => {
          const current = agentStatus(target);
          return (current?.applied?.generation ?? 0) > (previous.applied?.generation ?? 0)
            ? current
            : undefined;
        },
        150_000,
      );
      expect(applied.stunnelPid, `stunnel on ${target.name} was restarted`).toBe(previous.stunnelPid);
    }

    const observed = await waitFor(
      "the control plane to report c's failed apply",
      async () => {
        const reply = await controlPlaneRequest({ op: "state" });
        const states = reply.states as Array<{
          hostName: string;
          observed: { applyOk: boolean | null; applyError: string | null } | null;
        }>;
        const state = states.find((candidate) => candidate.hostName === "c");
        return state?.observed?.applyOk === false ? state.observed : undefined;
      },
      120_000,
    );
    expect(observed.applyError).toContain(String(takenPort));

    const afterC = agentStatus(c);
    expect(afterC?.applied?.generation, "c did not keep its last good bundle").toBe(
      before.get("c")?.applied?.generation,
    );
    expect(afterC?.stunnelPid).toBe(before.get("c")?.stunnelPid);
    expect(replicaPorts(a), "a replica's connection to a was re-established").toEqual(portsBefore);
    await expectReplicated(a, [b, c], "after-rejected-bundle");
  });

  it("replicates without agent or control plane", { timeout: 240_000 }, async () => {
    const [a, b, c] = [node("a"), node("b"), node("c")];
    const stunnelOnB = agentStatus(b)?.stunnelPid;
    expect(stunnelOnB).toBeGreaterThan(0);

    expect(isRunning(b.agent)).toBe(true);
    process.kill(b.agent!.pid!, "SIGKILL");
    await waitFor("b's agent to exit", () => !isRunning(b.agent), 30_000);
    await expectReplicated(a, [b], "agent-killed");

    expect(isRunning(controlPlane)).toBe(true);
    process.kill(controlPlane!.pid!, "SIGTERM");
    await waitFor("the control plane to stop", () => !isRunning(controlPlane), 60_000);
    await expectReplicated(a, [b, c], "control-plane-stopped");
    expect(agentStatus(b)?.stunnelPid, "stunnel on b changed without its agent").toBe(stunnelOnB);
  });
});
