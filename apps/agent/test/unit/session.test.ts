// The session and enrolment against a stand-in gateway on 127.0.0.1 (HTTPS + WebSocket,
// mutual TLS), and the TLS peer probe against a TLS server on 127.0.0.1.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { spkiHash } from "@tunnelfleet/pki";
import type { AgentMessage } from "@tunnelfleet/protocol";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createAgent } from "../../src/agent";
import { NodeTlsProber } from "../../src/health/tls-probe";
import { JoinError, join } from "../../src/identity/enrol";
import { prepareTunnelCsr } from "../../src/identity/tunnel-key";
import { agentPaths } from "../../src/paths";
import { AgentSession } from "../../src/session/session";
import { FakeNode } from "../support/fake-node";
import { waitFor } from "../support/netns";
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from "../support/pki";
import { planFor, redisTopology } from "../support/topology";

let gatewayCa: TestCa;
let serverLeaf: TestLeaf;
let agentLeaf: TestLeaf;
let clusterCa: TestCa;
const servers: { close: () => void }[] = [];

beforeAll(async () => {
  gatewayCa = await makeCa("Gateway CA");
  serverLeaf = await makeLeaf(gatewayCa, "gateway", ["127.0.0.1"]);
  agentLeaf = await makeLeaf(gatewayCa, "a", ["127.0.0.1"]);
  clusterCa = await makeCa("Cluster CA");
});

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

describe("join", () => {
  async function enrolServer(posts: unknown[]) {
    const server = createServer({ cert: serverLeaf.certPem, key: serverLeaf.keyPem }, (request, response) => {
      if (request.method === "GET" && request.url === "/v1/ca") {
        response.end(JSON.stringify({ caPem: gatewayCa.certPem }));
        return;
      }
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        posts.push(JSON.parse(body));
        response.end(
          JSON.stringify({
            hostId: "host-a",
            hostName: "a",
            agentCertPem: agentLeaf.certPem,
            gatewayCaPem: gatewayCa.certPem,
          }),
        );
      });
    });
    return listen(server);
  }

  it("rejects a CA whose hash differs before sending the token", async () => {
    const posts: unknown[] = [];
    const port = await enrolServer(posts);

    const joining = join({
      server: `https://127.0.0.1:${port}`,
      token: "tok_0123456789abcdef",
      caHash: `sha256:${"0".repeat(64)}`,
    });

    await expect(joining).rejects.toThrow(JoinError);
    await expect(joining).rejects.toThrow(/refusing to join/);
    expect(posts).toEqual([]);
  });

  it("enrols with the pinned CA and a CSR", async () => {
    const posts: { token: string; agentCsrPem: string }[] = [];
    const port = await enrolServer(posts);

    const identity = await join({
      server: `https://127.0.0.1:${port}`,
      token: "tok_0123456789abcdef",
      caHash: spkiHash(gatewayCa.certPem),
      hostName: "a",
    });

    expect(identity.hostId).toBe("host-a");
    expect(identity.keyPem).toContain("BEGIN PRIVATE KEY");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.token).toBe("tok_0123456789abcdef");
    expect(posts[0]!.agentCsrPem).toContain("BEGIN CERTIFICATE REQUEST");
    expect(JSON.stringify(posts[0])).not.toContain("PRIVATE KEY");
  });

  it("names a malformed CA hash", async () => {
    await expect(
      join({ server: "https://127.0.0.1:1", token: "tok_0123456789abcdef", caHash: "abc" }),
    ).rejects.toThrow(/--ca-hash "abc"/);
  });

  it("requires https", async () => {
    await expect(
      join({
        server: "http://127.0.0.1:1",
        token: "tok_0123456789abcdef",
        caHash: `sha256:${"0".repeat(64)}`,
      }),
    ).rejects.toThrow(/must use https/);
  });
});

describe("AgentSession", () => {
  it("applies a bundle, acks it, sends CSRs and reconnects", async () => {
    const paths = agentPaths("/state", "/run/tf");
    const node = new FakeNode(paths.pidFile, paths.logFile);
    const tunnel = await makeLeaf(clusterCa, "a", ["10.213.0.1"]);
    node.executor.files.set(paths.tunnelKey, { data: tunnel.keyPem, mode: 0o600 });
    const agent = createAgent({ executor: node.executor, stateDir: "/state", runDir: "/run/tf" });

    const received: AgentMessage[] = [];
    const httpsServer = createServer({
      cert: serverLeaf.certPem,
      key: serverLeaf.keyPem,
      ca: gatewayCa.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const wss = new WebSocketServer({ server: httpsServer, path: "/v1/agent" });
    servers.push(wss);
    let connections = 0;
    wss.on("connection", (socket) => {
      connections += 1;
      socket.on("message", (data) => {
        const message = JSON.parse(data.toString()) as AgentMessage;
        received.push(message);
        if (message.type !== "hello") return;
        socket.send(
          JSON.stringify({ type: "welcome", hostId: "host-a", hostName: "a", serverVersion: "0.1.0" }),
        );
        socket.send(
          JSON.stringify({
            type: "bundle",
            generation: 1,
            bundleHash: `sha256:${"1".repeat(64)}`,
            plan: planFor(
              redisTopology([
                { id: "host-a", name: "a", address: "10.213.0.1" },
                { id: "host-b", name: "b", address: "10.213.0.2" },
              ]),
              "host-a",
              undefined,
            ),
            trustedCaPems: [clusterCa.certPem],
            leafCertPem: tunnel.certPem,
            crlPems: [],
          }),
        );
        socket.send(
          JSON.stringify({ type: "csrRequest", requestId: "req-1", purpose: "tunnel", reason: "renewal" }),
        );
      });
    });
    const port = await listen(httpsServer);

    const session = new AgentSession({
      identity: {
        server: `https://127.0.0.1:${port}`,
        hostId: "host-a",
        hostName: "a",
        caHash: spkiHash(gatewayCa.certPem),
        enrolledAt: new Date().toISOString(),
        keyPem: agentLeaf.keyPem,
        certPem: agentLeaf.certPem,
        gatewayCaPem: gatewayCa.certPem,
      },
      applier: agent.applier,
      facts: async () => ({
        agentVersion: "0.1.0",
        stunnelVersion: "5.68",
        opensslVersion: "3.0.19",
        netfilterBackend: "nft",
      }),
      health: () => agent.health(),
      createTunnelCsr: () => prepareTunnelCsr(agent.executor, agent.paths, "a"),
      logger: agent.logger,
      backoff: { initialMs: 20, maxMs: 100 },
      heartbeatMs: 50,
    });
    session.start();
    try {
      const ack = await waitFor("the ack", () => received.find((message) => message.type === "ack"));
      expect(ack).toMatchObject({ type: "ack", generation: 1, ok: true });
      const csr = await waitFor("the CSR", () => received.find((message) => message.type === "csr"));
      expect(csr).toMatchObject({ type: "csr", requestId: "req-1", purpose: "tunnel" });
      expect(node.executor.files.get(paths.tunnelNextKey)?.mode).toBe(0o600);
      const heartbeat = await waitFor("a heartbeat after the apply", () =>
        received.find((message) => message.type === "heartbeat" && message.health.stunnelAlive),
      );
      expect(heartbeat).toMatchObject({
        type: "heartbeat",
        health: { stunnelAlive: true, rulesPresent: true },
      });

      for (const client of wss.clients) client.terminate();
      await waitFor("the reconnect", () => connections === 2);
      const hellos = await waitFor("the second hello", () => {
        const list = received.filter((message) => message.type === "hello");
        return list.length === 2 ? list : undefined;
      });
      expect(hellos[0]).toMatchObject({ appliedGeneration: 0, appliedBundleHash: null });
      expect(hellos[1]).toMatchObject({
        appliedGeneration: 1,
        appliedBundleHash: `sha256:${"1".repeat(64)}`,
      });
    } finally {
      session.stop();
    }
  });
});

describe("NodeTlsProber", () => {
  const credentialPaths = {
    certPath: "/unused/cert.pem",
    keyPath: "/unused/key.pem",
    caPath: "/unused/ca.pem",
  };

  async function tlsServer(leaf: TestLeaf, ca: TestCa): Promise<number> {
    const server = createTlsServer(
      { cert: leaf.certPem, key: leaf.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
      (socket) => socket.end(),
    );
    servers.push(server);
    return new Promise((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
    );
  }

  it("accepts a peer whose certificate carries its IP", async () => {
    const port = await tlsServer(await makeLeaf(clusterCa, "b", ["127.0.0.1"]), clusterCa);
    const own = await makeLeaf(clusterCa, "a", ["127.0.0.2"]);

    const result = await new NodeTlsProber().probe(
      { clusterId: "c", peerHostId: "b", address: "127.0.0.1", port },
      { ...credentialPaths, certPem: own.certPem, keyPem: own.keyPem, caPem: clusterCa.certPem },
    );

    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
  });

  it("rejects a peer whose certificate names another IP", async () => {
    const port = await tlsServer(await makeLeaf(clusterCa, "b", ["127.0.0.9"]), clusterCa);
    const own = await makeLeaf(clusterCa, "a", ["127.0.0.2"]);

    const result = await new NodeTlsProber().probe(
      { clusterId: "c", peerHostId: "b", address: "127.0.0.1", port },
      { ...credentialPaths, certPem: own.certPem, keyPem: own.keyPem, caPem: clusterCa.certPem },
    );

    expect(result.ok).toBe(false);
    expect(result.error).toContain("no IP SAN 127.0.0.1");
  });
});
