// Every mutation of every router writes exactly one audit event, in its transaction,
// naming the action, the target and the actor.
import { generateKeyPairSync } from "node:crypto";
import { createCa, createCsr } from "@tunnelfleet/pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueTunnelLeaf } from "../../src/server/services/certificates";
import type { Actor } from "../../src/server/services/context";
import { callerFor, createUserActor, type Harness, startHarness } from "./harness";

let harness: Harness;
let admin: Actor;

beforeAll(async () => {
  harness = await startHarness();
  admin = await createUserActor(harness, "admin");
});

afterAll(async () => {
  await harness?.close();
});

function newCsr(commonName: string): Promise<string> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return createCsr({ commonName, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() });
}

/** Runs `mutation` and returns the audit events it added. */
async function auditOf(mutation: () => Promise<unknown>) {
  const last = await harness.db.prisma.auditEvent.findFirst({
    orderBy: { id: "desc" },
    select: { id: true },
  });
  await mutation();
  return harness.db.prisma.auditEvent.findMany({
    where: { id: { gt: last?.id ?? 0n } },
    orderBy: { id: "asc" },
  });
}

describe("audit of every mutation", () => {
  it("writes one event per mutation with actor and target", async () => {
    const api = callerFor(harness, admin);
    let clusterId = "";
    let hostId = "";
    let secondHostId = "";
    let joinTokenId = "";
    let userId = "";
    let tokenId = "";
    let certificateId = "";
    const external = await createCa({ commonName: "Audit import CA" });

    const steps: { action: string; run: () => Promise<unknown>; target: () => string | null }[] = [
      {
        action: "cluster.create",
        run: async () => {
          clusterId = (await api.clusters.create({ name: "audit", preset: "redis" })).id;
        },
        target: () => clusterId,
      },
      {
        action: "cluster.update",
        run: () => api.clusters.update({ id: clusterId, strict: true }),
        target: () => clusterId,
      },
      {
        action: "member.add",
        run: async () => {
          hostId = (await api.members.add({ clusterId, hostName: "audit-1", address: "10.70.0.1" })).hostId;
        },
        target: () => clusterId,
      },
      {
        action: "member.add",
        run: async () => {
          secondHostId = (await api.members.add({ clusterId, hostName: "audit-2", address: "10.70.0.2" }))
            .hostId;
        },
        target: () => clusterId,
      },
      {
        action: "certificate.issue",
        run: async () => {
          certificateId = (await issueTunnelLeaf(harness.server.services, hostId, await newCsr("audit-1")))
            .id;
        },
        target: () => certificateId,
      },
      {
        action: "certificate.revoke",
        run: () => api.certificates.revoke({ id: certificateId, reason: "superseded" }),
        target: () => certificateId,
      },
      {
        action: "ca.rotate",
        run: () => api.certificateAuthorities.rotate({ clusterId }),
        target: () => null,
      },
      {
        action: "ca.import",
        run: () =>
          api.certificateAuthorities.import({
            clusterId,
            certPem: external.certPem,
            keyPem: external.keyPem,
          }),
        target: () => null,
      },
      {
        action: "ca.finish_rotation",
        run: () => api.certificateAuthorities.finishRotation({ clusterId }),
        target: () => clusterId,
      },
      {
        action: "join_token.create",
        run: async () => {
          joinTokenId = (await api.joinTokens.create({ hostName: "audit-3" })).id;
        },
        target: () => joinTokenId,
      },
      {
        action: "join_token.revoke",
        run: () => api.joinTokens.revoke({ id: joinTokenId }),
        target: () => joinTokenId,
      },
      {
        action: "member.remove",
        run: () => api.members.remove({ clusterId, hostId: secondHostId }),
        target: () => clusterId,
      },
      {
        action: "host.delete",
        run: () => api.hosts.delete({ id: secondHostId }),
        target: () => secondHostId,
      },
      {
        action: "user.create",
        run: async () => {
          userId = (
            await api.users.create({
              username: "audit-user",
              password: "audit user password",
              role: "viewer",
            })
          ).id;
        },
        target: () => userId,
      },
      {
        action: "user.set_role",
        run: () => api.users.update({ id: userId, role: "operator" }),
        target: () => userId,
      },
      {
        action: "user.disable",
        run: () => api.users.update({ id: userId, disabled: true }),
        target: () => userId,
      },
      {
        action: "user.reset_password",
        run: () => api.users.resetPassword({ id: userId, password: "new audit password" }),
        target: () => userId,
      },
      { action: "user.delete", run: () => api.users.delete({ id: userId }), target: () => userId },
      {
        action: "api_token.create",
        run: async () => {
          tokenId = (await api.apiTokens.create({ name: "audit-token", role: "viewer" })).id;
        },
        target: () => tokenId,
      },
      { action: "api_token.revoke", run: () => api.apiTokens.revoke({ id: tokenId }), target: () => tokenId },
      {
        action: "cluster.delete",
        run: () => api.clusters.delete({ id: clusterId }),
        target: () => clusterId,
      },
    ];

    for (const step of steps) {
      const events = await auditOf(step.run);
      expect(
        events.map((event) => event.action),
        step.action,
      ).toEqual([step.action]);
      const event = events[0]!;
      const target = step.target();
      if (target !== null) expect(event.targetId, step.action).toBe(target);
      if (step.action !== "certificate.issue") {
        expect(event.actorId, step.action).toBe(admin.id);
        expect(event.actorName, step.action).toBe(admin.name);
        expect(event.actorType, step.action).toBe("user");
      } else {
        expect(event.actorType).toBe("agent");
        expect(event.actorId).toBe(hostId);
      }
    }
  });

  it("a rejected mutation writes no event", async () => {
    const api = callerFor(harness, admin);
    const events = await auditOf(() =>
      api.clusters.create({ name: "bad name!", preset: "redis" }).catch(() => null),
    );
    expect(events).toEqual([]);
  });
});
