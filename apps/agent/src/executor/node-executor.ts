// The real executor: node:child_process without a shell, node:fs with atomic renames.
// With `netns` set, commands (and the socket listing) run inside that network namespace
// through `ip netns exec`; the system tests and the benchmark use this.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { CommandResult, HostExecutor, ListeningSocket, RunOptions } from "./executor";

export interface NodeExecutorOptions {
  /** Network namespace to run commands in; unset means the agent's own namespace. */
  netns?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class NodeExecutor implements HostExecutor {
  constructor(private readonly options: NodeExecutorOptions = {}) {}

  run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    const [file, argv] = this.options.netns
      ? ["ip", ["netns", "exec", this.options.netns, command, ...args]]
      : [command, args];

    return new Promise((resolve) => {
      const child = execFile(
        file,
        argv,
        { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== "number") {
            // Spawn failures (ENOENT) and timeouts have no exit code; report them as 127/124.
            const code = error.code === "ENOENT" ? 127 : 124;
            resolve({ code, stdout, stderr: stderr || error.message });
            return;
          }
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
    const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
    await writeFile(temporary, data, { mode });
    await chmod(temporary, mode);
    await rename(temporary, path);
  }

  async makeDirectory(path: string, mode: number): Promise<void> {
    await mkdir(path, { recursive: true, mode });
    await chmod(path, mode);
  }

  async replaceSymlink(target: string, path: string): Promise<void> {
    const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.lnk`);
    await symlink(target, temporary);
    await rename(temporary, path);
  }

  async readSymlink(path: string): Promise<string | undefined> {
    try {
      return await readlink(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EINVAL") return undefined;
      throw error;
    }
  }

  async removePath(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  async listDirectory(path: string): Promise<string[]> {
    try {
      return await readdir(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  async listListeningSockets(): Promise<ListeningSocket[]> {
    const result = await this.run("ss", ["-ltnH"]);
    if (result.code !== 0) {
      throw new Error(
        `listing listening sockets with "ss -ltnH" failed (exit ${result.code}): ${result.stderr.trim()}`,
      );
    }
    return parseSsListening(result.stdout);
  }

  async sendSignal(pid: number, signal: NodeJS.Signals): Promise<void> {
    process.kill(pid, signal);
  }

  async processName(pid: number): Promise<string | undefined> {
    const status = await this.readFile(`/proc/${pid}/status`).catch(() => undefined);
    if (!status) return undefined;
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (state === "Z" || state === "X") return undefined;
    return /^Name:\s+(\S+)/m.exec(status)?.[1];
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** Parses `ss -ltnH` output: the fourth column is the local address and port. */
export function parseSsListening(output: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of output.split("\n")) {
    const columns = line.trim().split(/\s+/);
    const local = columns[3];
    if (!local) continue;
    const separator = local.lastIndexOf(":");
    if (separator < 0) continue;
    let address = local.slice(0, separator);
    const port = Number(local.slice(separator + 1));
    if (!Number.isInteger(port)) continue;
    address = address.replace(/^\[/, "").replace(/\]$/, "").replace(/%.*$/, "");
    if (address === "*") address = "0.0.0.0";
    sockets.push({ address, port });
  }
  return sockets;
}
