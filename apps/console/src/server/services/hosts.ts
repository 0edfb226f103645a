// Hosts: creation (with their desired-state row), reads with desired and observed state,
// and deletion.
import { validateHostName } from "@tunnelfleet/mesh";
import type { Db, Prisma, Tx } from "../db";
import { runChange } from "./change";
import type { Actor, ServiceDeps } from "./context";
import { ConflictError, InputError, NotFoundError } from "./errors";
import { checkTopology, clusterIdsOfHost, memberHostIds } from "./topology";
import { type HostStateView, type HostView, iso } from "./views";

const hostInclude = {
  memberships: { include: { cluster: { select: { name: true } } }, orderBy: { createdAt: "asc" } },
  desired: true,
  observed: true,
} satisfies Prisma.HostInclude;

type HostWithState = Prisma.HostGetPayload<{ include: typeof hostInclude }>;

function desiredToView(row: HostWithState["desired"]) {
  if (!row) return null;
  return { generation: row.generation, bundleHash: row.bundleHash, updatedAt: iso(row.updatedAt) };
}

function observedToView(row: HostWithState["observed"]) {
  if (!row) return null;
  return {
    generation: row.generation,
    bundleHash: row.bundleHash,
    appliedAt: iso(row.appliedAt),
    applyOk: row.applyOk,
    applyError: row.applyError,
    applyDurationMs: row.applyDurationMs,
    agentVersion: row.agentVersion,
    stunnelVersion: row.stunnelVersion,
    opensslVersion: row.opensslVersion,
    netfilterBackend: row.netfilterBackend,
    health: row.health ?? null,
    connected: row.connected,
    lastSeenAt: iso(row.lastSeenAt),
    sourceAddress: row.sourceAddress,
  };
}

/**
 * A host is in sync when its last apply succeeded and it runs the desired generation or a
 * bundle with the desired bundle hash. A change can bump a host's generation without
 * changing its bundle, for example a member edit that leaves this host's plan as it was.
 * The gateway then sends nothing and the agent acks nothing, so comparing generations
 * alone would leave the host out of sync for good.
 */
function inSync(row: HostWithState): boolean {
  if (row.desired === null || row.observed === null || row.observed.applyOk !== true) return false;
  if (row.observed.generation === row.desired.generation) return true;
  return row.observed.bundleHash !== null && row.observed.bundleHash === row.desired.bundleHash;
}

export function hostToView(row: HostWithState): HostView {
  return {
    id: row.id,
    name: row.name,
    memberships: row.memberships.map((membership) => ({
      clusterId: membership.clusterId,
      clusterName: membership.cluster.name,
      address: membership.address,
    })),
    desired: desiredToView(row.desired),
    observed: observedToView(row.observed),
    inSync: inSync(row),
    createdAt: iso(row.createdAt),
  };
}

function hostToStateView(row: HostWithState): HostStateView {
  return {
    hostId: row.id,
    hostName: row.name,
    desired: desiredToView(row.desired),
    observed: observedToView(row.observed),
    inSync: inSync(row),
  };
}

export async function listHosts(db: Db, filter: { clusterId?: string } = {}): Promise<HostView[]> {
  const rows = await db.host.findMany({
    where: filter.clusterId ? { memberships: { some: { clusterId: filter.clusterId } } } : undefined,
    include: hostInclude,
    orderBy: { name: "asc" },
  });
  return rows.map(hostToView);
}

export async function getHost(db: Db, id: string): Promise<HostView> {
  const row = await db.host.findUnique({ where: { id }, include: hostInclude });
  if (!row) throw new NotFoundError("host", id);
  return hostToView(row);
}

/** Desired against observed state of every host, or of one host. */
export async function listHostStates(db: Db, filter: { hostId?: string } = {}): Promise<HostStateView[]> {
  const rows = await db.host.findMany({
    where: { id: filter.hostId },
    include: hostInclude,
    orderBy: { name: "asc" },
  });
  if (filter.hostId && rows.length === 0) throw new NotFoundError("host", filter.hostId);
  return rows.map(hostToStateView);
}

/** Throws InputError when the name breaks the host-name grammar. */
export function checkHostName(field: string, name: string): void {
  const issue = validateHostName(field, name);
  if (issue) throw new InputError(issue.message, [issue]);
}

/**
 * Creates a host with generation 1 inside the caller's transaction. Throws ConflictError
 * when the name is taken.
 */
export async function createHostInTx(
  tx: Tx,
  name: string,
  field = "name",
): Promise<{ id: string; name: string }> {
  checkHostName(field, name);
  const existing = await tx.host.findUnique({ where: { name }, select: { id: true } });
  if (existing) {
    throw new ConflictError(
      `host name ${JSON.stringify(name)} is already in use: add the existing host instead`,
      [{ field, value: name, message: "is already in use" }],
    );
  }
  return tx.host.create({ data: { name, desired: { create: {} } }, select: { id: true, name: true } });
}

/**
 * Deletes a host, its memberships, allocations and desired and observed state. Its
 * certificates are revoked and stay (with no host) for the audit trail and the CRLs.
 * Bumps every former peer.
 */
export async function deleteHost(deps: ServiceDeps, actor: Actor, id: string): Promise<{ id: string }> {
  return runChange(
    deps.prisma,
    actor,
    "host.delete",
    async (tx) => {
      const before = await getHost(tx, id);
      const peers = await memberHostIds(tx, await clusterIdsOfHost(tx, id));

      // The host's certificates are revoked, so its CAs publish new CRLs.
      const active = await tx.certificate.findMany({
        where: { hostId: id, state: "active" },
        select: { caId: true },
      });
      await tx.certificate.updateMany({
        where: { hostId: id, state: "active" },
        data: { state: "revoked", revokedAt: new Date(), revocationReason: "cessationOfOperation" },
      });
      await tx.certificateAuthority.updateMany({
        where: { id: { in: [...new Set(active.map((row) => row.caId))] } },
        data: { crlNumber: { increment: 1 } },
      });
      await tx.host.delete({ where: { id } });
      await checkTopology(tx);

      return {
        result: { id },
        hostIds: peers.filter((hostId) => hostId !== id),
        audit: { action: "host.delete", targetType: "host", targetId: id, before },
      };
    },
    { lockTopology: true },
  );
}
