// Starts every golden configuration in a real stunnel (Debian's stunnel4) inside a
// scratch network namespace, and sends data through a real mutual-TLS tunnel.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterCredentialPaths,
  type HostPlan,
  planHost,
  renderStunnelConf,
  type StunnelPaths,
  type Topology,
} from "../src/index";
import { cluster, GOLDEN_CASES, longestNamesCase, singleCluster } from "./fixtures";
import { createCa, issueLeaf, Namespace, stop, tempDir, waitForStderr } from "./system-support";

const STUNNEL = "stunnel";
const STARTED = /Configuration successful/;

let namespace: Namespace;
let dir: string;
let paths: StunnelPaths;
let secondCa: ClusterCredentialPaths;

beforeAll(() => {
  dir = tempDir("tf-mesh-stunnel");
  namespace = new Namespace();
  const ca = createCa(dir);
  const leaf = issueLeaf(dir, ca, "leaf", "DNS:node-1");
  paths = {
    cert: leaf.cert,
    key: leaf.key,
    caFile: ca.caFile,
    crlFile: ca.crlFile,
    pidFile: join(dir, "stunnel.pid"),
  };
  const other = createCa(dir, "other-ca");
  const otherLeaf = issueLeaf(dir, other, "other-leaf", "DNS:node-1");
  secondCa = { cert: otherLeaf.cert, key: otherLeaf.key, caFile: other.caFile, crlFile: other.crlFile };

  const own = new Set<string>();
  for (const testCase of [...GOLDEN_CASES, longestNamesCase()]) {
    for (const membership of testCase.topology.memberships) {
      if (membership.hostId === testCase.hostId) own.add(membership.address);
    }
  }
  for (const address of own) namespace.addLoopbackAddress(address);
});

afterAll(() => {
  namespace?.delete();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts stunnel on a config in the namespace, returns its stderr once it reports start-up or exits, then stops it. */
async function startStunnel(conf: string, file: string): Promise<{ stderr: string; listening: string }> {
  const confPath = join(dir, file);
  writeFileSync(confPath, conf, { mode: 0o600 });
  const child = namespace.spawn(STUNNEL, [confPath]);
  try {
    const stderr = await waitForStderr(child, STARTED);
    const listening = namespace.exec("ss", ["-Hltn"]).stdout;
    return { stderr, listening };
  } finally {
    await stop(child);
  }
}

function acceptEndpoints(plan: HostPlan): string[] {
  return plan.services.map((service) =>
    service.acceptAddress.includes(":")
      ? `[${service.acceptAddress}]:${service.acceptPort}`
      : `${service.acceptAddress}:${service.acceptPort}`,
  );
}

describe("golden configs in stunnel", () => {
  for (const testCase of [...GOLDEN_CASES, longestNamesCase()]) {
    it(`${testCase.name} starts`, async () => {
      const plan = planHost(testCase.topology, testCase.hostId, testCase.previousAllocation);
      const clusters = testCase.clusterPaths
        ? Object.fromEntries(Object.keys(testCase.clusterPaths).map((clusterId) => [clusterId, secondCa]))
        : undefined;
      const conf = renderStunnelConf(plan, { ...paths, clusters }, { foreground: true });
      const { stderr, listening } = await startStunnel(conf, `${testCase.name}.conf`);

      expect(stderr).toMatch(STARTED);
      expect(stderr).not.toMatch(/\[!\]/);
      for (const endpoint of acceptEndpoints(plan)) expect(listening).toContain(` ${endpoint} `);
    });
  }

  it("bad option fails to start", async () => {
    const plan = planHost(GOLDEN_CASES[0]!.topology, GOLDEN_CASES[0]!.hostId);
    const conf = renderStunnelConf(plan, paths, { foreground: true }).replace(
      "renegotiation = no",
      "renegotiation = maybe",
    );
    const { stderr } = await startStunnel(conf, "bad.conf");
    expect(stderr).not.toMatch(STARTED);
    expect(stderr).toMatch(/\[!\]/);
  });
});

/** A node script run inside the namespace: TCP echo server on address:port. */
const ECHO_SERVER = `
const net = require("node:net");
const [host, port] = process.argv.slice(1);
net.createServer((socket) => socket.pipe(socket)).listen(Number(port), host, () => console.error("listening"));
`;

/** A node script run inside the namespace: sends "ping" to address:port and prints what comes back. */
const CLIENT = `
const net = require("node:net");
const [host, port] = process.argv.slice(1);
const socket = net.connect(Number(port), host);
let received = "";
socket.setTimeout(8000, () => { console.log("timeout:" + received); process.exit(0); });
socket.on("connect", () => socket.write("ping"));
socket.on("data", (data) => { received += data; if (received === "ping") { console.log("echo:ping"); process.exit(0); } });
socket.on("error", (error) => { console.log("error:" + error.code); process.exit(0); });
socket.on("close", () => { console.log("closed:" + received); process.exit(0); });
`;

describe("tunnel between two members", () => {
  const topology: Topology = singleCluster(cluster("c-echo", "echo", "custom", { appPorts: [7000] }), [
    "10.78.0.1",
    "10.78.0.2",
  ]);
  let tunnelNamespace: Namespace;
  let tunnelDir: string;

  beforeAll(() => {
    tunnelDir = tempDir("tf-mesh-tunnel");
    tunnelNamespace = new Namespace();
    tunnelNamespace.addLoopbackAddress("10.78.0.1");
    tunnelNamespace.addLoopbackAddress("10.78.0.2");
  });

  afterAll(() => {
    tunnelNamespace?.delete();
    if (tunnelDir) rmSync(tunnelDir, { recursive: true, force: true });
  });

  /**
   * Runs host 1's and host 2's stunnel and an echo server on host 2's app port, then
   * sends "ping" into host 1's outbound service. Host 2 presents a leaf with `peerSan`.
   */
  async function sendThroughTunnel(
    peerSan: string,
    label: string,
    peerFromOtherCa = false,
  ): Promise<{ result: string; logs: string }> {
    const ca = createCa(tunnelDir, `ca-${label}`);
    const leaf1 = issueLeaf(tunnelDir, ca, `node-1-${label}`, "IP:10.78.0.1, DNS:node-1");
    const peerCa = peerFromOtherCa ? createCa(tunnelDir, `other-ca-${label}`) : ca;
    const leaf2 = issueLeaf(tunnelDir, peerCa, `node-2-${label}`, peerSan);
    const plan1 = planHost(topology, "node-id-1");
    // Both hosts share one namespace here, so host 2's outbound service needs another loopback port.
    const plan2 = planHost(topology, "node-id-2", { "c-echo/node-id-1/7000": 28500 });
    const pathsOf = (name: string, files: { cert: string; key: string }): StunnelPaths => ({
      cert: files.cert,
      key: files.key,
      caFile: ca.caFile,
      crlFile: ca.crlFile,
      pidFile: join(tunnelDir, `${name}.pid`),
    });
    writeFileSync(
      join(tunnelDir, `1-${label}.conf`),
      renderStunnelConf(plan1, pathsOf(`1-${label}`, leaf1), { foreground: true }),
    );
    writeFileSync(
      join(tunnelDir, `2-${label}.conf`),
      renderStunnelConf(plan2, pathsOf(`2-${label}`, leaf2), { foreground: true }),
    );

    const echo = tunnelNamespace.spawn("node", ["-e", ECHO_SERVER, "10.78.0.2", "7000"]);
    const stunnel1 = tunnelNamespace.spawn(STUNNEL, [join(tunnelDir, `1-${label}.conf`)]);
    const stunnel2 = tunnelNamespace.spawn(STUNNEL, [join(tunnelDir, `2-${label}.conf`)]);
    let logs1 = "";
    let logs2 = "";
    stunnel1.stderr?.on("data", (chunk) => {
      logs1 += chunk;
    });
    stunnel2.stderr?.on("data", (chunk) => {
      logs2 += chunk;
    });
    try {
      const started = await Promise.all([
        waitForStderr(echo, /listening/),
        waitForStderr(stunnel1, STARTED),
        waitForStderr(stunnel2, STARTED),
      ]);
      expect(started[1]).toMatch(STARTED);
      expect(started[2]).toMatch(STARTED);
      const outbound = plan1.services.find((service) => service.kind === "outbound")!;
      const result = await tunnelNamespace.execAsync("node", [
        "-e",
        CLIENT,
        outbound.acceptAddress,
        String(outbound.acceptPort),
      ]);
      return { result: result.stdout.trim(), logs: `${logs1}\n${logs2}` };
    } finally {
      await Promise.all([stop(stunnel1), stop(stunnel2), stop(echo)]);
    }
  }

  it("carries data with matching IP SAN", async () => {
    const { result } = await sendThroughTunnel("IP:10.78.0.2, DNS:node-2", "good");
    expect(result).toBe("echo:ping");
  });

  it("rejects a peer without IP SAN", async () => {
    const { result, logs } = await sendThroughTunnel("DNS:node-2", "nosan");
    expect(result).toMatch(/^(error:ECONNRESET|closed:)$/);
    expect(logs).toMatch(/CERT: Subject checks failed/);
    expect(logs).toMatch(/Rejected by CERT at depth=0: CN=node-2-nosan/);
  });

  it("rejects a peer of another CA", async () => {
    const { result, logs } = await sendThroughTunnel("IP:10.78.0.2, DNS:node-2", "otherca", true);
    expect(result).toMatch(/^(error:ECONNRESET|closed:)$/);
    expect(logs).toMatch(/certificate verify failed/);
  });
});
