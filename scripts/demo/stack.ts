// The demo's whole stack, shared by `npm run demo` and the browser test of the main job:
// the namespaces, three Redis hosts, the control plane in its own namespace with its
// console forwarded to 127.0.0.1, real agents that join with the console's join
// command, and the wire capture that proves no plaintext crosses it. `destroy` removes
// everything the stack created, in the order that keeps nothing alive.
import { type ChildProcess, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { waitFor } from "../../apps/agent/test/support/netns";
import { analyseCapture, type CaptureReport } from "./capture";
import { type ConsoleProxy, startConsoleProxy } from "./console-proxy";
import { Lab, type LabHost, sleep, stopByPidFile } from "./lab";

const ROOT = join(import.meta.dirname, "..", "..");
const AGENT_BIN = join(ROOT, "apps", "agent", "bin", "tunnelfleet-agent.mjs");
const CONTROL_PLANE_SCRIPT = join(import.meta.dirname, "control-plane.ts");

/** Addresses exist only inside the demo's namespaces, on a bridge in a namespace of its own. */
export const CONTROL_PLANE_ADDRESS = "10.215.0.100";
export const REDIS_PORT = 6379;
export const GATEWAY_PORT = 8443;

export interface RedisHost extends LabHost {
  role: "primary" | "replica";
  stateDir: string;
  runDir: string;
}

export interface ControlPlane {
  consoleUrl: string;
  gatewayUrl: string;
}

export class DemoStack {
  readonly lab = new Lab();
  readonly workDir: string;
  readonly hosts: RedisHost[] = [];
  private controlPlaneProcess: ChildProcess | undefined;
  private controlPlaneOutput = "";
  private proxy: ConsoleProxy | undefined;
  private readonly agents = new Map<string, ChildProcess>();
  private readonly agentLogs = new Map<string, string>();
  private capture: { process: ChildProcess; file: string } | undefined;

  constructor() {
    this.workDir = mkdtempSync(join(tmpdir(), "tf-demo-"));
    // The embedded PostgreSQL runs as an unprivileged user and must reach its data
    // directory below this one; the agents' state directories stay 0700 themselves.
    chmodSync(this.workDir, 0o711);
  }

  /** Creates the bridge, the control plane's namespace and three Redis hosts. */
  createNetwork(): void {
    this.lab.create();
    this.lab.addHost("control plane", "cp", CONTROL_PLANE_ADDRESS);
    const plan = [
      ["redis-primary", "h1", "10.215.0.1", "primary"],
      ["redis-replica-1", "h2", "10.215.0.2", "replica"],
      ["redis-replica-2", "h3", "10.215.0.3", "replica"],
    ] as const;
    for (const [label, shortName, address, role] of plan) {
      const host = this.lab.addHost(label, shortName, address);
      this.hosts.push({
        ...host,
        role,
        stateDir: join(this.workDir, label, "state"),
        runDir: join(this.workDir, label, "run"),
      });
    }
  }

  get primary(): RedisHost {
    return this.hosts.find((host) => host.role === "primary")!;
  }

  get replicas(): RedisHost[] {
    return this.hosts.filter((host) => host.role === "replica");
  }

  /** Starts Redis on every host's own address, port 6379, without persistence. */
  async startRedis(): Promise<void> {
    for (const host of this.hosts) {
      const dir = join(this.workDir, host.label, "redis");
      mkdirSync(dir, { recursive: true });
      this.lab.spawnIn(host.namespace, "redis-server", [
        "--bind",
        host.address,
        "--port",
        String(REDIS_PORT),
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
      ]);
    }
    for (const host of this.hosts) {
      await waitFor(
        `Redis on ${host.label} to answer PING`,
        () => this.redis(host, ["PING"]).trim() === "PONG",
        30_000,
      );
    }
  }

  /** Runs redis-cli against the host's own Redis, from inside its namespace (over lo). */
  redis(host: RedisHost, args: string[]): string {
    const result = this.lab.execIn(host.namespace, "redis-cli", [
      "-h",
      host.address,
      "-p",
      String(REDIS_PORT),
      ...args,
    ]);
    if (result.code !== 0)
      throw new Error(`redis-cli ${args[0]} on ${host.label} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /**
   * Starts the control plane in its namespace with `adminPassword` for the user admin,
   * and serves its console on 127.0.0.1:`consolePort` in the root namespace.
   */
  async startControlPlane(
    adminPassword: string,
    consolePort: number,
    timeoutMs = 240_000,
  ): Promise<ControlPlane> {
    const controlHost = this.lab.hosts[0]!;
    const socketPath = join(this.workDir, "console.sock");
    const child = this.lab.spawnIn(
      controlHost.namespace,
      process.execPath,
      [
        "--import",
        "tsx",
        CONTROL_PLANE_SCRIPT,
        CONTROL_PLANE_ADDRESS,
        join(this.workDir, "control-plane"),
        socketPath,
      ],
      { ...process.env, NODE_ENV: "production", TUNNELFLEET_ADMIN_PASSWORD: adminPassword },
    );
    this.controlPlaneProcess = child;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.controlPlaneOutput = (this.controlPlaneOutput + chunk.toString()).slice(-8000);
    });

    const ready = await new Promise<{ gatewayUrl: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the control plane did not start within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (!line.startsWith('{"ready"')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { gatewayUrl: string });
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the control plane exited with code ${code}:\n${this.controlPlaneOutput.trim()}`));
      });
    });

    this.proxy = await startConsoleProxy(socketPath, consolePort);
    return { consoleUrl: this.proxy.url, gatewayUrl: ready.gatewayUrl };
  }

  /** Returns the control plane's last log lines, for failure messages. */
  controlPlaneLog(): string {
    return this.controlPlaneOutput.trim();
  }

  /**
   * Runs the console's join command (`tunnelfleet-agent join ...`) on `host` with the
   * real agent CLI, then starts `tunnelfleet-agent run` there. Returns the join output.
   */
  async joinAndRun(host: RedisHost, command: string): Promise<string> {
    const [program, ...args] = command.trim().split(/\s+/);
    if (program !== "tunnelfleet-agent" || args[0] !== "join") {
      throw new Error(`expected a "tunnelfleet-agent join ..." command, got ${JSON.stringify(command)}`);
    }
    const dirs = ["--state-dir", host.stateDir, "--run-dir", host.runDir];
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        "ip",
        ["netns", "exec", host.namespace, process.execPath, AGENT_BIN, ...args, ...dirs],
        { timeout: 90_000, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`join on ${host.label} failed: ${(stderr || error.message).trim()}`));
          else resolve(stdout.trim());
        },
      );
    });

    const agent = this.lab.spawnIn(host.namespace, process.execPath, [
      AGENT_BIN,
      "run",
      ...dirs,
      "--heartbeat-interval",
      "2",
      "--drift-interval",
      "5",
    ]);
    // The agent's JSON log lines: the last few are kept for failure messages, and the
    // pipes are always drained so that a full pipe never blocks the agent.
    const keep = (chunk: Buffer) => {
      this.agentLogs.set(
        host.label,
        ((this.agentLogs.get(host.label) ?? "") + chunk.toString()).slice(-4000),
      );
    };
    agent.stdout?.on("data", keep);
    agent.stderr?.on("data", keep);
    this.agents.set(host.label, agent);
    return output;
  }

  /** Returns the agent's last log lines on `host`, for failure messages. */
  agentLog(host: RedisHost): string {
    return (this.agentLogs.get(host.label) ?? "").trim().split("\n").slice(-12).join("\n");
  }

  /** Starts a capture of every packet on the host's veth (eth0) into a pcap file. */
  async startCapture(host: RedisHost): Promise<void> {
    const file = join(this.workDir, `${host.label}.pcap`);
    // Bounded in packets here and in time by the caller, which stops it by pid.
    const child = this.lab.spawnIn(host.namespace, "tcpdump", [
      "-i",
      "eth0",
      "-n",
      "-U",
      "-s",
      "0",
      "-c",
      "200000",
      "-Z",
      "root",
      "-w",
      file,
    ]);
    let stderr = "";
    child.stdout?.resume();
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(
      `tcpdump to listen on eth0 of ${host.label}`,
      () => {
        if (child.exitCode !== null) throw new Error(`tcpdump exited: ${stderr.trim()}`);
        return stderr.includes("listening on");
      },
      20_000,
    );
    this.capture = { process: child, file };
  }

  /** Points every replica at the primary's address and app port, as an operator would. */
  async startReplication(timeoutMs = 90_000): Promise<void> {
    for (const replica of this.replicas) {
      const reply = this.redis(replica, ["REPLICAOF", this.primary.address, String(REDIS_PORT)]).trim();
      if (reply !== "OK") throw new Error(`REPLICAOF on ${replica.label} failed: Redis returned ${reply}`);
    }
    for (const replica of this.replicas) {
      await waitFor(
        `${replica.label} to finish its sync with the primary`,
        () => this.redis(replica, ["INFO", "replication"]).includes("master_link_status:up"),
        timeoutMs,
      );
    }
  }

  /**
   * Writes a canary on the primary, waits until both replicas return it, stops the
   * capture and checks it: no canary, nothing on the app port, only TLS on tunnel ports.
   */
  async proveNoPlaintext(
    tunnelPorts: number[],
    timeoutMs = 60_000,
  ): Promise<{ key: string; report: CaptureReport; file: string }> {
    if (!this.capture) throw new Error("no capture is running; start it before replication");
    const key = `tf-canary-${randomBytes(6).toString("hex")}`;
    const value = `plaintext-canary-${randomBytes(12).toString("hex")}`;
    if (this.redis(this.primary, ["SET", key, value]).trim() !== "OK")
      throw new Error("SET on the primary failed");
    for (const replica of this.replicas) {
      await waitFor(
        `${replica.label} to return the canary`,
        () => this.redis(replica, ["GET", key]).trim() === value,
        timeoutMs,
      );
    }

    // A few more seconds of probes and replication pings, then a clean stop flushes the file.
    await sleep(2000);
    const { process: tcpdump, file } = this.capture;
    this.capture = undefined;
    process.kill(tcpdump.pid!, "SIGINT");
    await waitFor(
      "tcpdump to write its capture and exit",
      () => tcpdump.exitCode !== null || tcpdump.signalCode !== null,
      20_000,
    );

    const report = analyseCapture(file, {
      appPorts: [REDIS_PORT, 16379],
      tlsPorts: [...tunnelPorts, GATEWAY_PORT],
      canaries: [key, value],
    });
    return { key, report, file };
  }

  /** Stops agents, stunnel daemons, the control plane and its database, then removes the namespaces and files. */
  async destroy(): Promise<void> {
    try {
      // Agents first: a running agent's drift check would start stunnel again.
      for (const agent of this.agents.values()) {
        if (agent.exitCode === null && agent.signalCode === null && agent.pid)
          process.kill(agent.pid, "SIGTERM");
      }
      await waitFor(
        "the agents to exit",
        () =>
          [...this.agents.values()].every((agent) => agent.exitCode !== null || agent.signalCode !== null),
        15_000,
      ).catch(() => undefined);
      for (const host of this.hosts) await stopByPidFile(join(host.runDir, "stunnel.pid"));

      const controlPlane = this.controlPlaneProcess;
      if (controlPlane?.pid && controlPlane.exitCode === null && controlPlane.signalCode === null) {
        process.kill(controlPlane.pid, "SIGTERM");
        await waitFor(
          "the control plane to stop",
          () => controlPlane.exitCode !== null || controlPlane.signalCode !== null,
          30_000,
        ).catch(() => undefined);
      }
      // A control plane that was killed leaves its PostgreSQL behind: stop it by its pid file.
      const postmaster = findFile(join(this.workDir, "control-plane"), "postmaster.pid");
      if (postmaster) await stopByPidFile(postmaster);
      await this.proxy?.close();
    } finally {
      await this.lab.destroy();
      rmSync(this.workDir, { recursive: true, force: true });
    }
  }
}

function findFile(dir: string, name: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return path;
    if (entry.isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return undefined;
}
