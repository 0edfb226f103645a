// Builds the single-file agent and runs it from a directory outside the repository, with
// no node_modules in reach, as a node that downloaded it would.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentBundleInfo, buildAgentBundle } from "../../build/build.mjs";
import { type EnrolServer, startEnrolServer } from "./enrol-server";

const run = promisify(execFile);
const agentPackage = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as {
  version: string;
};

let workDir: string;
let bundle: AgentBundleInfo;
let installed: string;

/** Runs the installed bundle with a PATH that holds only Node.js and the system tools. */
function runAgent(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(installed, args, {
    cwd: workDir,
    env: { PATH: `${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: workDir },
    timeout: 60_000,
  });
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "tunnelfleet-bundle-"));
  bundle = await buildAgentBundle({ outfile: join(workDir, "build-1", "tunnelfleet-agent.mjs") });
  installed = join(workDir, "node", "tunnelfleet-agent.mjs");
  mkdirSync(dirname(installed));
  copyFileSync(bundle.path, installed);
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe("agent bundle", () => {
  it("starts with a node shebang and is executable", () => {
    const firstLine = readFileSync(bundle.path, "utf8").split("\n", 1)[0];
    expect(firstLine).toBe("#!/usr/bin/env node");
    expect(statSync(bundle.path).mode & 0o111).toBe(0o111);
  });

  it("prints the package version", async () => {
    const { stdout } = await runAgent(["--version"]);
    expect(stdout.trim()).toBe(agentPackage.version);
    expect(bundle.version).toBe(agentPackage.version);
  });

  it("prints help with every command", async () => {
    const { stdout } = await runAgent(["--help"]);
    for (const command of ["join", "run", "status", "uninstall", "install-service"]) {
      expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
  });

  it("builds the same bytes twice", async () => {
    const second = await buildAgentBundle({ outfile: join(workDir, "build-2", "tunnelfleet-agent.mjs") });
    expect(second.sha256).toBe(bundle.sha256);
    expect(second.size).toBe(bundle.size);
  });

  it("is ASCII only", () => {
    const bytes = readFileSync(bundle.path);
    const firstNonAscii = bytes.findIndex((byte) => byte > 0x7f);
    expect(firstNonAscii).toBe(-1);
  });

  it("contains no absolute path of the build machine", () => {
    const text = readFileSync(bundle.path, "utf8");
    expect(text).not.toContain(workDir);
    expect(text).not.toContain(join(import.meta.dirname, "../../../.."));
  });
});

describe("agent bundle install-service", () => {
  it("writes a unit that runs the bundle itself", async () => {
    const unitDir = join(workDir, "units");
    await runAgent(["install-service", "--unit-dir", unitDir, "--state-dir", "/etc/tf", "--run-dir", "/run/tf"]);
    const unit = readFileSync(join(unitDir, "tunnelfleet-agent.service"), "utf8");
    expect(unit).toContain(`\nExecStart=${process.execPath} ${installed} run --state-dir /etc/tf --run-dir /run/tf\n`);
  });
});

describe("agent bundle join", () => {
  let server: EnrolServer;

  beforeAll(async () => {
    server = await startEnrolServer();
  });

  afterAll(async () => {
    await server?.close();
  });

  it("enrols with a CSR that openssl verifies", async () => {
    const stateDir = join(workDir, "state");
    const { stdout } = await runAgent([
      "join",
      "--server",
      server.url,
      "--token",
      "bundle-test-token-0123456789",
      "--ca-hash",
      server.caHash,
      "--name",
      "node-1",
      "--state-dir",
      stateDir,
      "--run-dir",
      join(workDir, "run"),
    ]);
    expect(stdout).toContain("joined");
    expect(server.requests).toHaveLength(1);

    const csrFile = join(workDir, "agent.csr");
    writeFileSync(csrFile, server.requests[0]?.agentCsrPem ?? "");
    const { stderr } = await run("openssl", ["req", "-in", csrFile, "-noout", "-verify"]);
    expect(stderr).toMatch(/verify OK/i);

    const identity = JSON.parse(readFileSync(join(stateDir, "identity", "identity.json"), "utf8")) as {
      server: string;
      caHash: string;
    };
    expect(identity.server).toBe(server.url);
    expect(identity.caHash).toBe(server.caHash);
  });

  it("refuses a CA whose hash differs from the pin", async () => {
    const wrongHash = `sha256:${"0".repeat(64)}`;
    const attempt = runAgent([
      "join",
      "--server",
      server.url,
      "--token",
      "bundle-test-token-0123456789",
      "--ca-hash",
      wrongHash,
      "--state-dir",
      join(workDir, "state-wrong"),
    ]);
    await expect(attempt).rejects.toMatchObject({ stderr: expect.stringContaining("refusing to join") });
  });
});
