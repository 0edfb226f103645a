// An in-memory executor for unit tests: files, symlinks, processes and listening sockets
// live in maps, handlers the test registers run the commands, and every side
// effect is appended to `journal` so a test can assert the order of steps.
import { dirname } from "node:path";
import type { CommandResult, HostExecutor, ListeningSocket, RunOptions } from "./executor";

export type CommandHandler = (args: string[], options: RunOptions) => CommandResult | Promise<CommandResult>;

export class FakeExecutor implements HostExecutor {
  readonly files = new Map<string, { data: string; mode: number }>();
  readonly directories = new Map<string, number>();
  readonly symlinks = new Map<string, string>();
  /** pid -> command name of live processes. */
  readonly processes = new Map<number, string>();
  listening: ListeningSocket[] = [];
  readonly journal: string[] = [];
  /** Called for every signal to a live process, after it is journaled. */
  onSignal: ((pid: number, signal: NodeJS.Signals) => void) | undefined;
  private readonly handlers = new Map<string, CommandHandler>();

  /** Registers the handler for a program; unknown programs exit 127. */
  on(command: string, handler: CommandHandler): this {
    this.handlers.set(command, handler);
    return this;
  }

  async run(command: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
    this.journal.push(`run ${[command, ...args].join(" ")}`);
    const handler = this.handlers.get(command);
    if (!handler) return { code: 127, stdout: "", stderr: `${command}: not found` };
    return handler(args, options);
  }

  async readFile(path: string): Promise<string | undefined> {
    return this.files.get(this.resolve(path))?.data;
  }

  async writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
    this.journal.push(`write ${path}`);
    this.files.set(this.resolve(path), { data, mode });
  }

  async makeDirectory(path: string, mode: number): Promise<void> {
    this.directories.set(path, mode);
  }

  async replaceSymlink(target: string, path: string): Promise<void> {
    this.journal.push(`symlink ${path} -> ${target}`);
    this.symlinks.set(path, target);
  }

  async readSymlink(path: string): Promise<string | undefined> {
    return this.symlinks.get(path);
  }

  async removePath(path: string): Promise<void> {
    this.journal.push(`remove ${path}`);
    for (const key of [...this.files.keys()]) {
      if (key === path || key.startsWith(`${path}/`)) this.files.delete(key);
    }
    for (const key of [...this.directories.keys()]) {
      if (key === path || key.startsWith(`${path}/`)) this.directories.delete(key);
    }
    this.symlinks.delete(path);
  }

  async listDirectory(path: string): Promise<string[]> {
    const names = new Set<string>();
    for (const key of [...this.files.keys(), ...this.directories.keys()]) {
      if (key.startsWith(`${path}/`)) names.add(key.slice(path.length + 1).split("/")[0]!);
    }
    return [...names].sort();
  }

  async listListeningSockets(): Promise<ListeningSocket[]> {
    return [...this.listening];
  }

  async sendSignal(pid: number, signal: NodeJS.Signals): Promise<void> {
    this.journal.push(`signal ${signal} ${pid}`);
    if (!this.processes.has(pid)) throw Object.assign(new Error(`kill ESRCH ${pid}`), { code: "ESRCH" });
    if (signal === "SIGTERM" || signal === "SIGKILL") this.processes.delete(pid);
    this.onSignal?.(pid, signal);
  }

  async processName(pid: number): Promise<string | undefined> {
    return this.processes.get(pid);
  }

  async sleep(): Promise<void> {}

  /** Resolves a path whose parent directory is a symlink registered with replaceSymlink. */
  private resolve(path: string): string {
    const parent = dirname(path);
    const target = this.symlinks.get(parent);
    if (!target) return path;
    const base = target.startsWith("/") ? target : `${dirname(parent)}/${target}`;
    return `${base}/${path.slice(parent.length + 1)}`;
  }
}
