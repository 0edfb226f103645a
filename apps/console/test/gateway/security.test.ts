import { createCa, createCsr, exportPrivateKeyPem, generateKeyPair, issueLeaf } from "@tunnelfleet/pki";
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from "@tunnelfleet/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/types";
import { revokeCertificate } from "../../src/server/services/certificates";
import { SYSTEM_ACTOR } from "../../src/server/services/context";
import { deleteHost } from "../../src/server/services/hosts";
import {
  createHarness,
  createTestCluster,
  createToken,
  type EnrolledAgent,
  enrol,
  eventually,
  type Harness,
  simAgent,
  uniqueName,
} from "./harness";
import { SimAgent } from "./sim-agent";

let harness: Harness;
let gateway: RunningGateway;
let clusterId: string;
let addressCounter = 1;
/** A session that every bad-input test must leave untouched. */
let bystander: SimAgent;

beforeAll(async () => {
  harness = await createHarness();
  gateway = await harness.startGateway();
  clusterId = await createTestCluster(harness, uniqueName("security"));
  bystander = simAgent(harness, gateway, await enrolMember(), { createCsr: undefined });
  await bystander.connect();
  await bystander.waitFor(() => bystander.appliedBundleHash !== null);
});

afterAll(async () => {
  await harness?.close();
});

function nextAddress(): string {
  addressCounter += 1;
  return `10.50.0.${addressCounter}`;
}

async function enrolMember(): Promise<EnrolledAgent> {
  const token = await createToken(harness, {
    hostName: uniqueName("node"),
    clusterId,
    address: nextAddress(),
  });
  return enrol(harness, gateway, token);
}

async function readyAgent(): Promise<SimAgent> {
  const agent = simAgent(harness, gateway, await enrolMember(), { createCsr: undefined });
  await agent.connect();
  await agent.waitFor(() => agent.messagesOf("welcome").length === 1);
  return agent;
}

async function activeAgentCertificateId(hostId: string): Promise<string> {
  const row = await harness.db.prisma.certificate.findFirstOrThrow({
    where: { hostId, purpose: "agent", state: "active" },
  });
  return row.id;
}

describe("gateway authentication", () => {
  it("rejects an upgrade without a client certificate", async () => {
    const agent = new SimAgent({
      url: harness.urlOf(gateway),
      caPem: harness.caPem,
      certPem: "",
      keyPem: "",
    });
    await agent.connect();
    expect(agent.rejectedStatus).toBe(401);
  });

  it("rejects a client certificate from another CA", async () => {
    const foreignCa = await createCa({ commonName: "Foreign CA" });
    const keyPair = await generateKeyPair("ecdsa-p256");
    const keyPem = await exportPrivateKeyPem(keyPair.privateKey);
    const leaf = await issueLeaf({
      caCertPem: foreignCa.certPem,
      caKeyPem: foreignCa.keyPem,
      csrPem: await createCsr({ commonName: "intruder", keyPem }),
      commonName: "intruder",
      lifetimeDays: 1,
      usage: "agent",
    });
    const agent = new SimAgent({
      url: harness.urlOf(gateway),
      caPem: harness.caPem,
      certPem: leaf.certPem,
      keyPem,
    });

    await agent.connect();

    expect(agent.rejectedStatus).toBe(401);
  });

  it("closes the session of a revoked agent certificate and rejects it afterwards", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity, { createCsr: undefined });
    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("welcome").length === 1);

    const id = await activeAgentCertificateId(identity.hostId);
    await revokeCertificate(harness.deps, SYSTEM_ACTOR, { id, reason: "keyCompromise" });

    await agent.waitForClose();
    expect(agent.closeCode).toBe(4003);
    expect(agent.messagesOf("error")[0]?.code).toBe("unauthorized");

    await agent.connect();
    expect(agent.rejectedStatus).toBe(403);
  });

  it("closes the session of a deleted host and rejects it afterwards", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity, { createCsr: undefined });
    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("welcome").length === 1);

    await deleteHost(harness.deps, SYSTEM_ACTOR, identity.hostId);

    await agent.waitForClose();
    expect(agent.messagesOf("error")[0]?.code).toBe("unauthorized");
    expect(agent.closeCode).toBe(4003);

    await agent.connect();
    expect(agent.rejectedStatus).toBe(403);
  });

  it("detects and audits a cloned agent identity", async () => {
    const identity = await enrolMember();
    const original = simAgent(harness, gateway, identity, { createCsr: undefined });
    await original.connect();
    await original.waitFor(() => original.messagesOf("welcome").length === 1);

    const clone = simAgent(harness, gateway, identity, { createCsr: undefined });
    await clone.connect();
    await clone.waitFor(() => clone.messagesOf("welcome").length === 1);

    await original.waitForClose();
    expect(original.closeCode).toBe(4004);
    expect(original.messagesOf("error")[0]?.code).toBe("replaced-by-newer-session");
    expect(clone.open).toBe(true);
    const audit = await eventually(
      () =>
        harness.db.prisma.auditEvent
          .findFirst({ where: { action: "agent.session.duplicate", targetId: identity.hostId } })
          .then((row) => row ?? undefined),
      "the duplicate-session audit event",
    );
    expect(audit.actorType).toBe("agent");
  });
});

describe("gateway bad input", () => {
  const cases: { name: string; send: (agent: SimAgent) => void; code: string }[] = [
    { name: "malformed JSON", send: (agent) => agent.sendRaw("{not json"), code: "malformed-json" },
    {
      name: "a binary frame",
      send: (agent) => agent.sendRaw(Buffer.from([1, 2, 3])),
      code: "malformed-json",
    },
    { name: "an unknown type", send: (agent) => agent.sendRaw('{"type":"reboot"}'), code: "unknown-type" },
    {
      name: "an invalid field",
      send: (agent) => agent.sendRaw('{"type":"heartbeat","health":{"stunnelAlive":"yes"}}'),
      code: "invalid-field",
    },
    {
      name: "an ack for a generation never sent",
      send: (agent) =>
        agent.sendRaw(
          JSON.stringify({
            type: "ack",
            generation: 9999,
            bundleHash: `sha256:${"0".repeat(64)}`,
            ok: true,
            durationMs: 1,
          }),
        ),
      code: "unexpected-ack",
    },
    {
      name: "a csr for an unknown request",
      send: (agent) =>
        agent.sendRaw(
          JSON.stringify({
            type: "csr",
            purpose: "tunnel",
            requestId: "never-requested",
            csrPem: "-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n",
          }),
        ),
      code: "unknown-csr-request",
    },
    {
      name: "a second hello",
      send: (agent) =>
        agent.sendRaw(
          JSON.stringify({
            type: "hello",
            protocolVersion: PROTOCOL_VERSION,
            agentVersion: "0.1.0",
            stunnelVersion: "5.68",
            opensslVersion: "3.0.15",
            netfilterBackend: "nft",
            appliedGeneration: 0,
            appliedBundleHash: null,
          }),
        ),
      code: "invalid-field",
    },
  ];

  for (const testCase of cases) {
    it(`closes the session on ${testCase.name}`, async () => {
      const agent = await readyAgent();

      testCase.send(agent);

      await agent.waitForClose();
      expect(agent.messagesOf("error")[0]?.code).toBe(testCase.code);
      expect(bystander.open).toBe(true);
    });
  }

  it("closes the session on a message before hello", async () => {
    const agent = simAgent(harness, gateway, await enrolMember(), { autoHello: false });
    await agent.connect();

    agent.sendRaw(
      JSON.stringify({
        type: "heartbeat",
        health: {
          stunnelAlive: true,
          listenersUp: [],
          rulesPresent: true,
          servedCertificate: null,
          probes: [],
        },
      }),
    );

    await agent.waitForClose();
    expect(agent.messagesOf("error")[0]?.code).toBe("hello-required");
    expect(bystander.open).toBe(true);
  });

  it("closes the session on an oversized frame", async () => {
    const agent = await readyAgent();

    agent.sendRaw("x".repeat(MAX_FRAME_BYTES + 1));

    await agent.waitForClose();
    expect(agent.closeCode).toBe(1009);
    expect(bystander.open).toBe(true);
  });

  it("keeps pushing to other sessions after bad input", async () => {
    const before = bystander.messagesOf("bundle").length;

    const joined = await enrolMember();

    await bystander.waitFor(() =>
      bystander
        .messagesOf("bundle")
        .slice(before)
        .some((bundle) => bundle.plan.links.some((link) => link.peerHostId === joined.hostId)),
    );
    expect(bystander.open).toBe(true);
  });
});
