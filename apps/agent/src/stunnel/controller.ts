// Starts, reloads, stops and confirms the one stunnel daemon the agent runs per host.
// Measured with stunnel 5.68: a SIGHUP whose config fails to parse keeps the old config
// and logs "Failed to reload the configuration file". A SIGHUP whose new service cannot
// bind logs "Configuration successful", then "Binding service [x] failed", and leaves
// every listener of the process down. So confirmation checks both the log and the sockets.
import type { HostExecutor, ListeningSocket } from "../executor/executor";
import type { AcceptAddress } from "./config";

export interface StunnelFiles {
  binary: string;
  /** Stable path of the config (through the `current` generation link). */
  confPath: string;
  pidFile: string;
  logFile: string;
}

export class StunnelError extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(details.length > 0 ? `${message}: ${details.join("; ")}` : message);
    this.name = "StunnelError";
  }
}

const STUNNEL_PROCESS_NAMES = new Set(["stunnel", "stunnel4"]);
const POLL_INTERVAL_MS = 50;

export class StunnelController {
  constructor(
    private readonly executor: HostExecutor,
    readonly files: StunnelFiles,
    private readonly confirmTimeoutMs = 10_000,
    private readonly failureSettleMs = 1000,
  ) {}

  /** Returns the daemon's pid, or undefined when the pid file is missing, stale or names another program. */
  async readPid(): Promise<number | undefined> {
    const text = await this.executor.readFile(this.files.pidFile);
    const pid = Number(text?.trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const name = await this.executor.processName(pid);
    return name && STUNNEL_PROCESS_NAMES.has(name) ? pid : undefined;
  }

  /** Starts the daemon and waits for its pid file. Throws with stunnel's `[!]` lines when it exits non-zero. */
  async start(): Promise<number> {
    const result = await this.executor.run(this.files.binary, [this.files.confPath], { timeoutMs: 30_000 });
    if (result.code !== 0) {
      const lines = `${result.stderr}\n${result.stdout}`
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.startsWith("[!]"));
      throw new StunnelError(
        `stunnel failed to start with ${this.files.confPath} (exit ${result.code})`,
        lines,
      );
    }

    const deadline = Date.now() + this.confirmTimeoutMs;
    while (Date.now() < deadline) {
      const pid = await this.readPid();
      if (pid) return pid;
      await this.executor.sleep(POLL_INTERVAL_MS);
    }
    throw new StunnelError(`stunnel started but wrote no pid to ${this.files.pidFile}`);
  }

  /** Sends SIGHUP; stunnel re-reads the config path, certificates, keys and CRLs. */
  async reload(pid: number): Promise<void> {
    await this.executor.sendSignal(pid, "SIGHUP");
  }

  /** Sends SIGTERM and waits for the process to go, then SIGKILL. Only ever signals the pid from our pid file. */
  async stop(pid: number, timeoutMs = 15_000): Promise<void> {
    await this.signalIfAlive(pid, "SIGTERM");
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.executor.processName(pid))) return;
      await this.executor.sleep(POLL_INTERVAL_MS);
    }
    await this.signalIfAlive(pid, "SIGKILL");
  }

  /** Length of the log now, so that confirmation reads only what a start or reload wrote. */
  async logOffset(): Promise<number> {
    return (await this.executor.readFile(this.files.logFile))?.length ?? 0;
  }

  /**
   * Waits until the daemon's latest configuration cycle after `offset` logged
   * "Configuration successful" with no failed bind, and every accept address listens.
   * After a failed bind stunnel 5.68 re-reads its config in a loop, so a failure logged
   * by a cycle that read the previous file can appear after `offset`. A failure counts
   * only when the latest cycle still shows it after `failureSettleMs`.
   */
  async confirm(pid: number, accepts: AcceptAddress[], offset: number): Promise<void> {
    const deadline = Date.now() + this.confirmTimeoutMs;
    let missing: AcceptAddress[] = accepts;
    let failingSince: number | undefined;

    while (Date.now() < deadline) {
      if (!(await this.executor.processName(pid))) {
        throw new StunnelError(`stunnel (pid ${pid}) exited during the reload`);
      }

      const cycle = latestCycle(((await this.executor.readFile(this.files.logFile)) ?? "").slice(offset));
      const failure = findLogFailure(cycle);
      if (failure.length === 0) {
        failingSince = undefined;
        if (cycle.includes("Configuration successful")) {
          missing = missingListeners(accepts, await this.executor.listListeningSockets());
          if (missing.length === 0) return;
        }
      } else {
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= this.failureSettleMs) {
          throw new StunnelError("stunnel rejected the configuration", failure);
        }
      }
      await this.executor.sleep(POLL_INTERVAL_MS);
    }

    const names = missing.map((accept) => `[${accept.service}] ${accept.address}:${accept.port}`);
    throw new StunnelError(
      `stunnel did not confirm the configuration within ${this.confirmTimeoutMs} ms`,
      names,
    );
  }

  private async signalIfAlive(pid: number, signal: NodeJS.Signals): Promise<void> {
    try {
      await this.executor.sendSignal(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }
}

/** Returns the log from the last "Reading configuration from file" line on, or all of it when there is none. */
export function latestCycle(log: string): string {
  const start = log.lastIndexOf("Reading configuration from file");
  return start < 0 ? log : log.slice(log.lastIndexOf("\n", start) + 1);
}

/** Lines of a stunnel 5.x log that mean the new configuration is not serving. */
export function findLogFailure(log: string): string[] {
  return log
    .split("\n")
    .filter(
      (line) =>
        line.includes("Failed to reload the configuration file") ||
        /Binding service \[[^\]]*\] (failed|to \S+: )/.test(line) ||
        line.includes("Configuration failed"),
    )
    .map((line) => line.replace(/^\S+ \S+ /, "").trim())
    .slice(0, 5);
}

/** Returns the accept addresses that no listening socket covers. */
export function missingListeners(accepts: AcceptAddress[], sockets: ListeningSocket[]): AcceptAddress[] {
  return accepts.filter(
    (accept) =>
      !sockets.some(
        (socket) =>
          socket.port === accept.port &&
          (socket.address === accept.address || socket.address === "0.0.0.0" || socket.address === "::"),
      ),
  );
}
