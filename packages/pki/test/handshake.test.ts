import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCa,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  issueLeaf,
  type KeyType,
  type LeafUsage,
} from "../src/index";
import { Workdir } from "./openssl";

const work = new Workdir();
afterAll(() => work.remove());

interface Identity {
  cert: string;
  key: string;
}

async function identity(
  ca: { certPem: string; keyPem: string },
  name: string,
  usage: LeafUsage,
  keyType: KeyType = "ecdsa-p256",
): Promise<Identity> {
  const keys = await generateKeyPair(keyType);
  const keyPem = await exportPrivateKeyPem(keys.privateKey);
  const leaf = await issueLeaf({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    csrPem: await createCsr({ keyPem, commonName: name }),
    commonName: name,
    dnsNames: [name],
    ipAddresses: ["127.0.0.1"],
    lifetimeDays: 30,
    usage,
  });
  return { cert: work.write(`${name}.pem`, leaf.certPem), key: work.write(`${name}.key`, keyPem) };
}

interface RunningServer {
  port: number;
  process: ChildProcess;
  /** Everything the server wrote to stderr so far, including verification errors. */
  output: () => string;
  exited: Promise<void>;
}

/** Starts `openssl s_server` on a free loopback port (the kernel picks it) for one connection. */
async function startServer(server: Identity, caFile: string): Promise<RunningServer> {
  const child = spawn(
    "openssl",
    [
      "s_server",
      "-accept",
      "127.0.0.1:0",
      "-naccept",
      "1",
      "-cert",
      server.cert,
      "-key",
      server.key,
      "-CAfile",
      caFile,
      "-Verify",
      "1",
      "-verify_return_error",
    ],
    { cwd: work.path, stdio: ["pipe", "pipe", "pipe"] },
  );

  let output = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`s_server did not report its port: ${output}`));
    }, 20_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`s_server exited ${code}: ${output}`));
    });
  });
  return { port, process: child, output: () => output, exited };
}

/** Runs `openssl s_client` against the port and returns its exit status and output. */
function connect(
  port: number,
  client: Identity,
  caFile: string,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      "openssl",
      [
        "s_client",
        "-connect",
        `127.0.0.1:${port}`,
        "-cert",
        client.cert,
        "-key",
        client.key,
        "-CAfile",
        caFile,
        "-verify_return_error",
        "-verify_ip",
        "127.0.0.1",
        "-brief",
      ],
      { cwd: work.path, stdio: ["pipe", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("exit", (status) => resolve({ status, output }));
    child.stdin.end();
  });
}

/**
 * Runs one handshake and returns the client's status and output and the server's output.
 * The server serves one connection, so it exits after the client; it is killed if it has
 * not exited within 10 seconds.
 */
async function handshake(server: Identity, client: Identity, caFile: string) {
  const started = await startServer(server, caFile);
  try {
    const result = await connect(started.port, client, caFile);
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000));
    await Promise.race([started.exited, timeout]);
    return { ...result, serverOutput: started.output() };
  } finally {
    if (started.process.exitCode === null && started.process.signalCode === null)
      started.process.kill("SIGTERM");
  }
}

describe("mutual TLS with issued leaves", () => {
  let caFile: string;
  let ca: { certPem: string; keyPem: string };

  beforeAll(async () => {
    ca = await createCa({ commonName: "Handshake CA" });
    caFile = work.write("ca.pem", ca.certPem);
  });

  it.each(["ecdsa-p256", "rsa-2048"] as const)("succeeds between tunnel leaves (%s)", async (keyType) => {
    const server = await identity(ca, `member-a-${keyType}`, "tunnel", keyType);
    const client = await identity(ca, `member-b-${keyType}`, "tunnel", keyType);

    const result = await handshake(server, client, caFile);

    expect(result.output).toContain("Verification: OK");
    expect(result.status).toBe(0);
  });

  it("rejects an agent leaf as server", async () => {
    const server = await identity(ca, "agent-as-server", "agent");
    const client = await identity(ca, "member-c", "tunnel");

    const result = await handshake(server, client, caFile);

    expect(result.status).not.toBe(0);
    expect(result.output).toContain("unsuitable certificate purpose");
  });

  it("rejects a client from another CA", async () => {
    const otherCa = await createCa({ commonName: "Handshake CA" });
    const server = await identity(ca, "member-d", "tunnel");
    const stranger = await identity(otherCa, "stranger", "tunnel");

    const result = await handshake(server, stranger, caFile);

    // With TLS 1.3 the rejection of a client certificate shows only on the server.
    expect(result.serverOutput).toContain("unable to get local issuer certificate");
    expect(result.serverOutput).toContain("certificate verify failed");
  });
});
