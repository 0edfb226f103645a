import { PROTOCOL_VERSION } from "@tunnelfleet/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/types";
import { runChange } from "../../src/server/services/change";
import { SYSTEM_ACTOR } from "../../src/server/services/context";
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

let harness: Harness;
let gateway: RunningGateway;
let clusterId: string;
let addressCounter = 1;

beforeAll(async () => {
  harness = await createHarness();
  gateway = await harness.startGateway({ heartbeatWriteIntervalMs: 0, leafCheckIntervalMs: 200 });
  clusterId = await createTestCluster(harness, uniqueName("sessions"));
});

afterAll(async () => {
  await harness?.close();
});

function nextAddress(): string {
  addressCounter += 1;
  return `10.30.0.${addressCounter}`;
}

async function enrolMember(): Promise<EnrolledAgent> {
  const token = await createToken(harness, {
    hostName: uniqueName("node"),
    clusterId,
    address: nextAddress(),
  });
  return enrol(harness, gateway, token);
}

async function desiredGeneration(hostId: string): Promise<number> {
  const desired = await harness.db.prisma.desiredState.findUniqueOrThrow({ where: { hostId } });
  return desired.generation;
}

describe("gateway session", () => {
  it("sends welcome and the bundle, and stores the ack", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity, { createCsr: undefined });

    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("bundle").length === 1);

    const welcome = agent.messagesOf("welcome")[0];
    expect(welcome).toEqual({
      type: "welcome",
      hostId: identity.hostId,
      hostName: identity.hostName,
      serverVersion: "0.1.0",
    });
    const bundle = agent.messagesOf("bundle")[0]!;
    expect(bundle.plan.hostId).toBe(identity.hostId);
    expect(bundle.generation).toBe(await desiredGeneration(identity.hostId));

    const observed = await eventually(async () => {
      const row = await harness.db.prisma.observedState.findUnique({ where: { hostId: identity.hostId } });
      return row?.bundleHash ? row : undefined;
    }, "the ack in observed state");
    expect(observed.generation).toBe(bundle.generation);
    expect(observed.bundleHash).toBe(bundle.bundleHash);
    expect(observed.applyOk).toBe(true);
    expect(observed.agentVersion).toBe("0.1.0");
    expect(observed.netfilterBackend).toBe("nft");
    expect(observed.connected).toBe(true);
  });

  it("stores a failed apply", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity, { createCsr: undefined });
    agent.executor.failNext = "port 16379 already in use";

    await agent.connect();

    const observed = await eventually(async () => {
      const row = await harness.db.prisma.observedState.findUnique({ where: { hostId: identity.hostId } });
      return row?.applyOk === false ? row : undefined;
    }, "the failed ack");
    expect(observed.applyError).toBe("port 16379 already in use");
    expect(observed.bundleHash).toBeNull();
  });

  it("sends no bundle to an agent that already runs the current one", async () => {
    const identity = await enrolMember();
    const first = simAgent(harness, gateway, identity, { createCsr: undefined });
    await first.connect();
    await first.waitFor(() => first.appliedBundleHash !== null);
    await first.close();

    const second = simAgent(harness, gateway, identity, {
      createCsr: undefined,
      hello: { appliedGeneration: first.appliedGeneration, appliedBundleHash: first.appliedBundleHash },
    });
    await second.connect();
    await second.waitFor(() => second.messagesOf("welcome").length === 1);

    // A change after the reconnect must be the first bundle this session receives.
    const peer = await enrolMember();
    await second.waitFor(() => second.messagesOf("bundle").length >= 1);
    const bundle = second.messagesOf("bundle")[0]!;
    expect(bundle.plan.links.map((link) => link.peerHostId)).toContain(peer.hostId);
  });

  it("converges to the latest state after missing three changes", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity, { createCsr: undefined });
    await agent.connect();
    await agent.waitFor(() => agent.appliedBundleHash !== null);
    await agent.close();

    const peers = [await enrolMember(), await enrolMember(), await enrolMember()];

    const again = simAgent(harness, gateway, identity, {
      createCsr: undefined,
      hello: { appliedGeneration: agent.appliedGeneration, appliedBundleHash: agent.appliedBundleHash },
    });
    await again.connect();
    const latest = await desiredGeneration(identity.hostId);
    await again.waitFor(() => again.messagesOf("bundle").some((bundle) => bundle.generation === latest));

    const bundles = again.messagesOf("bundle");
    expect(bundles).toHaveLength(1);
    expect(bundles[0]!.generation).toBe(latest);
    const linked = bundles[0]!.plan.links.map((link) => link.peerHostId);
    for (const peer of peers) expect(linked).toContain(peer.hostId);
  });

  it("requests a CSR for a missing leaf and pushes the signed leaf", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity);

    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("bundle").some((bundle) => bundle.leafCertPem !== null));

    expect(agent.messagesOf("csrRequest")[0]?.reason).toBe("missing");
    const leaf = await harness.db.prisma.certificate.findFirst({
      where: { hostId: identity.hostId, purpose: "tunnel", state: "active" },
    });
    const pushed = agent.messagesOf("bundle").find((bundle) => bundle.leafCertPem !== null);
    expect(pushed?.leafCertPem).toBe(leaf?.certPem);
  });

  it("requests renewal when the leaf is due, without operator action", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity);
    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("bundle").some((bundle) => bundle.leafCertPem !== null));

    // Move the leaf's validity so that its renewal point has passed.
    const day = 24 * 3600 * 1000;
    await harness.db.prisma.certificate.updateMany({
      where: { hostId: identity.hostId, purpose: "tunnel", state: "active" },
      data: { notBefore: new Date(Date.now() - 25 * day), notAfter: new Date(Date.now() + 5 * day) },
    });

    await agent.waitFor(() => agent.messagesOf("csrRequest").some((request) => request.reason === "renewal"));
    const leaves = await eventually(async () => {
      const rows = await harness.db.prisma.certificate.findMany({
        where: { hostId: identity.hostId, purpose: "tunnel" },
      });
      return rows.length >= 2 ? rows : undefined;
    }, "the renewed leaf");
    expect(leaves.filter((leaf) => leaf.state === "active")).toHaveLength(1);
  });

  it("requests a new leaf when the membership addresses change", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity);
    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("bundle").some((bundle) => bundle.leafCertPem !== null));

    // A host belongs to one cluster; its address there changes, as an operator's edit would.
    await runChange(harness.db.prisma, SYSTEM_ACTOR, "test.member-address", async (tx) => {
      await tx.membership.updateMany({ where: { hostId: identity.hostId }, data: { address: "10.31.0.1" } });
      return {
        result: null,
        hostIds: [identity.hostId],
        audit: { action: "member.update", targetType: "host", targetId: identity.hostId },
      };
    });

    await agent.waitFor(() =>
      agent.messagesOf("csrRequest").some((request) => request.reason === "membership-changed"),
    );
    expect(agent.open).toBe(true);
  });

  it("stores heartbeats as observed health", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, gateway, identity, { createCsr: undefined });
    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("welcome").length === 1);

    agent.sendRaw(
      JSON.stringify({
        type: "heartbeat",
        health: {
          stunnelAlive: true,
          listenersUp: [{ address: "10.30.0.9", port: 16379, up: true }],
          rulesPresent: false,
          servedCertificate: null,
          probes: [],
        },
      }),
    );

    const observed = await eventually(async () => {
      const row = await harness.db.prisma.observedState.findUnique({ where: { hostId: identity.hostId } });
      return row?.health ? row : undefined;
    }, "the stored heartbeat");
    expect((observed.health as { rulesPresent: boolean }).rulesPresent).toBe(false);
  });
});

describe("agent version skew", () => {
  let skewGateway: RunningGateway;

  beforeAll(async () => {
    skewGateway = await harness.startGateway({ serverVersion: "1.4.0" });
  });

  it("accepts an agent one minor version behind", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, skewGateway, identity, {
      createCsr: undefined,
      hello: { agentVersion: "1.3.9" },
    });
    await agent.connect();
    await agent.waitFor(() => agent.messagesOf("welcome").length === 1);
    expect(agent.messagesOf("error")).toEqual([]);
  });

  it("rejects an agent two minor versions behind", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, skewGateway, identity, {
      createCsr: undefined,
      hello: { agentVersion: "1.2.0" },
    });
    await agent.connect();
    await agent.waitForClose();
    expect(agent.messagesOf("error")[0]?.code).toBe("unsupported-agent-version");
    expect(agent.closeCode).toBe(4001);
    expect(agent.messagesOf("welcome")).toEqual([]);
  });

  it("rejects another protocol version", async () => {
    const identity = await enrolMember();
    const agent = simAgent(harness, skewGateway, identity, {
      createCsr: undefined,
      hello: { agentVersion: "1.4.0", protocolVersion: PROTOCOL_VERSION + 1 },
    });
    await agent.connect();
    await agent.waitForClose();
    expect(agent.messagesOf("error")[0]?.code).toBe("bad-version");
  });
});
