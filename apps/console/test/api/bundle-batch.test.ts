// The batch bundle builder against a real PostgreSQL: the same bundles as single builds,
// stable port allocations across batches, and the CRL cache's re-use and invalidation.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tunnelLeafNeed, tunnelLeafNeeds } from "../../src/gateway/leaf-need";
import { buildHostBundle, buildHostBundles, CRL_PERIOD_MS } from "../../src/server/services/bundle";
import { issueTunnelLeaf } from "../../src/server/services/certificates";
import type { Actor } from "../../src/server/services/context";
import { crlCache } from "../../src/server/services/crl-cache";
import {
  callerFor,
  clusterWithMembers,
  createUserActor,
  type Harness,
  newTunnelCsr,
  startHarness,
} from "./harness";

let harness: Harness;
let operator: Actor;

beforeAll(async () => {
  harness = await startHarness();
  operator = await createUserActor(harness, "operator");
});

afterAll(async () => {
  await harness?.close();
});

function options() {
  return { masterKey: harness.server.services.masterKey };
}

async function storedAllocation(hostId: string): Promise<Record<string, number>> {
  const rows = await harness.db.prisma.portAllocation.findMany({ where: { hostId } });
  return Object.fromEntries(rows.map((row) => [row.key, row.port]));
}

describe("batch bundle builder", () => {
  it("gives every host the bundle a single build gives", async () => {
    const first = await clusterWithMembers(harness, operator, "batch-a", [
      "10.70.0.1",
      "10.70.0.2",
      "10.70.0.3",
    ]);
    const second = await clusterWithMembers(harness, operator, "batch-b", ["10.71.0.1", "10.71.0.2"]);
    await issueTunnelLeaf(harness.server.services, first.hostIds[1]!, await newTunnelCsr("batch-a-2"));
    const hostIds = [...first.hostIds, ...second.hostIds];

    const batch = await buildHostBundles(harness.db.prisma, hostIds, options());
    expect([...batch.keys()].sort()).toEqual([...hostIds].sort());
    // Each cluster has its own CA: the batch must not mix them up.
    expect(batch.get(first.hostIds[0]!)!.trustedCaPems).not.toEqual(
      batch.get(second.hostIds[0]!)!.trustedCaPems,
    );
    expect(batch.get(first.hostIds[1]!)!.leafCertPem).toContain("BEGIN CERTIFICATE");

    for (const hostId of hostIds) {
      const single = await buildHostBundle(harness.db.prisma, hostId, options());
      expect(batch.get(hostId)).toEqual(single);
      const desired = await harness.db.prisma.desiredState.findUniqueOrThrow({ where: { hostId } });
      expect(desired.bundleHash).toBe(single.bundleHash);
      expect(await storedAllocation(hostId)).toEqual(single.plan.allocation);
    }
  });

  it("keeps allocated ports across batches and after a new peer joins", async () => {
    const { cluster, hostIds } = await clusterWithMembers(harness, operator, "stable", [
      "10.72.0.1",
      "10.72.0.2",
      "10.72.0.3",
    ]);
    const before = await buildHostBundles(harness.db.prisma, hostIds, options());

    const joined = await callerFor(harness, operator).members.add({
      clusterId: cluster.id,
      hostName: "stable-4",
      address: "10.72.0.4",
    });
    // Other batch boundaries and order than the first build.
    const later = new Map([
      ...(await buildHostBundles(harness.db.prisma, [hostIds[2]!, joined.hostId], options())),
      ...(await buildHostBundles(harness.db.prisma, [hostIds[1]!, hostIds[0]!], options())),
    ]);

    for (const hostId of hostIds) {
      const previous = before.get(hostId)!.plan.allocation;
      const next = later.get(hostId)!.plan.allocation;
      expect(Object.keys(next).length).toBeGreaterThan(Object.keys(previous).length);
      for (const [key, port] of Object.entries(previous)) expect(next[key]).toBe(port);
      expect(await storedAllocation(hostId)).toEqual(next);
      expect(later.get(hostId)!.bundleHash).not.toBe(before.get(hostId)!.bundleHash);
    }
    expect(await storedAllocation(joined.hostId)).toEqual(later.get(joined.hostId)!.plan.allocation);
  });

  it("skips a missing host in batches", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "missing", ["10.73.0.1"]);
    const ghost = randomUUID();
    const bundles = await buildHostBundles(harness.db.prisma, [ghost, hostIds[0]!], options());
    expect([...bundles.keys()]).toEqual([hostIds[0]]);
    await expect(buildHostBundle(harness.db.prisma, ghost, options())).rejects.toMatchObject({
      name: "NotFoundError",
    });
  });
});

describe("CRL cache", () => {
  it("re-uses CRLs within one period", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "crl", ["10.74.0.1", "10.74.0.2"]);
    const deps = harness.server.services;
    const leaf = await issueTunnelLeaf(deps, hostIds[1]!, await newTunnelCsr("crl-2"));

    const first = await buildHostBundle(deps.prisma, hostIds[0]!, options());
    const hitsBefore = crlCache.hits;
    const again = await buildHostBundles(deps.prisma, hostIds, options());
    // ECDSA signatures are randomised: equal bytes mean the CRL was not signed again.
    expect(again.get(hostIds[0]!)!.crlPems).toEqual(first.crlPems);
    expect(again.get(hostIds[1]!)!.crlPems).toEqual(first.crlPems);
    expect(crlCache.hits).toBeGreaterThan(hitsBefore);

    await callerFor(harness, operator).certificates.revoke({ id: leaf.id, reason: "keyCompromise" });
    const revoked = await buildHostBundle(deps.prisma, hostIds[0]!, options());
    expect(revoked.crlPems[0]).not.toBe(first.crlPems[0]);
    const crlDer = Buffer.from(revoked.crlPems[0]!.replace(/-----[^-]+-----|\s/g, ""), "base64");
    const serialHex = leaf.serial.padStart(leaf.serial.length + (leaf.serial.length % 2), "0");
    expect(crlDer.includes(Buffer.from(serialHex, "hex"))).toBe(true);
    expect(revoked.bundleHash).not.toBe(first.bundleHash);

    const nextPeriod = await buildHostBundle(deps.prisma, hostIds[0]!, {
      ...options(),
      now: new Date(Date.now() + CRL_PERIOD_MS),
    });
    expect(nextPeriod.crlPems[0]).not.toBe(revoked.crlPems[0]);
    expect(nextPeriod.bundleHash).not.toBe(revoked.bundleHash);
  });
});

describe("batch tunnel leaf needs", () => {
  it("finds for each host the need a single look-up finds", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "needs", [
      "10.75.0.1",
      "10.75.0.2",
      "10.75.0.3",
    ]);
    const deps = harness.server.services;
    await issueTunnelLeaf(deps, hostIds[1]!, await newTunnelCsr("needs-2"));
    await issueTunnelLeaf(deps, hostIds[2]!, await newTunnelCsr("needs-3"));
    // The third host's address moves after its leaf was signed.
    await deps.prisma.membership.updateMany({
      where: { hostId: hostIds[2]! },
      data: { address: "10.75.0.9" },
    });
    const loner = await deps.prisma.host.create({ data: { name: "needs-loner" } });
    const now = new Date();

    const batch = await tunnelLeafNeeds(deps.prisma, [...hostIds, loner.id], now);
    expect([...batch.values()]).toEqual(["missing", null, "membership-changed", null]);
    for (const hostId of [...hostIds, loner.id]) {
      expect(batch.get(hostId)).toBe(await tunnelLeafNeed(deps.prisma, hostId, now));
    }
  });
});
