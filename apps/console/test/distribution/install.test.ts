// The one-line join command end to end on loopback: a stand-in gateway on 127.0.0.1
// serves the real distribution handler and the real agent bundle, and the line runs as a
// node would run it, from a directory outside the repository, installing under a temp
// prefix (TUNNELFLEET_PREFIX) instead of /usr/local.
import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentArtefact } from "../../src/distribution/artefact";
import { renderJoinCommand } from "../../src/distribution/join-command";
import { buildTestArtefact, type DistributionServer, startDistributionServer } from "./support";

const execFileAsync = promisify(execFile);
const TOKEN = "tfj_loopback-install-token-0123456789";
const isRoot = process.getuid?.() === 0;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let built: Awaited<ReturnType<typeof buildTestArtefact>>;
const cleanups: (() => Promise<void> | void)[] = [];

const SYSTEM_PATH = `${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`;

/** Runs a join command with a PATH that reaches Node.js and the system tools, not the repository. */
async function runLine(
  line: string,
  prefix: string,
  path = SYSTEM_PATH,
  extraEnv: Record<string, string> = {},
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileAsync("sh", ["-c", line], {
      cwd: prefix,
      env: {
        ...extraEnv,
        PATH: path,
        HOME: prefix,
        TUNNELFLEET_PREFIX: prefix,
        NODE_ENV: "production",
      },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? 1, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
  }
}

function newPrefix(): string {
  const prefix = mkdtempSync(join(tmpdir(), "tunnelfleet-prefix-"));
  cleanups.push(() => rmSync(prefix, { recursive: true, force: true }));
  return prefix;
}

async function startServer(artefact: AgentArtefact): Promise<DistributionServer> {
  const server = await startDistributionServer(artefact);
  cleanups.push(() => server.close());
  return server;
}

/**
 * Returns a PATH of one directory that links every program of /usr/bin except those whose
 * name starts with one of `without`, plus the programs given in `replace` as shell scripts.
 */
function toolPath(without: string[], replace: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "tunnelfleet-path-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  for (const name of readdirSync("/usr/bin")) {
    if (without.some((excluded) => name.startsWith(excluded)) || name in replace) continue;
    symlinkSync(join("/usr/bin", name), join(bin, name));
  }
  if (!existsSync(join(bin, "node")) && !("node" in replace))
    symlinkSync(process.execPath, join(bin, "node"));
  for (const [name, script] of Object.entries(replace)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return `${bin}:/usr/sbin`;
}

beforeAll(async () => {
  built = await buildTestArtefact();
  cleanups.push(() => rmSync(built.dir, { recursive: true, force: true }));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe.skipIf(!isRoot)("join command on loopback", () => {
  it("installs, joins and is safe to run again", async () => {
    const server = await startServer(built.artefact);
    const prefix = newPrefix();
    const line = renderJoinCommand({
      serverUrl: server.url,
      token: TOKEN,
      caHash: server.caHash,
      hostName: "node-7",
    });

    const first = await runLine(`${line} --no-start`, prefix);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`installed agent ${built.artefact.manifest.version}`);
    expect(first.stdout).toContain("not starting the agent (--no-start)");

    const agentFile = join(prefix, "usr/local/lib/tunnelfleet/tunnelfleet-agent.mjs");
    expect(readFileSync(agentFile).equals(built.artefact.bytes)).toBe(true);
    expect(readlinkSync(join(prefix, "usr/local/bin/tunnelfleet-agent"))).toBe(agentFile);
    const identity = JSON.parse(
      readFileSync(join(prefix, "etc/tunnelfleet/identity/identity.json"), "utf8"),
    ) as {
      server: string;
      hostName: string;
    };
    expect(identity.server).toBe(server.url);
    expect(identity.hostName).toBe("node-7");
    expect(server.enrolments).toHaveLength(1);

    const second = await runLine(`${line} --no-start`, prefix);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("is already installed");
    expect(second.stdout).toContain("already joined");
    expect(server.enrolments).toHaveLength(1);
  });

  it("stops at a wrong CA hash before downloading anything", async () => {
    const server = await startServer(built.artefact);
    const prefix = newPrefix();
    const wrongHash = `sha256:${"0".repeat(64)}`;
    const line = renderJoinCommand({ serverUrl: server.url, token: TOKEN, caHash: wrongHash });

    const result = await runLine(line, prefix);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`not the pinned ${wrongHash}; stopped before downloading anything`);
    expect(server.requests).toEqual(["GET /v1/agent/ca.pem"]);
    expect(readdirSync(prefix)).toEqual([]);
  });

  it("refuses a tampered artefact and installs nothing", async () => {
    const tampered = Buffer.concat([built.artefact.bytes, Buffer.from("\nconsole.log('tampered');\n")]);
    const server = await startServer({ bytes: tampered, manifest: built.artefact.manifest });
    const prefix = newPrefix();
    const line = renderJoinCommand({ serverUrl: server.url, token: TOKEN, caHash: server.caHash });

    const result = await runLine(line, prefix);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `but the manifest says ${built.artefact.manifest.sha256}; nothing was installed`,
    );
    expect(server.requests).toContain("GET /v1/agent/tunnelfleet-agent.js");
    expect(server.enrolments).toHaveLength(0);
    expect(readdirSync(prefix)).toEqual([]);
  });

  it("registers the agent with systemd", async () => {
    const server = await startServer(built.artefact);
    const prefix = newPrefix();
    const systemdRunDir = mkdtempSync(join(tmpdir(), "tunnelfleet-systemd-"));
    cleanups.push(() => rmSync(systemdRunDir, { recursive: true, force: true }));
    const systemctlLog = join(systemdRunDir, "systemctl.log");
    const path = toolPath([], { systemctl: `printf '%s\\n' "$*" >> ${systemctlLog}` });
    const line = renderJoinCommand({ serverUrl: server.url, token: TOKEN, caHash: server.caHash });

    const result = await runLine(line, prefix, path, { TUNNELFLEET_SYSTEMD_RUN_DIR: systemdRunDir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("agent service tunnelfleet-agent is enabled and running");

    const unit = readFileSync(join(prefix, "etc/systemd/system/tunnelfleet-agent.service"), "utf8");
    const agentFile = join(prefix, "usr/local/lib/tunnelfleet/tunnelfleet-agent.mjs");
    const stateOptions = `--state-dir ${prefix}/etc/tunnelfleet --run-dir ${prefix}/run/tunnelfleet`;
    expect(unit).toContain(`\nExecStart=${process.execPath} ${agentFile} run ${stateOptions}\n`);
    expect(readFileSync(systemctlLog, "utf8").split("\n")).toEqual([
      "daemon-reload",
      "enable --now tunnelfleet-agent",
      "restart tunnelfleet-agent",
      "",
    ]);
  });

  it("stops when stunnel is missing", async () => {
    const server = await startServer(built.artefact);
    const prefix = newPrefix();
    const line = renderJoinCommand({ serverUrl: server.url, token: TOKEN, caHash: server.caHash });

    const result = await runLine(line, prefix, toolPath(["stunnel"]));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("stunnel is not installed");
    expect(result.stderr).toContain("apt-get install -y stunnel4");
    expect(result.stderr).toContain("--install-deps");
    expect(server.requests).toEqual(["GET /v1/agent/ca.pem", "GET /v1/install.sh"]);
    expect(readdirSync(prefix)).toEqual([]);
  });

  it("stops when Node.js is too old", async () => {
    const server = await startServer(built.artefact);
    const prefix = newPrefix();
    const line = renderJoinCommand({ serverUrl: server.url, token: TOKEN, caHash: server.caHash });

    const result = await runLine(line, prefix, toolPath([], { node: "echo 18.19.0" }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Node.js 18.19.0 is too old; the agent needs Node.js 20 or newer");
    expect(readdirSync(prefix)).toEqual([]);
  });

  it("refuses a node joined to another server", async () => {
    const server = await startServer(built.artefact);
    const prefix = newPrefix();
    const line = renderJoinCommand({ serverUrl: server.url, token: TOKEN, caHash: server.caHash });
    expect((await runLine(`${line} --no-start`, prefix)).code).toBe(0);

    const identityFile = join(prefix, "etc/tunnelfleet/identity/identity.json");
    const identity = JSON.parse(readFileSync(identityFile, "utf8")) as Record<string, string>;
    writeFileSync(identityFile, JSON.stringify({ ...identity, server: "https://other.example:8443" }));

    const result = await runLine(`${line} --no-start`, prefix);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("already joined to another control plane (https://other.example:8443)");
    expect(server.enrolments).toHaveLength(1);
    expect(existsSync(join(prefix, "usr/local/bin/tunnelfleet-agent"))).toBe(true);
  });
});
