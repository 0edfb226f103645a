// Helpers of the full-stack system tests: the real agent CLI run inside a node's network
// namespace, and the cleanup of a control plane's embedded PostgreSQL.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentStatus } from "../../src/status";
import type { NetnsHost } from "./netns";

export const agentBin = join(import.meta.dirname, "../../bin/tunnelfleet-agent.mjs");

/** A node's namespace and the agent's directories in it. */
export interface AgentNode {
  host: NetnsHost;
  stateDir: string;
  runDir: string;
}

/** Runs `tunnelfleet-agent <args>` inside the node's namespace and returns its stdout. Throws on a non-zero exit. */
export function agentCommand(node: AgentNode, args: string[], timeoutMs = 90_000): string {
  return execFileSync(
    "ip",
    [
      "netns",
      "exec",
      node.host.name,
      process.execPath,
      agentBin,
      ...args,
      "--state-dir",
      node.stateDir,
      "--run-dir",
      node.runDir,
    ],
    { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** Returns the output of `tunnelfleet-agent status --json`, or undefined when it printed none. */
export function agentStatus(node: AgentNode): AgentStatus | undefined {
  try {
    return JSON.parse(agentCommand(node, ["status", "--json"])) as AgentStatus;
  } catch (error) {
    // status exits 2 while the node is not healthy, and its JSON is still on stdout.
    const stdout = (error as { stdout?: string }).stdout;
    return stdout ? (JSON.parse(stdout) as AgentStatus) : undefined;
  }
}

/** Stops the embedded PostgreSQL below `dataDir` by the pid in its postmaster.pid, if it still runs. */
export function stopLeftoverPostgres(dataDir: string): void {
  const search = (dir: string): string | undefined => {
    if (!existsSync(dir)) return undefined;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isFile() && entry.name === "postmaster.pid") return path;
      if (entry.isDirectory()) {
        const found = search(path);
        if (found) return found;
      }
    }
    return undefined;
  };
  try {
    const pidFile = search(dataDir);
    if (!pidFile) return;
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGTERM");
  } catch {
    // already stopped
  }
}
