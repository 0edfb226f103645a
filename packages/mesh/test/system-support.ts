// Helpers of the system tests: scratch network namespaces, commands run inside them,
// and certificates made with the openssl CLI. Only for tests that run as root.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; throws with its output when it exits non-zero, unless `allowFailure`. */
export function run(
  command: string,
  args: string[],
  options: { input?: string; allowFailure?: boolean } = {},
): CommandResult {
  const result = spawnSync(command, args, { input: options.input, encoding: "utf8", timeout: 30_000 });
  if (result.error) throw new Error(`${command} ${args.join(" ")} could not run: ${result.error.message}`);
  const outcome = { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  if (outcome.status !== 0 && !options.allowFailure) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${outcome.status}: ${outcome.stderr}${outcome.stdout}`,
    );
  }
  return outcome;
}

/** Resolves when a child started by Namespace.spawn has exited and its output is read. */
const closedChildren = new WeakMap<ChildProcess, Promise<void>>();

/** A scratch network namespace with loopback up. Delete it in afterAll or finally. */
export class Namespace {
  readonly name = `tf-mesh-${randomBytes(4).toString("hex")}`;

  constructor() {
    run("ip", ["netns", "add", this.name]);
    run("ip", ["-n", this.name, "link", "set", "lo", "up"]);
  }

  /** Runs a command inside the namespace. */
  exec(
    command: string,
    args: string[],
    options: { input?: string; allowFailure?: boolean } = {},
  ): CommandResult {
    return run("ip", ["netns", "exec", this.name, command, ...args], options);
  }

  /** Runs a command inside the namespace without blocking the event loop, so output of running children is still read. */
  execAsync(command: string, args: string[]): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("ip", ["netns", "exec", this.name, command, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
      });
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      child.on("error", reject);
      child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
    });
  }

  /** Starts a long-running command inside the namespace; `ip netns exec` execs it, so the PID is the command's. */
  spawn(command: string, args: string[]): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.name, command, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    closedChildren.set(child, new Promise((resolve) => child.once("close", () => resolve())));
    return child;
  }

  /** Adds a host address (IPv4 /32 or IPv6 /128) to the namespace's loopback. */
  addLoopbackAddress(address: string): void {
    const prefix = address.includes(":") ? "128" : "32";
    run("ip", ["-n", this.name, "addr", "add", `${address}/${prefix}`, "dev", "lo"]);
  }

  delete(): void {
    run("ip", ["netns", "delete", this.name], { allowFailure: true });
  }
}

/** Makes a fresh temp directory for one test file. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export interface CertificateFiles {
  caFile: string;
  crlFile: string;
  caKey: string;
}

/** Creates an ECDSA P-256 CA valid for two days and an empty CRL, with the openssl CLI. */
export function createCa(dir: string, name = "ca"): CertificateFiles {
  const caKey = join(dir, `${name}.key`);
  const caFile = join(dir, `${name}.pem`);
  const crlFile = join(dir, `${name}.crl.pem`);
  run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    caKey,
    "-out",
    caFile,
    "-days",
    "2",
    "-subj",
    `/CN=tunnelfleet test ${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);

  const database = join(dir, `${name}.index.txt`);
  const crlNumber = join(dir, `${name}.crlnumber`);
  const config = join(dir, `${name}.cnf`);
  writeFileSync(database, "");
  writeFileSync(crlNumber, "01\n");
  writeFileSync(
    config,
    [
      "[ca]",
      "default_ca = test_ca",
      "[test_ca]",
      `database = ${database}`,
      `crlnumber = ${crlNumber}`,
      "default_md = sha256",
      "default_crl_days = 2",
      "",
    ].join("\n"),
  );
  run("openssl", ["ca", "-gencrl", "-config", config, "-keyfile", caKey, "-cert", caFile, "-out", crlFile]);
  return { caFile, crlFile, caKey };
}

/** Issues an ECDSA P-256 leaf signed by the CA, with the given subjectAltName (for example `IP:10.0.0.1`). */
export function issueLeaf(
  dir: string,
  ca: CertificateFiles,
  name: string,
  subjectAltName: string,
): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extensions = join(dir, `${name}.ext`);
  run("openssl", [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    `/CN=${name}`,
  ]);
  writeFileSync(
    extensions,
    [
      `subjectAltName = ${subjectAltName}`,
      "extendedKeyUsage = serverAuth, clientAuth",
      "keyUsage = critical, digitalSignature",
      "",
    ].join("\n"),
  );
  run("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.caFile,
    "-CAkey",
    ca.caKey,
    "-CAcreateserial",
    "-days",
    "1",
    "-sha256",
    "-extfile",
    extensions,
    "-out",
    cert,
  ]);
  return { cert, key };
}

/**
 * Waits until `pattern` appears in the process's stderr, the process exits, or the timeout
 * passes; returns the stderr seen so far.
 */
export function waitForStderr(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve) => {
    let output = "";
    const finish = () => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", finish);
      resolve(output);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (pattern.test(output)) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    child.stderr?.on("data", onData);
    child.once("exit", finish);
  });
}

/**
 * Sends SIGTERM to a child this test started, by its PID, and waits until it has exited
 * and its output is read (SIGKILL after 10 s).
 */
export async function stop(child: ChildProcess): Promise<void> {
  const closed = closedChildren.get(child) ?? Promise.resolve();
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    await closed;
    return;
  }
  const exited = closed;
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
  }, 10_000);
  await exited;
  clearTimeout(timer);
}
