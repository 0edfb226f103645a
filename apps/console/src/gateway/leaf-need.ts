// Decides whether a host needs a new tunnel leaf, from its stored certificates and
// memberships. The gateway sends the agent a csrRequest when this returns a reason.

import { createHash } from "node:crypto";
import { renewalDueAt } from "@tunnelfleet/pki";
import type { Db } from "../server/db";
import type { LeafNeed } from "./types";

/**
 * Returns a number in [0, 1) derived from the serial, used as the renewal jitter. It spreads
 * renewals of leaves issued together like a random draw would, but gives the same due
 * time at every check, so renewal never flips between due and not due.
 */
export function serialJitter(serial: string): number {
  return createHash("sha256").update(serial).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Returns why the host needs a new tunnel leaf: none active ("missing"), renewal due
 * ("renewal"), signed by a CA other than its first cluster's active CA ("rotation"), or
 * IP SANs that differ from its membership addresses ("membership-changed"). Null when
 * the leaf is fine or the host is in no cluster.
 */
export async function tunnelLeafNeed(db: Db, hostId: string, now: Date): Promise<LeafNeed | null> {
  return (await tunnelLeafNeeds(db, [hostId], now)).get(hostId) ?? null;
}

/** tunnelLeafNeed for many hosts, in three queries. Every host given gets an entry. */
export async function tunnelLeafNeeds(
  db: Db,
  hostIds: string[],
  now: Date,
): Promise<Map<string, LeafNeed | null>> {
  const needs = new Map<string, LeafNeed | null>(hostIds.map((id) => [id, null]));
  if (hostIds.length === 0) return needs;

  const memberships = await db.membership.findMany({
    where: { hostId: { in: hostIds } },
    orderBy: { createdAt: "asc" },
    select: { hostId: true, clusterId: true, address: true },
  });
  const membershipsOf = new Map<string, { clusterId: string; address: string }[]>();
  for (const membership of memberships) {
    const list = membershipsOf.get(membership.hostId) ?? [];
    list.push(membership);
    membershipsOf.set(membership.hostId, list);
  }

  const leaves = await db.certificate.findMany({
    where: { hostId: { in: [...membershipsOf.keys()] }, purpose: "tunnel", state: "active" },
    orderBy: { createdAt: "desc" },
    select: { hostId: true, serial: true, caId: true, sans: true, notBefore: true, notAfter: true },
  });
  const leafOf = new Map<string, (typeof leaves)[number]>();
  for (const leaf of leaves) {
    if (leaf.hostId && !leafOf.has(leaf.hostId)) leafOf.set(leaf.hostId, leaf);
  }

  const firstClusterIds = [...new Set([...membershipsOf.values()].map((list) => list[0]!.clusterId))];
  const authorities = await db.certificateAuthority.findMany({
    where: { clusterId: { in: firstClusterIds }, purpose: "cluster", state: "active" },
    orderBy: { createdAt: "desc" },
    select: { id: true, clusterId: true },
  });
  const activeCaOf = new Map<string, string>();
  for (const authority of authorities) {
    if (authority.clusterId && !activeCaOf.has(authority.clusterId))
      activeCaOf.set(authority.clusterId, authority.id);
  }

  for (const [hostId, hostMemberships] of membershipsOf) {
    needs.set(hostId, leafNeedOf(hostMemberships, leafOf.get(hostId), activeCaOf, now));
  }
  return needs;
}

function leafNeedOf(
  memberships: { clusterId: string; address: string }[],
  leaf: { serial: string; caId: string; sans: string[]; notBefore: Date; notAfter: Date } | undefined,
  activeCaOf: Map<string, string>,
  now: Date,
): LeafNeed | null {
  if (!leaf || leaf.notAfter <= now) return "missing";

  const due = renewalDueAt({ notBefore: leaf.notBefore, notAfter: leaf.notAfter }, () =>
    serialJitter(leaf.serial),
  );
  if (due <= now) return "renewal";

  const activeCa = activeCaOf.get(memberships[0]!.clusterId);
  if (activeCa && activeCa !== leaf.caId) return "rotation";

  const sanAddresses = new Set(leaf.sans.filter((san) => san.startsWith("IP:")).map((san) => san.slice(3)));
  const addresses = new Set(memberships.map((membership) => membership.address));
  const same =
    sanAddresses.size === addresses.size && [...addresses].every((address) => sanAddresses.has(address));
  return same ? null : "membership-changed";
}
