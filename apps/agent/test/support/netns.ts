// Scratch network namespaces for system tests: hosts on a bridge that lives in a namespace
// of its own, addresses 10.213.0.x assigned only inside them. Everything created here is
// removed by `destroy`, which also stops every process this helper started (by pid).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface NetnsHost {
  name: string;
  address: string;
}

export class NetnsLab {
  readonly prefix = `tf-ag-${randomBytes(3).toString("hex")}`;
  readonly bridgeNs = `${this.prefix}-br`;
  readonly hosts: NetnsHost[] = [];
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  /** Creates the bridge namespace. */
  create(): void {
    this.addNamespace(this.bridgeNs);
    ip(["-n", this.bridgeNs, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", this.bridgeNs, "link", "set", "br0", "up"]);
  }

  /** Adds a host namespace with `address`/24 on eth0, plugged into the bridge. */
  addHost(label: string, address: string): NetnsHost {
    const name = `${this.prefix}-${label}`;
    this.addNamespace(name);
    const port = `v-${label}`;
    ip(["-n", this.bridgeNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", name]);
    ip(["-n", this.bridgeNs, "link", "set", port, "master", "br0", "up"]);
    ip(["-n", name, "addr", "add", `${address}/24`, "dev", "eth0"]);
    ip(["-n", name, "link", "set", "eth0", "up"]);
    ip(["-n", name, "link", "set", "lo", "up"]);
    const host = { name, address };
    this.hosts.push(host);
    return host;
  }

  /** Starts a long-running program inside a namespace; `destroy` stops it. */
  spawnIn(namespace: string, command: string, args: string[]): ChildProcess {
    const child = spawn("ip", ["netns", "exec", namespace, command, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.children.push(child);
    return child;
  }

  /** Starts a Redis server without persistence on `address`:6379 inside a namespace. */
  startRedis(namespace: string, address: string): ChildProcess {
    const options = [
      "--bind",
      address,
      "--port",
      "6379",
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
    ];
    return this.spawnIn(namespace, "redis-server", options);
  }

  /** Runs a program inside a namespace and returns its output; never throws for an exit code. */
  execIn(
    namespace: string,
    command: string,
    args: string[],
    options: { input?: string; timeoutMs?: number } = {},
  ): { code: number; stdout: string; stderr: string } {
    try {
      const stdout = execFileSync("ip", ["netns", "exec", namespace, command, ...args], {
        input: options.input ?? "",
        timeout: options.timeoutMs ?? 20_000,
        encoding: "utf8",
        stdio: ["pipe", "pipe", "pipe"],
      });
      return { code: 0, stdout, stderr: "" };
    } catch (error) {
      const failure = error as { status?: number | null; stdout?: string; stderr?: string };
      return { code: failure.status ?? 124, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
    }
  }

  async destroy(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    for (const name of [...this.namespaces].reverse()) {
      try {
        ip(["netns", "del", name]);
      } catch {
        // already gone
      }
    }
  }

  private addNamespace(name: string): void {
    ip(["netns", "add", name]);
    this.namespaces.push(name);
  }
}

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  description: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${description}${last ? `: ${String(last)}` : ""}`,
  );
}
