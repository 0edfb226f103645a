import type { HostPlan } from "@tunnelfleet/mesh";
import { describe, expect, it } from "vitest";
import {
  type AgentMessage,
  encodeMessage,
  type GatewayMessage,
  isAgentVersionSupported,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  parseAgentMessage,
  parseGatewayMessage,
} from "../src/index";

const HASH = `sha256:${"ab".repeat(32)}`;
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";

const plan: HostPlan = {
  hostId: "h1",
  hostName: "node-1.example",
  services: [
    {
      kind: "inbound",
      name: "redis-6379-in",
      clusterId: "c1",
      acceptAddress: "10.0.0.1",
      acceptPort: 16379,
      connectAddress: "10.0.0.1",
      connectPort: 6379,
    },
    {
      kind: "outbound",
      name: "redis-6379-h2",
      clusterId: "c1",
      peerHostId: "h2",
      acceptAddress: "127.0.0.1",
      acceptPort: 20000,
      connectAddress: "10.0.0.2",
      connectPort: 16379,
      appPort: 6379,
    },
  ],
  dnat: [
    {
      clusterId: "c1",
      peerHostId: "h2",
      destination: "10.0.0.2",
      appPort: 6379,
      toAddress: "127.0.0.1",
      toPort: 20000,
    },
  ],
  ingressGuards: [{ clusterId: "c1", address: "10.0.0.1", appPort: 6379 }],
  egressGuards: [{ clusterId: "c1", destination: "10.0.0.2", appPort: 6379 }],
  links: [{ clusterId: "c1", peerHostId: "h2", address: "10.0.0.2", port: 16379 }],
  minTlsVersion: "TLSv1.2",
  allocation: { "c1/h2/6379": 20000 },
};

const hello: AgentMessage = {
  type: "hello",
  protocolVersion: PROTOCOL_VERSION,
  agentVersion: "0.1.0",
  stunnelVersion: "5.68",
  opensslVersion: "3.0.15",
  netfilterBackend: "nft",
  appliedGeneration: 0,
  appliedBundleHash: null,
};

describe("parseAgentMessage", () => {
  it("accepts every agent message type", () => {
    const messages: AgentMessage[] = [
      hello,
      { type: "ack", generation: 3, bundleHash: HASH, ok: false, error: "port 16379 in use", durationMs: 12 },
      {
        type: "heartbeat",
        health: {
          stunnelAlive: true,
          listenersUp: [{ address: "10.0.0.1", port: 16379, up: true }],
          rulesPresent: true,
          servedCertificate: { serial: "0a1b", notAfter: "2027-01-01T00:00:00.000Z" },
          probes: [
            { clusterId: "c1", peerHostId: "h2", address: "10.0.0.2", port: 16379, ok: true, latencyMs: 3 },
          ],
        },
      },
      { type: "csr", purpose: "tunnel", csrPem: CSR, requestId: "r1" },
    ];
    for (const message of messages) {
      const result = parseAgentMessage(encodeMessage(message));
      expect(result).toEqual({ ok: true, message });
    }
  });

  it("accepts a Buffer frame", () => {
    const result = parseAgentMessage(Buffer.from(JSON.stringify(hello)));
    expect(result.ok).toBe(true);
  });

  it("rejects malformed JSON", () => {
    const result = parseAgentMessage("{not json");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe("malformed-json");
  });

  it("rejects a JSON array", () => {
    const result = parseAgentMessage("[1,2]");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe("malformed-json");
  });

  it("rejects an unknown type", () => {
    const result = parseAgentMessage(JSON.stringify({ type: "bundle" }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe("unknown-type");
      expect(result.error.message).toContain('"bundle"');
    }
  });

  it("rejects another protocol version", () => {
    const result = parseAgentMessage(JSON.stringify({ ...hello, protocolVersion: PROTOCOL_VERSION + 1 }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe("bad-version");
      expect(result.error.field).toBe("protocolVersion");
    }
  });

  it("rejects an oversized frame", () => {
    const result = parseAgentMessage("x".repeat(MAX_FRAME_BYTES + 1));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe("oversized");
  });

  it("names the invalid field", () => {
    const result = parseAgentMessage(JSON.stringify({ ...hello, netfilterBackend: "pf" }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe("invalid-field");
      expect(result.error.field).toBe("netfilterBackend");
    }
  });

  it("rejects unknown fields", () => {
    const result = parseAgentMessage(JSON.stringify({ ...hello, extra: 1 }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toBe("invalid-field");
  });

  it("rejects a CSR that is not PEM", () => {
    const result = parseAgentMessage(
      JSON.stringify({ type: "csr", purpose: "tunnel", csrPem: "hello", requestId: "r1" }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.field).toBe("csrPem");
  });
});

describe("parseGatewayMessage", () => {
  it("accepts every gateway message type", () => {
    const messages: GatewayMessage[] = [
      { type: "welcome", hostId: "h1", hostName: "node-1", serverVersion: "0.1.0" },
      {
        type: "bundle",
        generation: 4,
        bundleHash: HASH,
        plan,
        trustedCaPems: [CERT],
        leafCertPem: null,
        crlPems: ["-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n"],
      },
      { type: "csrRequest", requestId: "r1", purpose: "tunnel", reason: "renewal" },
      { type: "error", code: "unexpected-ack", message: "ack for generation 9 which was never sent" },
    ];
    for (const message of messages) {
      const result = parseGatewayMessage(encodeMessage(message));
      expect(result).toEqual({ ok: true, message });
    }
  });

  it("rejects a plan with a bad port", () => {
    const bad = { ...plan, links: [{ ...plan.links[0], port: 70000 }] };
    const result = parseGatewayMessage(
      JSON.stringify({
        type: "bundle",
        generation: 1,
        bundleHash: HASH,
        plan: bad,
        trustedCaPems: [],
        leafCertPem: null,
        crlPems: [],
      }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.field).toBe("plan.links.0.port");
  });

  it("rejects a plan with a host name carrying a newline", () => {
    const result = parseGatewayMessage(
      JSON.stringify({
        type: "bundle",
        generation: 1,
        bundleHash: HASH,
        plan: { ...plan, hostName: "node\n[evil]" },
        trustedCaPems: [],
        leafCertPem: null,
        crlPems: [],
      }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.field).toBe("plan.hostName");
  });
});

describe("isAgentVersionSupported", () => {
  const cases: [string, string, boolean][] = [
    ["1.4.0", "1.4.2", true],
    ["1.4.9", "1.4.0", true],
    ["1.3.7", "1.4.0", true],
    ["1.2.0", "1.4.0", false],
    ["1.5.0", "1.4.0", false],
    ["2.4.0", "1.4.0", false],
    ["0.9.0", "1.0.0", false],
    ["1.4.0-rc.1", "1.4.0", true],
    ["1.4", "1.4.0", false],
    ["banana", "1.4.0", false],
  ];
  for (const [agent, server, expected] of cases) {
    it(`agent ${agent} on server ${server} -> ${expected}`, () => {
      expect(isAgentVersionSupported(agent, server)).toBe(expected);
    });
  }
});
