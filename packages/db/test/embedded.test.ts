import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from "../src/embedded";
import { isRoot, lookupUser, SERVER_USER } from "../src/server-user";
import { withClient } from "./helpers";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function scratchDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tunnelfleet-embedded-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(dataDir: string): Promise<EmbeddedPostgresServer> {
  const server = await startEmbeddedPostgres({ dataDir, settings: { fsync: "off" } });
  cleanups.push(() => server.stop());
  return server;
}

/** Returns the uid of the postmaster process serving `pgDir`. */
async function postmasterUid(pgDir: string): Promise<number> {
  const pid = (await readFile(join(pgDir, "postmaster.pid"), "utf8")).split("\n")[0];
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const uidLine = status.split("\n").find((line) => line.startsWith("Uid:"));
  return Number.parseInt(uidLine!.split(/\s+/)[1]!, 10);
}

/** Listens on 127.0.0.1:port until the test ends. */
async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolveListen);
  });
  cleanups.push(() => new Promise<void>((resolveClose) => server.close(() => resolveClose())));
  return server;
}

describe("startEmbeddedPostgres", () => {
  it("creates the tunnelfleet database on loopback", async () => {
    const server = await start(await scratchDir());

    const settings = await withClient(server.url, async (client) => {
      const { rows } = await client.query<{ database: string; listen: string; sockets: string }>(
        `SELECT current_database() AS database, current_setting('listen_addresses') AS listen,
                current_setting('unix_socket_directories') AS sockets`,
      );
      return rows[0]!;
    });
    expect(settings.database).toBe("tunnelfleet");
    expect(settings.listen).toBe("127.0.0.1");
    expect(settings.sockets).toBe("");
    expect(new URL(server.url).hostname).toBe("127.0.0.1");
  });

  it.runIf(isRoot())("runs the server as the postgres user under root", async () => {
    const dataDir = await scratchDir();
    const server = await start(dataDir);
    const user = await lookupUser(SERVER_USER);

    expect(user).toBeDefined();
    expect(await postmasterUid(server.pgDir)).toBe(user!.uid);
    expect((await stat(server.pgDir)).uid).toBe(user!.uid);
    expect((await stat(join(dataDir, "postgres.json"))).mode & 0o777).toBe(0o600);
  });

  it("keeps data and port across a restart", async () => {
    const dataDir = await scratchDir();
    const first = await startEmbeddedPostgres({ dataDir, settings: { fsync: "off" } });
    await withClient(first.url, (client) =>
      client.query("CREATE TABLE kept (value text); INSERT INTO kept VALUES ('x')"),
    );
    await first.stop();

    const second = await start(dataDir);

    expect(second.port).toBe(first.port);
    const rows = await withClient(
      second.url,
      async (client) => (await client.query("SELECT value FROM kept")).rows,
    );
    expect(rows).toEqual([{ value: "x" }]);
  });

  it("starts over a stale postmaster.pid", async () => {
    const dataDir = await scratchDir();
    const first = await startEmbeddedPostgres({ dataDir, settings: { fsync: "off" } });
    const pidFile = join(first.pgDir, "postmaster.pid");
    const lockContent = await readFile(pidFile, "utf8");
    await first.stop();
    // A crash leaves the lock file behind, and its PID now names an exited process.
    const exited = spawnSync("true");
    await writeFile(pidFile, lockContent.replace(/^\d+/, String(exited.pid)));

    const second = await start(dataDir);

    const rows = await withClient(second.url, async (client) => (await client.query("SELECT 1 AS one")).rows);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("rejects a second server on a running data directory", async () => {
    const dataDir = await scratchDir();
    await start(dataDir);

    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(
      /PostgreSQL is already running on .*pg \(pid \d+\)/,
    );
  });

  it("moves off a previous port now taken", async () => {
    const dataDir = await scratchDir();
    const first = await startEmbeddedPostgres({ dataDir, settings: { fsync: "off" } });
    await first.stop();
    await occupy(first.port);

    const second = await start(dataDir);

    expect(second.port).not.toBe(first.port);
    const rows = await withClient(second.url, async (client) => (await client.query("SELECT 1 AS one")).rows);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("rejects a requested port that is taken", async () => {
    const dataDir = await scratchDir();
    const probe = await occupy(0);
    const address = probe.address();
    const port = typeof address === "object" && address ? address.port : 0;

    await expect(startEmbeddedPostgres({ dataDir, port })).rejects.toThrow(
      new RegExp(`failed to start on 127\\.0\\.0\\.1:${port}[\\s\\S]*could not bind`),
    );
  });

  it("rejects an invalid port", async () => {
    const dataDir = await scratchDir();

    await expect(startEmbeddedPostgres({ dataDir, port: 70000 })).rejects.toThrow(/invalid port 70000/);
  });
});
