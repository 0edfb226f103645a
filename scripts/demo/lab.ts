// The demo's scratch network: a bridge in a namespace of its own, one namespace per host
// plugged into it, and every process the demo starts inside them. It records what it
// creates so that `destroy` removes exactly that (processes by pid, then namespaces),
// and it never adds anything to the root namespace.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/** Prefix of every namespace the demo creates; the system test checks none is left. */
export const NAMESPACE_PREFIX = "tf-demo-";

export interface LabHost {
  /** Label in the demo's output, such as "cp" or "redis-primary". */
  label: string;
  namespace: string;
  address: string;
}

export class Lab {
  readonly id = randomBytes(3).toString("hex");
  readonly bridgeNamespace = `${NAMESPACE_PREFIX}${this.id}-br`;
  readonly hosts: LabHost[] = [];
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  /** Creates the bridge namespace with br0 up. */
  create(): void {
    this.addNamespace(this.bridgeNamespace);
    ip(["-n", this.bridgeNamespace, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", this.bridgeNamespace, "link", "set", "br0", "up"]);
  }

  /** Adds a host namespace with `address`/24 on eth0 and lo up, plugged into the bridge. */
  addHost(label: string, shortName: string, address: string): LabHost {
    const namespace = `${NAMESPACE_PREFIX}${this.id}-${shortName}`;
    this.addNamespace(namespace);
    const port = `v-${shortName}`;
    ip([
      "-n",
      this.bridgeNamespace,
      "link",
      "add",
      port,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      namespace,
    ]);
    ip(["-n", this.bridgeNamespace, "link", "set", port, "master", "br0", "up"]);
    ip(["-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0"]);
    ip(["-n", namespace, "link", "set", "eth0", "up"]);
    ip(["-n", namespace, "link", "set", "lo", "up"]);
    const host = { label, namespace, address };
    this.hosts.push(host);
    return host;
  }

  /**
   * Starts a long-running program inside a namespace in a process group of its own, so a
   * Ctrl-C in the terminal reaches only the demo, which then stops it in order.
   */
  spawnIn(
    namespace: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
  ): ChildProcess {
    const child = spawn("ip", ["netns", "exec", namespace, command, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env,
    });
    this.children.push(child);
    return child;
  }

  /** Runs a program inside a namespace and returns its output; never throws for an exit code. */
  execIn(
    namespace: string,
    command: string,
    args: string[],
    timeoutMs = 20_000,
  ): { code: number; stdout: string; stderr: string } {
    try {
      const stdout = execFileSync("ip", ["netns", "exec", namespace, command, ...args], {
        timeout: timeoutMs,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      return { code: 0, stdout, stderr: "" };
    } catch (error) {
      const failure = error as { status?: number | null; stdout?: string; stderr?: string };
      return { code: failure.status ?? 124, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
    }
  }

  /** Pids of the processes started here that still run. */
  runningPids(): number[] {
    return this.children.filter((child) => isRunning(child)).map((child) => child.pid!);
  }

  /**
   * Stops every process started here (SIGTERM, then SIGKILL after `graceMs`) and deletes
   * the namespaces. Processes started by others inside the namespaces (stunnel daemons,
   * the embedded PostgreSQL) are stopped by their owners' pid files before this.
   */
  async destroy(graceMs = 10_000): Promise<void> {
    for (const child of this.children) signal(child, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (this.children.some(isRunning) && Date.now() < deadline) await sleep(100);
    for (const child of this.children) signal(child, "SIGKILL");

    for (const name of [...this.namespaces].reverse()) {
      try {
        ip(["netns", "del", name]);
      } catch {
        // already gone
      }
    }
    this.namespaces.length = 0;
  }

  private addNamespace(name: string): void {
    ip(["netns", "add", name]);
    this.namespaces.push(name);
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (!isRunning(child)) return;
  try {
    process.kill(child.pid!, name);
  } catch {
    // exited in between
  }
}

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Stops the process named by the first line of `pidFile` (SIGTERM, then SIGKILL), if it runs. */
export async function stopByPidFile(pidFile: string, graceMs = 10_000): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]?.trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  if (!alive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(100);
  if (alive(pid)) process.kill(pid, "SIGKILL");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
