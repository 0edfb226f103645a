import { register } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/types";
import {
  addTestMember,
  createHarness,
  createTestCluster,
  createToken,
  type EnrolledAgent,
  enrol,
  type Harness,
  simAgent,
  uniqueName,
} from "./harness";
import type { SimAgent } from "./sim-agent";

let harness: Harness;
let replicaA: RunningGateway;
let replicaB: RunningGateway;
let clusterId: string;
let addressCounter = 1;

beforeAll(async () => {
  harness = await createHarness();
  replicaA = await harness.startGateway();
  replicaB = await harness.startGateway();
  clusterId = await createTestCluster(harness, uniqueName("push"));
});

afterAll(async () => {
  await harness?.close();
});

function nextAddress(): string {
  addressCounter += 1;
  return `10.40.0.${addressCounter}`;
}

async function enrolMember(through: RunningGateway): Promise<EnrolledAgent> {
  const token = await createToken(harness, {
    hostName: uniqueName("node"),
    clusterId,
    address: nextAddress(),
  });
  return enrol(harness, through, token);
}

async function connectedAgent(identity: EnrolledAgent, gateway: RunningGateway): Promise<SimAgent> {
  const agent = simAgent(harness, gateway, identity, { createCsr: undefined });
  await agent.connect();
  await agent.waitFor(() => agent.messagesOf("bundle").length >= 1 && agent.appliedBundleHash !== null);
  return agent;
}

function linksTo(agent: SimAgent, hostId: string): boolean {
  return agent
    .messagesOf("bundle")
    .some((bundle) => bundle.plan.links.some((link) => link.peerHostId === hostId));
}

describe("gateway push", () => {
  it("pushes a change to every connected member", async () => {
    const firstIdentity = await enrolMember(replicaA);
    const first = await connectedAgent(firstIdentity, replicaA);
    const second = await connectedAgent(await enrolMember(replicaA), replicaA);

    const newcomer = await harness.db.prisma.host.create({
      data: { name: uniqueName("late"), desired: { create: {} } },
    });
    await addTestMember(harness, clusterId, newcomer.id, nextAddress());

    await first.waitFor(() => linksTo(first, newcomer.id));
    await second.waitFor(() => linksTo(second, newcomer.id));
    const desired = await harness.db.prisma.desiredState.findUniqueOrThrow({
      where: { hostId: firstIdentity.hostId },
    });
    const pushed = first
      .messagesOf("bundle")
      .find((bundle) => bundle.plan.links.some((l) => l.peerHostId === newcomer.id));
    expect(pushed?.generation).toBeLessThanOrEqual(desired.generation);
    expect(pushed?.generation).toBeGreaterThan(first.messagesOf("bundle")[0]!.generation);
  });

  it("reaches an agent on another replica", async () => {
    const onB = await connectedAgent(await enrolMember(replicaB), replicaB);

    // Enrolment through replica A adds a member; its NOTIFY must reach replica B.
    const joined = await enrolMember(replicaA);

    await onB.waitFor(() => linksTo(onB, joined.hostId));
    expect(onB.open).toBe(true);
  });

  it("counts bundles and acks in the metrics", async () => {
    await connectedAgent(await enrolMember(replicaA), replicaA);

    const text = await register.metrics();

    const sent = /^tunnelfleet_gateway_bundles_sent_total (\d+)$/m.exec(text);
    expect(Number(sent?.[1])).toBeGreaterThan(0);
    const acks = /^tunnelfleet_gateway_acks_total\{result="ok"\} (\d+)$/m.exec(text);
    expect(Number(acks?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^tunnelfleet_gateway_connected_agents \d+$/m);
  });
});
