// Cluster membership: adding an existing host or a new one by name, with the address the
// application uses for it, and removing a host from a cluster.
import { validateAddress } from "@tunnelfleet/mesh";
import type { Tx } from "../db";
import { runChange } from "./change";
import type { Actor, ServiceDeps } from "./context";
import { ConflictError, InputError, NotFoundError } from "./errors";
import { createHostInTx } from "./hosts";
import { checkTopology, memberHostIds } from "./topology";
import type { MemberView } from "./views";
import { iso } from "./views";

export type AddMemberInput = {
  clusterId: string;
  address: string;
} & ({ hostId: string; hostName?: undefined } | { hostName: string; hostId?: undefined });

/** Returns the canonical form of a member address, or throws InputError naming `field`. */
export function canonicalAddress(field: string, address: string): string {
  const check = validateAddress(field, address);
  if (!check.ok) throw new InputError(check.issue.message, [check.issue]);
  return check.address;
}

/**
 * Throws ConflictError when the host is already a member of a cluster other than
 * `clusterId`. Each cluster has its own CA, and a host gets one tunnel leaf signed by one
 * cluster's CA. A host in two clusters would therefore be untrusted by the second
 * cluster's peers, and one shared CAfile would let members of either cluster pass as
 * peers of the other.
 * NOTE: the planner and renderers support several clusters per host (per-cluster
 * credential paths); lifting this check needs one leaf per cluster CA in the bundle.
 */
export async function assertNoOtherCluster(
  tx: Tx,
  host: { id: string; name: string },
  clusterId: string,
  field: string,
): Promise<void> {
  const other = await tx.membership.findFirst({
    where: { hostId: host.id, clusterId: { not: clusterId } },
    select: { cluster: { select: { name: true } } },
  });
  if (!other) return;

  const message =
    `host ${host.name} is already a member of cluster ${other.cluster.name}; ` +
    "a host can belong to one cluster at a time: remove it from that cluster first or use another host";
  throw new ConflictError(message, [
    { field, value: host.id, message: `is a member of ${other.cluster.name}` },
  ]);
}

/**
 * Adds a host to a cluster. Bumps the new member and every existing member, because each
 * of them gets tunnels to the other.
 */
export async function addMember(deps: ServiceDeps, actor: Actor, input: AddMemberInput): Promise<MemberView> {
  const address = canonicalAddress("address", input.address);

  return runChange(
    deps.prisma,
    actor,
    "member.add",
    async (tx) => {
      const cluster = await tx.cluster.findUnique({ where: { id: input.clusterId }, select: { id: true } });
      if (!cluster) throw new NotFoundError("cluster", input.clusterId);

      let host: { id: string; name: string };
      if (input.hostId !== undefined) {
        const found = await tx.host.findUnique({
          where: { id: input.hostId },
          select: { id: true, name: true },
        });
        if (!found) throw new NotFoundError("host", input.hostId);
        host = found;
      } else {
        host = await createHostInTx(tx, input.hostName, "hostName");
      }

      const sameHost = await tx.membership.findUnique({
        where: { clusterId_hostId: { clusterId: input.clusterId, hostId: host.id } },
      });
      if (sameHost) {
        throw new ConflictError(`host ${host.name} is already a member of this cluster`, [
          { field: "hostId", value: host.id, message: "is already a member" },
        ]);
      }
      await assertNoOtherCluster(
        tx,
        host,
        input.clusterId,
        input.hostId !== undefined ? "hostId" : "hostName",
      );
      const sameAddress = await tx.membership.findUnique({
        where: { clusterId_address: { clusterId: input.clusterId, address } },
      });
      if (sameAddress) {
        throw new ConflictError(`address ${address} is already used by another member of this cluster`, [
          { field: "address", value: address, message: "is already used by another member" },
        ]);
      }

      const created = await tx.membership.create({
        data: { clusterId: input.clusterId, hostId: host.id, address },
      });
      await checkTopology(tx);

      const view: MemberView = {
        hostId: host.id,
        hostName: host.name,
        address,
        createdAt: iso(created.createdAt),
      };
      return {
        result: view,
        hostIds: await memberHostIds(tx, [input.clusterId]),
        audit: {
          action: "member.add",
          targetType: "cluster",
          targetId: input.clusterId,
          after: { ...view, newHost: input.hostId === undefined },
        },
      };
    },
    { lockTopology: true },
  );
}

/** Removes a host from a cluster (the host itself stays). Bumps it and every remaining member. */
export async function removeMember(
  deps: ServiceDeps,
  actor: Actor,
  input: { clusterId: string; hostId: string },
): Promise<{ clusterId: string; hostId: string }> {
  return runChange(
    deps.prisma,
    actor,
    "member.remove",
    async (tx) => {
      const affected = await memberHostIds(tx, [input.clusterId]);
      const membership = await tx.membership.findUnique({
        where: { clusterId_hostId: { clusterId: input.clusterId, hostId: input.hostId } },
      });
      if (!membership) throw new NotFoundError("membership", `${input.clusterId}/${input.hostId}`);

      await tx.membership.delete({ where: { id: membership.id } });
      await checkTopology(tx);

      return {
        result: { clusterId: input.clusterId, hostId: input.hostId },
        hostIds: affected,
        audit: {
          action: "member.remove",
          targetType: "cluster",
          targetId: input.clusterId,
          before: { hostId: input.hostId, address: membership.address },
        },
      };
    },
    { lockTopology: true },
  );
}
