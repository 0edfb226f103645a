import { get } from "node:https";
import { createCsr, exportPrivateKeyPem, generateKeyPair } from "@tunnelfleet/pki";
import { GATEWAY_CA_PATH } from "@tunnelfleet/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/gateway/types";
import {
  createHarness,
  createTestCluster,
  createToken,
  enrol,
  type Harness,
  postJson,
  uniqueName,
} from "./harness";

let harness: Harness;
let gateway: RunningGateway;

beforeAll(async () => {
  harness = await createHarness();
  gateway = await harness.startGateway();
});

afterAll(async () => {
  await harness?.close();
});

async function csrPem(): Promise<string> {
  const keyPair = await generateKeyPair("ecdsa-p256");
  return createCsr({ commonName: "agent", keyPem: await exportPrivateKeyPem(keyPair.privateKey) });
}

describe("gateway enrolment", () => {
  it("serves the gateway CA without a client certificate", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: "127.0.0.1", port: gateway.port, path: GATEWAY_CA_PATH, ca: harness.caPem }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      }).on("error", reject);
    });
    expect(JSON.parse(body)).toEqual({ caPem: harness.caPem });
  });

  it("creates the host and an active agent certificate", async () => {
    const name = uniqueName("enrol");
    const token = await createToken(harness, { hostName: name });

    const agent = await enrol(harness, gateway, token);

    expect(agent.hostName).toBe(name);
    const host = await harness.db.prisma.host.findUnique({
      where: { id: agent.hostId },
      include: { desired: true },
    });
    expect(host?.name).toBe(name);
    expect(host?.desired?.generation).toBeGreaterThanOrEqual(1);
    const certificates = await harness.db.prisma.certificate.findMany({
      where: { hostId: agent.hostId, purpose: "agent", state: "active" },
    });
    expect(certificates).toHaveLength(1);
    expect(certificates[0]?.certPem).toBe(agent.certPem);
    const audit = await harness.db.prisma.auditEvent.findMany({
      where: { action: "host.enrol", targetId: agent.hostId },
    });
    expect(audit).toHaveLength(1);
  });

  it("adds the membership the token names", async () => {
    const clusterId = await createTestCluster(harness, uniqueName("enrolcluster"));
    const token = await createToken(harness, {
      hostName: uniqueName("member"),
      clusterId,
      address: "10.20.0.1",
    });

    const agent = await enrol(harness, gateway, token);

    const memberships = await harness.db.prisma.membership.findMany({ where: { hostId: agent.hostId } });
    expect(memberships.map((m) => [m.clusterId, m.address])).toEqual([[clusterId, "10.20.0.1"]]);
  });

  it("rejects a replayed token with 401 and audits it", async () => {
    const token = await createToken(harness, { hostName: uniqueName("replay") });
    await enrol(harness, gateway, token);

    const replay = await postJson(harness, gateway, "/v1/enrol", { token, agentCsrPem: await csrPem() });

    expect(replay.status).toBe(401);
    expect((replay.body as { error: string }).error).toContain("join token");
    const rejected = await harness.db.prisma.auditEvent.findMany({
      where: { action: "host.enrol.rejected" },
    });
    expect(rejected.some((event) => (event.after as { reason?: string })?.reason === "already-used")).toBe(
      true,
    );
  });

  it("rejects an expired token with 401", async () => {
    const token = await createToken(harness, { hostName: uniqueName("expired") });
    await harness.db.prisma.joinToken.updateMany({
      where: { usedAt: null, hostName: { startsWith: "expired-" } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    const response = await postJson(harness, gateway, "/v1/enrol", { token, agentCsrPem: await csrPem() });

    expect(response.status).toBe(401);
  });

  it("rejects an unknown token with 401", async () => {
    const response = await postJson(harness, gateway, "/v1/enrol", {
      token: "tfj_this-token-was-never-issued",
      hostName: "ghost",
      agentCsrPem: await csrPem(),
    });
    expect(response.status).toBe(401);
  });

  it("rejects invalid JSON with 400", async () => {
    const response = await postJson(harness, gateway, "/v1/enrol", "{nope");
    expect(response.status).toBe(400);
  });

  it("names the invalid field with 400", async () => {
    const token = await createToken(harness, { hostName: uniqueName("badcsr") });
    const response = await postJson(harness, gateway, "/v1/enrol", { token, agentCsrPem: "not a csr" });
    expect(response.status).toBe(400);
    expect((response.body as { error: string }).error).toContain("agentCsrPem");
  });

  it("rejects a taken host name with 409 and keeps the token usable", async () => {
    const taken = uniqueName("taken");
    await enrol(harness, gateway, await createToken(harness, { hostName: taken }));
    const token = await createToken(harness);

    const conflict = await postJson(harness, gateway, "/v1/enrol", {
      token,
      hostName: taken,
      agentCsrPem: await csrPem(),
    });
    expect(conflict.status).toBe(409);

    const retry = await enrol(harness, gateway, token, uniqueName("free"));
    expect(retry.hostId).toBeTruthy();
  });

  it("lets only one of two concurrent enrolments use a token", async () => {
    const token = await createToken(harness);
    const [first, second] = await Promise.all([
      postJson(harness, gateway, "/v1/enrol", {
        token,
        hostName: uniqueName("race"),
        agentCsrPem: await csrPem(),
      }),
      postJson(harness, gateway, "/v1/enrol", {
        token,
        hostName: uniqueName("race"),
        agentCsrPem: await csrPem(),
      }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 401]);
  });
});
