// The bundle the gateway pushes to a host: its plan, the CAs it trusts, its tunnel leaf
// and the CRLs, with the hash by which the agent detects a change.
import { bundleHash, type HostPlan, type PortAllocation, planHost } from "@tunnelfleet/mesh";
import { createCrl } from "@tunnelfleet/pki";
import type { Db, PrismaClient, Tx } from "../db";
import { loadSigningAuthority } from "./authorities";
import { lockTopology } from "./change";
import { NotFoundError } from "./errors";
import { clusterIdsOfHost, loadTopology } from "./topology";

/** How long a CRL in a bundle stays valid. The gateway must push a fresh bundle before then. */
export const CRL_VALIDITY_MS = 8 * 24 * 3600 * 1000;
/**
 * CRLs are re-signed once per period: the period start is their thisUpdate, so every
 * build within a period yields the same bundle hash, and a new period changes the hash
 * and makes the gateway push fresh CRLs well before nextUpdate.
 */
export const CRL_PERIOD_MS = 24 * 3600 * 1000;

export interface HostBundle {
  hostId: string;
  /** Desired generation the bundle was built for. */
  generation: number;
  plan: HostPlan;
  /** Active and retiring CA certificates of every cluster the host belongs to, sorted. */
  trustedCaPems: string[];
  /** The host's active tunnel leaf, or null before its first issuance. */
  leafCertPem: string | null;
  /** One CRL per trusted CA. */
  crlPems: string[];
  bundleHash: string;
}

async function loadAllocation(db: Db, hostId: string): Promise<PortAllocation> {
  const rows = await db.portAllocation.findMany({ where: { hostId } });
  return Object.fromEntries(rows.map((row) => [row.key, row.port]));
}

async function saveAllocation(
  tx: Tx,
  hostId: string,
  previous: PortAllocation,
  next: PortAllocation,
): Promise<void> {
  const unchanged =
    Object.keys(previous).length === Object.keys(next).length &&
    Object.entries(next).every(([key, port]) => previous[key] === port);
  if (unchanged) return;

  await tx.portAllocation.deleteMany({ where: { hostId } });
  await tx.portAllocation.createMany({
    data: Object.entries(next).map(([key, port]) => ({ hostId, key, port })),
  });
}

/** Plans the host from the stored topology and its persisted allocation, without writing. */
export async function planStoredHost(
  db: Db,
  hostId: string,
): Promise<{ plan: HostPlan; previous: PortAllocation; generation: number | null }> {
  const desired = await db.desiredState.findUnique({ where: { hostId } });
  const host = await db.host.findUnique({ where: { id: hostId }, select: { id: true } });
  if (!host) throw new NotFoundError("host", hostId);

  const topology = await loadTopology(db);
  const previous = await loadAllocation(db, hostId);
  return { plan: planHost(topology, hostId, previous), previous, generation: desired?.generation ?? null };
}

/**
 * Builds the host's bundle: loads the topology, plans the host with its persisted
 * allocation, persists the new allocation and bundle hash, and returns what the gateway
 * pushes. Runs under the topology lock, so the plan, the generation and the allocation
 * come from one consistent state.
 */
export async function buildHostBundle(
  prisma: PrismaClient,
  hostId: string,
  options: { masterKey: Buffer; now?: Date },
): Promise<HostBundle> {
  const now = options.now ?? new Date();
  const periodStart = new Date(Math.floor(now.getTime() / CRL_PERIOD_MS) * CRL_PERIOD_MS);

  const loaded = await prisma.$transaction(
    async (tx) => {
      await lockTopology(tx);
      const { plan, previous, generation } = await planStoredHost(tx, hostId);
      await saveAllocation(tx, hostId, previous, plan.allocation);

      const clusterIds = await clusterIdsOfHost(tx, hostId);
      const authorities = await tx.certificateAuthority.findMany({
        where: { clusterId: { in: clusterIds }, purpose: "cluster", state: { in: ["active", "retiring"] } },
        orderBy: { id: "asc" },
        include: { certificates: { where: { state: "revoked" }, select: { serial: true, revokedAt: true } } },
      });
      const leaf = await tx.certificate.findFirst({
        where: { hostId, purpose: "tunnel", state: "active" },
        orderBy: { createdAt: "desc" },
        select: { certPem: true },
      });
      return { plan, generation: generation ?? 0, authorities, leafCertPem: leaf?.certPem ?? null };
    },
    { maxWait: 10_000, timeout: 30_000 },
  );

  const crlPems: string[] = [];
  // What goes into the hash for each CRL: its signer, number, period and entries. The CRL
  // bytes differ on every signing (ECDSA signatures are randomised), so they cannot.
  const crlIdentities: string[] = [];
  for (const authority of loaded.authorities) {
    const signer = await loadSigningAuthority(prisma, authority.id, options.masterKey);
    const revoked = authority.certificates.map((certificate) => ({
      serial: certificate.serial,
      revokedAt: certificate.revokedAt ?? periodStart,
    }));
    crlPems.push(
      await createCrl({
        caCertPem: signer.certPem,
        caKeyPem: signer.keyPem,
        revoked,
        crlNumber: authority.crlNumber,
        thisUpdate: periodStart,
        nextUpdate: new Date(periodStart.getTime() + CRL_VALIDITY_MS),
      }),
    );
    const serials = revoked.map((entry) => entry.serial).sort();
    crlIdentities.push(
      `${authority.id}/${authority.crlNumber}/${periodStart.toISOString()}/${serials.join(",")}`,
    );
  }

  const trustedCaPems = loaded.authorities.map((authority) => authority.certPem);
  const hash = bundleHash({
    plan: loaded.plan,
    pems: {
      ca: trustedCaPems.join(""),
      cert: loaded.leafCertPem ?? "",
      crl: crlIdentities.join("\n"),
    },
  });
  await prisma.desiredState.updateMany({ where: { hostId }, data: { bundleHash: hash } });

  return {
    hostId,
    generation: loaded.generation,
    plan: loaded.plan,
    trustedCaPems,
    leafCertPem: loaded.leafCertPem,
    crlPems,
    bundleHash: hash,
  };
}
