// Starts control-plane.ts in a network namespace as a child process and reads its events.
// Used by the install system test and by bench/agent-footprint.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const REPOSITORY_ROOT = join(import.meta.dirname, "../../../../..");
const CONTROL_PLANE_SCRIPT = join(import.meta.dirname, "control-plane.ts");
/** Start-up includes initdb of the embedded PostgreSQL on a busy two-core machine. */
const READY_TIMEOUT_MS = 180_000;

export interface ReadyEvent {
  gatewayUrl: string;
  token: string;
  caHash: string;
  /** The join command the console returned with the token. */
  installCommand: string;
}

export interface ConnectedEvent {
  hostId: string;
  hostName: string;
  agentVersion: string | null;
}

export interface ControlPlaneProcess {
  ready: ReadyEvent;
  /** Resolves when the first agent session is recorded; rejects after `timeoutMs`. */
  connected(timeoutMs: number): Promise<ConnectedEvent>;
  /** Sends SIGTERM, waits up to 30 s, then SIGKILL. */
  stop(): Promise<void>;
}

export async function startControlPlaneProcess(options: {
  namespace: string;
  address: string;
  dataDir: string;
  artefactPath: string;
}): Promise<ControlPlaneProcess> {
  const child: ChildProcess = spawn(
    "ip",
    [
      "netns",
      "exec",
      options.namespace,
      process.execPath,
      "--import",
      "tsx",
      CONTROL_PLANE_SCRIPT,
      options.dataDir,
      options.address,
      options.artefactPath,
    ],
    { cwd: REPOSITORY_ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );

  const stop = async () => {
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref())]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };

  let resolveConnected: (event: ConnectedEvent) => void = () => undefined;
  const connected = new Promise<ConnectedEvent>((resolve) => {
    resolveConnected = resolve;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });

  let ready: ReadyEvent;
  try {
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
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    ready,
    connected: (timeoutMs) =>
      Promise.race([
        connected,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("the agent did not connect in time")), timeoutMs).unref(),
        ),
      ]),
    stop,
  };
}
