// The agent against real stunnel4 and real iptables, in network namespaces this test
// creates: hosts a and b on a bridge, a Redis server on each, bundles built with
// packages/mesh and packages/pki and applied through the real applier in each namespace.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostPlan } from "@tunnelfleet/mesh";
import { certificateInfo, createCrl } from "@tunnelfleet/pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, createAgent } from "../../src/agent";
import type { AgentBundle } from "../../src/apply/applier";
import { checkAndRepairDrift } from "../../src/drift";
import { NodeExecutor } from "../../src/executor/node-executor";
import { OpensslProber } from "../../src/health/openssl-probe";
import { normaliseSave } from "../../src/netfilter/restore-text";
import { readStatus } from "../../src/status";
import { uninstall } from "../../src/uninstall";
import { type NetnsHost, NetnsLab, waitFor } from "../support/netns";
import { issueTunnelLeaf, makeCa, makeLeaf, type TestCa } from "../support/pki";
import { planFor, redisTopology, type TestMember } from "../support/topology";

const lineClient = join(import.meta.dirname, "../fixtures/line-client.mjs");

interface Node {
  member: TestMember;
  host: NetnsHost;
  agent: Agent;
  leafCertPem: string;
  plan?: HostPlan;
  generation: number;
}

const lab = new NetnsLab();
const workDir = mkdtempSync(join(tmpdir(), "tf-agent-system-"));
let ca: TestCa;
let a: Node;
let b: Node;
let snapshotBeforeA: string;

async function makeNode(label: string, member: TestMember): Promise<Node> {
  const host = lab.addHost(label, member.address);
  const executor = new NodeExecutor({ netns: host.name });
  const agent = createAgent({
    executor,
    prober: new OpensslProber(executor),
    stateDir: join(workDir, label, "state"),
    runDir: join(workDir, label, "run"),
  });
  const leafCertPem = await issueTunnelLeaf(agent, ca, member.name, member.address);
  lab.startRedis(host.name, member.address);
  return { member, host, agent, leafCertPem, generation: 0 };
}

/** Plans `node` in a cluster of `members` (keeping its port allocation) and applies it. */
async function applyMembers(node: Node, members: TestMember[], overrides: Partial<AgentBundle> = {}) {
  const plan = planFor(redisTopology(members), node.member.id, node.plan);
  node.generation += 1;
  const result = await node.agent.applier.apply({
    generation: node.generation,
    bundleHash: `sha256:${node.member.id}-${node.generation}`.padEnd(20, "0"),
    plan,
    trustedCaPems: [ca.certPem],
    leafCertPem: node.leafCertPem,
    crlPems: [],
    ...overrides,
  });
  if (result.ok) node.plan = plan;
  return result;
}

function redis(from: Node, to: Node, args: string[]) {
  return lab.execIn(from.host.name, "redis-cli", ["-h", to.member.address, "-p", "6379", ...args], {
    timeoutMs: 15_000,
  });
}

/** Opens a long-lived connection from `from` to `to`'s Redis through the tunnel. */
async function openClient(from: Node, to: Node) {
  const child = lab.spawnIn(from.host.name, process.execPath, [lineClient, to.member.address, "6379"]);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor("the client to connect", () => output.includes("CONNECTED"));
  return {
    output: () => output,
    /** Sends ECHO on the open connection and waits for the reply. */
    echo: (text: string) => {
      child.stdin?.write(`ECHO ${text}\n`);
      return waitFor(`the reply "${text}" on the open connection`, () => output.includes(text));
    },
    close: () => child.stdin?.end(),
  };
}

function iptablesSave(node: Node, table?: string): string {
  const result = lab.execIn(node.host.name, "iptables-save", table ? ["-t", table] : []);
  return result.stdout;
}

async function stunnelPid(node: Node): Promise<number | undefined> {
  return node.agent.stunnel.readPid();
}

const A: TestMember = { id: "host-a", name: "a", address: "10.213.0.1" };
const B: TestMember = { id: "host-b", name: "b", address: "10.213.0.2" };
const C: TestMember = { id: "host-c", name: "c", address: "10.213.0.3" };

beforeAll(async () => {
  lab.create();
  ca = await makeCa("System Test CA");
  a = await makeNode("a", A);
  b = await makeNode("b", B);
  for (const node of [a, b]) {
    await waitFor(`redis on ${node.member.address}`, () =>
      lab.execIn(node.host.name, "redis-cli", ["-h", node.member.address, "ping"]).stdout.includes("PONG"),
    );
  }
  snapshotBeforeA = normaliseSave(iptablesSave(a));
});

afterAll(async () => {
  try {
    for (const node of [a, b]) {
      const pid = node ? await stunnelPid(node) : undefined;
      if (pid) await node.agent.stunnel.stop(pid);
    }
  } finally {
    await lab.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
});

describe("agent data plane in network namespaces", () => {
  it("carries Redis traffic through the tunnel", async () => {
    const resultA = await applyMembers(a, [A, B]);
    const resultB = await applyMembers(b, [A, B]);
    expect(resultA.error).toBeUndefined();
    expect(resultB.error).toBeUndefined();

    const set = redis(a, b, ["SET", "greeting", "through-the-tunnel"]);
    expect(set.stdout.trim()).toBe("OK");
    const local = lab.execIn(b.host.name, "redis-cli", ["-h", B.address, "GET", "greeting"]);
    expect(local.stdout.trim()).toBe("through-the-tunnel");
    expect(iptablesSave(a, "nat")).toContain("--to-destination 127.0.0.1:28000");
  });

  it("sends only TLS on the wire", async () => {
    const canary = `tf-canary-${Date.now()}`;
    const pcap = join(workDir, "a.pcap");
    const capture = lab.spawnIn(a.host.name, "tcpdump", [
      "-i",
      "eth0",
      "-n",
      "--immediate-mode",
      "-U",
      "-Z",
      "root",
      "-w",
      pcap,
      "tcp",
    ]);
    let captureLog = "";
    capture.stderr?.on("data", (chunk: Buffer) => {
      captureLog += chunk.toString();
    });
    await waitFor("tcpdump to listen", () => captureLog.includes("listening on"));

    expect(redis(a, b, ["SET", "canary", canary]).stdout.trim()).toBe("OK");
    expect(redis(a, b, ["GET", "canary"]).stdout.trim()).toBe(canary);

    // Two Redis round trips over TLS are well over 2 KB of capture.
    await waitFor("the capture to hold the round trips", () => statSync(pcap).size > 2048);
    capture.kill("SIGINT");
    await waitFor("tcpdump to exit", () => capture.exitCode !== null || capture.signalCode !== null);
    const read = lab.execIn(a.host.name, "tcpdump", ["-r", pcap, "-n"]);
    const packets = read.stdout.trim().split("\n");
    expect(packets.length).toBeGreaterThan(4);
    const offPort = packets.filter((line) => !/\.16400[ :]/.test(line));
    expect(offPort).toEqual([]);

    const bytes = readFileSync(pcap);
    expect(bytes.includes(Buffer.from(canary))).toBe(false);
    // TLS 1.3 application data records start with 0x17 0x03 0x03.
    expect(bytes.includes(Buffer.from([0x17, 0x03, 0x03]))).toBe(true);
  });

  it("refuses a client without a certificate", () => {
    const noCert = lab.execIn(
      a.host.name,
      "openssl",
      ["s_client", "-connect", `${B.address}:16400`, "-quiet"],
      { input: "PING\r\nQUIT\r\n", timeoutMs: 15_000 },
    );
    expect(noCert.stdout).not.toContain("+PONG");
  });

  it("serves a client with a valid certificate", async () => {
    const leaf = await makeLeaf(ca, "probe", [A.address]);
    const { cert, key, caFile } = writeCredentials("valid", leaf.certPem, leaf.keyPem);
    const valid = lab.execIn(
      a.host.name,
      "openssl",
      ["s_client", "-connect", `${B.address}:16400`, "-quiet", "-cert", cert, "-key", key, "-CAfile", caFile],
      { input: "PING\r\nQUIT\r\n", timeoutMs: 15_000 },
    );
    expect(valid.stdout).toContain("+PONG");
  });

  it("refuses a client certificate from another CA", async () => {
    const otherCa = await makeCa("Other CA");
    const leaf = await makeLeaf(otherCa, "intruder", [A.address]);
    const { cert, key, caFile } = writeCredentials("other-ca", leaf.certPem, leaf.keyPem);
    const other = lab.execIn(
      a.host.name,
      "openssl",
      ["s_client", "-connect", `${B.address}:16400`, "-quiet", "-cert", cert, "-key", key, "-CAfile", caFile],
      { input: "PING\r\nQUIT\r\n", timeoutMs: 15_000 },
    );
    expect(other.stdout).not.toContain("+PONG");
  });

  it("refuses a peer whose certificate names another IP", async () => {
    const correctLeaf = b.leafCertPem;
    const keyPem = readFileSync(b.agent.paths.tunnelKey, "utf8");
    b.leafCertPem = (await makeLeaf(ca, "b", ["10.213.0.99"], { keyPem })).certPem;
    try {
      const rotated = await applyMembers(b, [A, B]);
      expect(rotated.error).toBeUndefined();

      const refused = redis(a, b, ["GET", "greeting"]);
      expect(refused.stdout).not.toContain("through-the-tunnel");
      const probes = (await a.agent.health()).probes;
      expect(probes).toHaveLength(1);
      expect(probes[0]?.ok).toBe(false);
    } finally {
      b.leafCertPem = correctLeaf;
      const restored = await applyMembers(b, [A, B]);
      expect(restored.error).toBeUndefined();
    }
    expect(redis(a, b, ["GET", "greeting"]).stdout.trim()).toBe("through-the-tunnel");
  });

  it("adds a member with a reload that keeps connections", async () => {
    const pidBefore = await stunnelPid(a);
    const client = await openClient(a, b);
    await client.echo("before-reload");

    const result = await applyMembers(a, [A, B, C]);

    expect(result.error).toBeUndefined();
    expect(result.restarted).toBe(false);
    expect(await stunnelPid(a)).toBe(pidBefore);
    expect(iptablesSave(a, "nat")).toContain("-d 10.213.0.3/32");
    await client.echo("after-reload");
    expect(client.output()).not.toContain("CLOSED");
    client.close();
  });

  it("renews a leaf with a reload that keeps connections", async () => {
    const pidBefore = await stunnelPid(b);
    const serialBefore = (await b.agent.health()).servedCertificate?.serial;
    const client = await openClient(a, b);
    await client.echo("before-renewal");

    b.leafCertPem = await issueTunnelLeaf(b.agent, ca, B.name, B.address);
    const result = await applyMembers(b, [A, B]);

    expect(result.error).toBeUndefined();
    expect(result.restarted).toBe(false);
    expect(await stunnelPid(b)).toBe(pidBefore);
    const serialAfter = (await b.agent.health()).servedCertificate?.serial;
    expect(serialAfter).toBeDefined();
    expect(serialAfter).not.toBe(serialBefore);
    expect(readFileSync(b.agent.paths.tunnelKey, "utf8")).toBe(
      readFileSync(join(b.agent.paths.currentLink, "key.pem"), "utf8"),
    );
    await client.echo("after-renewal");
    expect(client.output()).not.toContain("CLOSED");
    expect(redis(a, b, ["GET", "greeting"]).stdout.trim()).toBe("through-the-tunnel");
    client.close();
  });

  it("cuts open connections of a removed member", async () => {
    const client = await openClient(a, b);
    await client.echo("before-removal");

    try {
      const removed = await applyMembers(b, [B, C]);
      expect(removed.error).toBeUndefined();
      await waitFor("the connection from the removed member to close", () =>
        client.output().includes("CLOSED"),
      );
    } finally {
      client.close();
      const restored = await applyMembers(b, [A, B]);
      expect(restored.error).toBeUndefined();
    }
    expect(redis(a, b, ["GET", "greeting"]).stdout.trim()).toBe("through-the-tunnel");
  });

  it("cuts open connections when a CRL revokes the peer", async () => {
    const client = await openClient(a, b);
    await client.echo("before-revocation");
    const crl = await createCrl({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      revoked: [{ serial: certificateInfo(a.leafCertPem).serial, revokedAt: new Date(Date.now() - 60_000) }],
      crlNumber: 1,
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 86_400_000),
    });

    try {
      const revoked = await applyMembers(b, [A, B], { crlPems: [crl] });
      expect(revoked.error).toBeUndefined();
      await waitFor("the revoked peer's connection to close", () => client.output().includes("CLOSED"));
      expect(redis(a, b, ["GET", "greeting"]).stdout).not.toContain("through-the-tunnel");
    } finally {
      client.close();
      const restored = await applyMembers(b, [A, B]);
      expect(restored.error).toBeUndefined();
    }
    expect(redis(a, b, ["GET", "greeting"]).stdout.trim()).toBe("through-the-tunnel");
  });

  it("rolls back a bundle stunnel cannot bind", async () => {
    const natBefore = normaliseSave(iptablesSave(a, "nat"));
    const goodTarget = (await a.agent.applier.liveGeneration())?.target;
    const moved: TestMember = { ...A, address: "10.213.0.77" };
    const plan = planFor(redisTopology([moved, B, C]), A.id, a.plan);
    a.generation += 1;

    const result = await a.agent.applier.apply({
      generation: a.generation,
      bundleHash: `sha256:bad-address-${a.generation}`,
      plan,
      trustedCaPems: [ca.certPem],
      leafCertPem: a.leafCertPem,
      crlPems: [],
    });

    expect(result.ok).toBe(false);
    expect(result.failedStep).toBe("stunnel");
    expect(result.error).toContain("10.213.0.77");
    expect(result.rolledBack).toBe(true);
    expect((await a.agent.applier.liveGeneration())?.target).toBe(goodTarget);
    expect(normaliseSave(iptablesSave(a, "nat"))).toBe(natBefore);
    await waitFor("traffic through the restored tunnel", () =>
      redis(a, b, ["GET", "greeting"]).stdout.includes("through-the-tunnel"),
    );
  });

  it("repairs a chain flushed by hand", async () => {
    lab.execIn(a.host.name, "iptables", ["-t", "nat", "-F", "TUNNELFLEET-OUTPUT"]);
    expect(iptablesSave(a, "nat")).not.toContain("--to-destination 127.0.0.1:28000");

    const report = await checkAndRepairDrift(a.agent);

    expect(report.found).toContain("nat TUNNELFLEET-OUTPUT: rules-altered");
    expect(report.failed).toEqual([]);
    expect(iptablesSave(a, "nat")).toContain("--to-destination 127.0.0.1:28000");
    expect(redis(a, b, ["GET", "greeting"]).stdout.trim()).toBe("through-the-tunnel");
  });

  it("status reports health and probes", async () => {
    const statusB = await readStatus(b.agent);
    expect(statusB.healthy).toBe(true);
    expect(statusB.health.probes).toEqual([expect.objectContaining({ peerHostId: "host-a", ok: true })]);

    const statusA = await readStatus(a.agent);
    expect(statusA.health.stunnelAlive).toBe(true);
    expect(statusA.health.rulesPresent).toBe(true);
    expect(statusA.health.listenersUp.every((listener) => listener.up)).toBe(true);
    expect(statusA.health.servedCertificate?.serial).toMatch(/^[0-9a-f]+$/);
    const probeB = statusA.health.probes.find((probe) => probe.peerHostId === "host-b");
    const probeC = statusA.health.probes.find((probe) => probe.peerHostId === "host-c");
    expect(probeB?.ok).toBe(true);
    expect(probeC?.ok).toBe(false);
    expect(statusA.healthy).toBe(false);
  });

  it("uninstall leaves iptables-save as before", async () => {
    const pid = await stunnelPid(a);

    const result = await uninstall(a.agent);

    expect(result.difference).toEqual([]);
    expect(result.rulesRestored).toBe(true);
    expect(normaliseSave(iptablesSave(a))).toBe(snapshotBeforeA);
    expect(result.stoppedPid).toBe(pid);
    await waitFor(
      "stunnel to exit",
      async () => pid !== undefined && !(await a.agent.executor.processName(pid)),
    );
  });
});

/** Writes a client certificate, key and the cluster CA for openssl s_client. */
function writeCredentials(label: string, certPem: string, keyPem: string) {
  const dir = join(workDir, "credentials", label);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem"), caFile: join(dir, "ca.pem") };
  writeFileSync(files.cert, certPem, { mode: 0o600 });
  writeFileSync(files.key, keyPem, { mode: 0o600 });
  writeFileSync(files.caFile, ca.certPem, { mode: 0o600 });
  return files;
}
