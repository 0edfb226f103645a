// The bundle the gateway pushes to a host: its plan, the CAs it trusts, its tunnel leaf
// and the CRLs, with the hash by which the agent detects a change.
import {
  assertValidTopology,
  bundleHash,
  type HostPlan,
  type PortAllocation,
  planHost,
  type Topology,
} from "@tunnelfleet/mesh";
import { createCrl } from "@tunnelfleet/pki";
import type { Db, PrismaClient, Tx } from "../db";
import { loadSigningAuthority } from "./authorities";
import { lockTopologyShared } from "./change";
import { type CrlIdentity, crlCache, crlIdentityKey } from "./crl-cache";
import { NotFoundError } from "./errors";
import { loadTopology } from "./topology";

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

/** Options of the bundle builders. */
export interface BuildBundleOptions {
  masterKey: Buffer;
  now?: Date;
}

/**
 * Builds the host's bundle. A batch of one: see buildHostBundles. Throws NotFoundError
 * when the host does not exist.
 */
export async function buildHostBundle(
  prisma: PrismaClient,
  hostId: string,
  options: BuildBundleOptions,
): Promise<HostBundle> {
  const bundle = (await buildHostBundles(prisma, [hostId], options)).get(hostId);
  if (!bundle) throw new NotFoundError("host", hostId);
  return bundle;
}

type AuthorityWithRevoked = Awaited<ReturnType<typeof loadAuthorities>>[number];

function loadAuthorities(tx: Tx, clusterIds: string[]) {
  return tx.certificateAuthority.findMany({
    where: { clusterId: { in: clusterIds }, purpose: "cluster", state: { in: ["active", "retiring"] } },
    orderBy: { id: "asc" },
    include: { certificates: { where: { state: "revoked" }, select: { serial: true, revokedAt: true } } },
  });
}

/**
 * Returns the part of a valid topology that one host's plan depends on: its clusters,
 * their memberships and the hosts of those. Planning a host on it gives the same plan as
 * on the whole topology, at a cost that does not grow with the number of clusters.
 */
function topologyAround(hostId: string, index: TopologyIndex): Topology {
  const clusterIds = [...(index.clustersOfHost.get(hostId) ?? [])].sort();
  const memberships = clusterIds.flatMap((clusterId) => index.membershipsOfCluster.get(clusterId) ?? []);
  const hostIds = [...new Set([hostId, ...memberships.map((membership) => membership.hostId)])].sort();
  return {
    clusters: clusterIds.map((clusterId) => index.clusterById.get(clusterId)!),
    hosts: hostIds.map((id) => index.hostById.get(id)!),
    memberships,
  };
}

interface TopologyIndex {
  clusterById: Map<string, Topology["clusters"][number]>;
  hostById: Map<string, Topology["hosts"][number]>;
  clustersOfHost: Map<string, string[]>;
  membershipsOfCluster: Map<string, Topology["memberships"]>;
}

function indexTopology(topology: Topology): TopologyIndex {
  const clustersOfHost = new Map<string, string[]>();
  const membershipsOfCluster = new Map<string, Topology["memberships"]>();
  for (const membership of topology.memberships) {
    const clusters = clustersOfHost.get(membership.hostId) ?? [];
    clusters.push(membership.clusterId);
    clustersOfHost.set(membership.hostId, clusters);
    const members = membershipsOfCluster.get(membership.clusterId) ?? [];
    members.push(membership);
    membershipsOfCluster.set(membership.clusterId, members);
  }
  return {
    clusterById: new Map(topology.clusters.map((cluster) => [cluster.id, cluster])),
    hostById: new Map(topology.hosts.map((host) => [host.id, host])),
    clustersOfHost,
    membershipsOfCluster,
  };
}

function sameAllocation(previous: PortAllocation, next: PortAllocation): boolean {
  return (
    Object.keys(previous).length === Object.keys(next).length &&
    Object.entries(next).every(([key, port]) => previous[key] === port)
  );
}

/**
 * Builds the bundles of many hosts at once. The topology, the CAs, the leaves, the
 * desired generations and the allocations are read once for the batch. Every host is
 * planned with its persisted allocation, and the changed allocations and every bundle
 * hash are written in one transaction. CRLs come from the process's CRL cache and are
 * signed only for a CA, period and serial set not seen before. Hosts that do not exist
 * are left out of the result.
 */
export async function buildHostBundles(
  prisma: PrismaClient,
  hostIds: string[],
  options: BuildBundleOptions,
): Promise<Map<string, HostBundle>> {
  const now = options.now ?? new Date();
  const periodStart = new Date(Math.floor(now.getTime() / CRL_PERIOD_MS) * CRL_PERIOD_MS);
  const ids = [...new Set(hostIds)].sort();
  if (ids.length === 0) return new Map();

  const built = await prisma.$transaction(
    async (tx) => {
      // Builders take the topology lock shared: they exclude every topology change
      // (which takes it exclusively), so the topology, generations and allocations read
      // below are one committed state, but builders do not queue behind each other.
      // Two builders of one host are serialised by the row locks on its DesiredState
      // taken next, so the second reads the allocation the first persisted and neither
      // overwrites the other's. Generation bumps take the same row locks, so a change
      // that commits meanwhile waits for this build and is pushed by its own NOTIFY.
      await lockTopologyShared(tx);
      await tx.$queryRaw`
        SELECT "hostId" FROM "DesiredState"
        WHERE "hostId" = ANY(${ids}::uuid[])
        ORDER BY "hostId"
        FOR UPDATE`;

      const topology = await loadTopology(tx);
      assertValidTopology(topology);
      const index = indexTopology(topology);
      const present = ids.filter((id) => index.hostById.has(id));

      const desired = await tx.desiredState.findMany({
        where: { hostId: { in: present } },
        select: { hostId: true, generation: true },
      });
      const allocationRows = await tx.portAllocation.findMany({ where: { hostId: { in: present } } });
      const clusterIds = [...new Set(present.flatMap((id) => index.clustersOfHost.get(id) ?? []))];
      const authorities = clusterIds.length > 0 ? await loadAuthorities(tx, clusterIds) : [];
      const leaves = await tx.certificate.findMany({
        where: { hostId: { in: present }, purpose: "tunnel", state: "active" },
        orderBy: { createdAt: "desc" },
        select: { hostId: true, certPem: true },
      });

      const generationOf = new Map(desired.map((row) => [row.hostId, row.generation]));
      const previousOf = new Map<string, PortAllocation>();
      for (const row of allocationRows) {
        const allocation = previousOf.get(row.hostId) ?? {};
        allocation[row.key] = row.port;
        previousOf.set(row.hostId, allocation);
      }
      const leafOf = new Map<string, string>();
      for (const leaf of leaves) {
        // Newest first: the first active leaf of a host wins, as in a single build.
        if (leaf.hostId && !leafOf.has(leaf.hostId)) leafOf.set(leaf.hostId, leaf.certPem);
      }

      const hosts = present.map((hostId) => {
        const previous = previousOf.get(hostId) ?? {};
        const plan = planHost(topologyAround(hostId, index), hostId, previous);
        const hostClusters = new Set(index.clustersOfHost.get(hostId) ?? []);
        const hostAuthorities = authorities.filter(
          (authority) => authority.clusterId !== null && hostClusters.has(authority.clusterId),
        );
        const leafCertPem = leafOf.get(hostId) ?? null;
        const hash = bundleHash({
          plan,
          pems: {
            ca: hostAuthorities.map((authority) => authority.certPem).join(""),
            cert: leafCertPem ?? "",
            crl: hostAuthorities.map((authority) => crlKeyOf(authority, periodStart)).join("\n"),
          },
        });
        return {
          hostId,
          previous,
          plan,
          authorities: hostAuthorities,
          leafCertPem,
          hash,
          generation: generationOf.get(hostId) ?? 0,
        };
      });

      const moved = hosts.filter((host) => !sameAllocation(host.previous, host.plan.allocation));
      if (moved.length > 0) {
        await tx.portAllocation.deleteMany({ where: { hostId: { in: moved.map((host) => host.hostId) } } });
        await tx.portAllocation.createMany({
          data: moved.flatMap((host) =>
            Object.entries(host.plan.allocation).map(([key, port]) => ({ hostId: host.hostId, key, port })),
          ),
        });
      }
      if (hosts.length > 0) {
        await tx.$executeRaw`
          UPDATE "DesiredState" AS d
          SET "bundleHash" = v.hash, "updatedAt" = now()
          FROM unnest(${hosts.map((host) => host.hostId)}::uuid[], ${hosts.map((host) => host.hash)}::text[]) AS v(id, hash)
          WHERE d."hostId" = v.id`;
      }
      return hosts;
    },
    { maxWait: 10_000, timeout: 30_000 },
  );

  // Signing happens after the commit: the hash names CRLs by identity, not by bytes.
  const crlPemOf = new Map<string, Promise<string>>();
  const crlPem = (authority: AuthorityWithRevoked): Promise<string> => {
    let pem = crlPemOf.get(authority.id);
    if (!pem) {
      pem = signedCrl(prisma, authority, periodStart, options.masterKey);
      crlPemOf.set(authority.id, pem);
    }
    return pem;
  };

  const bundles = new Map<string, HostBundle>();
  for (const host of built) {
    bundles.set(host.hostId, {
      hostId: host.hostId,
      generation: host.generation,
      plan: host.plan,
      trustedCaPems: host.authorities.map((authority) => authority.certPem),
      leafCertPem: host.leafCertPem,
      crlPems: await Promise.all(host.authorities.map(crlPem)),
      bundleHash: host.hash,
    });
  }
  return bundles;
}

function crlIdentityOf(authority: AuthorityWithRevoked, periodStart: Date): CrlIdentity {
  return {
    caId: authority.id,
    crlNumber: authority.crlNumber,
    periodStart,
    serials: authority.certificates.map((certificate) => certificate.serial),
  };
}

function crlKeyOf(authority: AuthorityWithRevoked, periodStart: Date): string {
  return crlIdentityKey(crlIdentityOf(authority, periodStart));
}

/** Returns the CA's CRL for the period, from the cache or freshly signed. */
function signedCrl(
  prisma: PrismaClient,
  authority: AuthorityWithRevoked,
  periodStart: Date,
  masterKey: Buffer,
): Promise<string> {
  return crlCache.get(crlIdentityOf(authority, periodStart), async () => {
    const signer = await loadSigningAuthority(prisma, authority.id, masterKey);
    return createCrl({
      caCertPem: signer.certPem,
      caKeyPem: signer.keyPem,
      revoked: authority.certificates.map((certificate) => ({
        serial: certificate.serial,
        revokedAt: certificate.revokedAt ?? periodStart,
      })),
      crlNumber: authority.crlNumber,
      thisUpdate: periodStart,
      nextUpdate: new Date(periodStart.getTime() + CRL_VALIDITY_MS),
    });
  });
}
