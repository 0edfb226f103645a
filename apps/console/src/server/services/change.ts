// The one way a mutation reaches the database. The change, the generation bump of every
// affected host and the audit event commit together in one transaction. A NOTIFY on
// CHANGES_CHANNEL then names, for every replica, the hosts that need a new bundle.
import { CHANGES_CHANNEL, MAX_PAYLOAD_BYTES, notify } from "@tunnelfleet/db";
import type { Prisma, PrismaClient, Tx } from "../db";
import type { Actor } from "./context";

export { CHANGES_CHANNEL };

/** Payload of one NOTIFY on CHANGES_CHANNEL, as JSON. */
export interface ChangeNotification {
  hostIds: string[];
  reason: string;
}

/** Key of the transaction-level advisory lock that serialises topology changes. */
const TOPOLOGY_LOCK_KEY = 0x7466_746f_706f; // "tftopo"

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | null;
  before?: unknown;
  after?: unknown;
}

export interface ChangeOutcome<T> {
  result: T;
  /** Hosts whose desired state this change alters; each gets generation + 1. */
  hostIds: Iterable<string>;
  audit: AuditEntry | AuditEntry[];
}

export interface ChangeOptions {
  /**
   * Takes the topology lock first, so that the validation of the resulting topology
   * inside `work` reads every committed change and no concurrent one. Clusters, members,
   * hosts and CAs take it; user and token changes do not.
   */
  lockTopology?: boolean;
}

/**
 * Runs `work` in one transaction, then, in the same transaction, bumps the generation of
 * exactly the returned hosts, writes the audit events and queues the NOTIFY. PostgreSQL
 * delivers a NOTIFY issued inside a transaction only when it commits, so listeners never
 * hear of a change that rolled back. Any error thrown by `work` rolls everything back.
 */
export async function runChange<T>(
  prisma: PrismaClient,
  actor: Actor,
  reason: string,
  work: (tx: Tx) => Promise<ChangeOutcome<T>>,
  options: ChangeOptions = {},
): Promise<T> {
  return prisma.$transaction(
    async (tx) => {
      if (options.lockTopology) await lockTopology(tx);

      const outcome = await work(tx);
      const hostIds = [...new Set(outcome.hostIds)].sort();

      await bumpGenerations(tx, hostIds);
      for (const entry of Array.isArray(outcome.audit) ? outcome.audit : [outcome.audit]) {
        await writeAuditEvent(tx, actor, entry);
      }
      await notifyChange(tx, { hostIds, reason });

      return outcome.result;
    },
    // Waiting for the topology lock counts against the timeout: leave room for a queue.
    { maxWait: 10_000, timeout: 30_000 },
  );
}

export async function lockTopology(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${TOPOLOGY_LOCK_KEY}::bigint)`;
}

/**
 * Takes the topology lock in shared mode: holders run alongside each other but never
 * alongside a topology change. For readers that need one consistent topology.
 */
export async function lockTopologyShared(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${TOPOLOGY_LOCK_KEY}::bigint)`;
}

/**
 * Adds 1 to the generation of each host. UPDATE ... SET generation = generation + 1
 * row-locks every row it changes, so concurrent transactions queue on the row and none
 * loses a bump. The rows are locked in host id order first, so two bumps of overlapping
 * host sets take their row locks in the same order.
 */
export async function bumpGenerations(tx: Tx, hostIds: string[]): Promise<void> {
  if (hostIds.length === 0) return;
  await tx.$queryRaw`
    SELECT "hostId" FROM "DesiredState"
    WHERE "hostId" = ANY(${hostIds}::uuid[])
    ORDER BY "hostId"
    FOR UPDATE`;
  await tx.desiredState.updateMany({
    where: { hostId: { in: hostIds } },
    data: { generation: { increment: 1 } },
  });
}

/** Queues NOTIFY payloads for the hosts, split so that each payload fits PostgreSQL's limit. */
export async function notifyChange(tx: Tx, notification: ChangeNotification): Promise<void> {
  if (notification.hostIds.length === 0) return;

  let batch: string[] = [];
  const flush = async () => {
    await notify(tx, CHANGES_CHANNEL, JSON.stringify({ hostIds: batch, reason: notification.reason }));
    batch = [];
  };
  for (const hostId of notification.hostIds) {
    const size = Buffer.byteLength(
      JSON.stringify({ hostIds: [...batch, hostId], reason: notification.reason }),
    );
    if (size > MAX_PAYLOAD_BYTES && batch.length > 0) await flush();
    batch.push(hostId);
  }
  await flush();
}

/** Converts a value to plain JSON (dates become ISO strings, undefined fields vanish). */
function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

export async function writeAuditEvent(tx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      actorType: actor.type,
      actorId: actor.id,
      actorName: actor.name,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      before: toJson(entry.before),
      after: toJson(entry.after),
      sourceAddress: actor.sourceAddress,
    },
  });
}
