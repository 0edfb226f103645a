// The side effects the agent performs on its node: commands, files, listening sockets,
// signals. Everything above this interface is testable with the fake in fake-executor.ts.

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text written to the command's stdin. */
  input?: string;
  /** Kill the command after this many milliseconds. */
  timeoutMs?: number;
}

/** A TCP socket in LISTEN state: local address (canonical, without brackets) and port. */
export interface ListeningSocket {
  address: string;
  port: number;
}

export interface HostExecutor {
  /** Runs a program without a shell. Never throws for a non-zero exit code. */
  run(command: string, args: string[], options?: RunOptions): Promise<CommandResult>;
  /** Returns the file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Writes through a temporary file in the same directory and a rename, so readers see old or new. */
  writeFileAtomic(path: string, data: string, mode: number): Promise<void>;
  /** Creates the directory and its parents; sets the mode of the last one. */
  makeDirectory(path: string, mode: number): Promise<void>;
  /** Points `path` at `target` with a rename over the old link, so there is no moment without a link. */
  replaceSymlink(target: string, path: string): Promise<void>;
  /** Returns the link's target, or undefined when there is no link. */
  readSymlink(path: string): Promise<string | undefined>;
  /** Removes a file or a directory tree; missing paths are fine. */
  removePath(path: string): Promise<void>;
  listDirectory(path: string): Promise<string[]>;
  /** Sockets listening in the network namespace the agent manages. */
  listListeningSockets(): Promise<ListeningSocket[]>;
  sendSignal(pid: number, signal: NodeJS.Signals): Promise<void>;
  /** Returns the process's name (the Name field of /proc/<pid>/status), or undefined when it is gone or a zombie. */
  processName(pid: number): Promise<string | undefined>;
  sleep(ms: number): Promise<void>;
}
