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
  const memberships = await db.membership.findMany({
    where: { hostId },
    orderBy: { createdAt: "asc" },
    select: { clusterId: true, address: true },
  });
  const first = memberships[0];
  if (!first) return null;

  const leaf = await db.certificate.findFirst({
    where: { hostId, purpose: "tunnel", state: "active" },
    orderBy: { createdAt: "desc" },
    select: { serial: true, caId: true, sans: true, notBefore: true, notAfter: true },
  });
  if (!leaf || leaf.notAfter <= now) return "missing";

  const due = renewalDueAt({ notBefore: leaf.notBefore, notAfter: leaf.notAfter }, () =>
    serialJitter(leaf.serial),
  );
  if (due <= now) return "renewal";

  const activeCa = await db.certificateAuthority.findFirst({
    where: { clusterId: first.clusterId, purpose: "cluster", state: "active" },
    orderBy: { createdAt: "desc" },
    select: { id: true },
  });
  if (activeCa && activeCa.id !== leaf.caId) return "rotation";

  const sanAddresses = new Set(leaf.sans.filter((san) => san.startsWith("IP:")).map((san) => san.slice(3)));
  const addresses = new Set(memberships.map((membership) => membership.address));
  const same =
    sanAddresses.size === addresses.size && [...addresses].every((address) => sanAddresses.has(address));
  return same ? null : "membership-changed";
}
