// Reading the audit log: filters by actor, action, target and time, newest first, with
// cursor pagination on the event id.
import type { Db, Prisma } from "../db";
import { InputError } from "./errors";
import { type AuditEventView, iso } from "./views";

export interface AuditFilter {
  /** Actor id or actor name (username, token name or host name). */
  actor?: string;
  /** Exact action, or a prefix ending in "." such as "cluster.". */
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size, 1 to 200; default 50. */
  limit?: number;
}

type AuditRow = Prisma.AuditEventGetPayload<object>;

export function auditEventToView(row: AuditRow): AuditEventView {
  return {
    id: row.id.toString(),
    at: iso(row.at),
    actorType: row.actorType,
    actorId: row.actorId,
    actorName: row.actorName,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    before: row.before ?? null,
    after: row.after ?? null,
    sourceAddress: row.sourceAddress,
  };
}

export async function listAuditEvents(
  db: Db,
  filter: AuditFilter = {},
): Promise<{ events: AuditEventView[]; nextCursor: string | null }> {
  const limit = filter.limit ?? 50;
  let before: bigint | undefined;
  if (filter.cursor !== undefined) {
    if (!/^\d{1,19}$/.test(filter.cursor)) {
      throw InputError.field("cursor", filter.cursor, "cursor is not a value returned as nextCursor");
    }
    before = BigInt(filter.cursor);
  }

  const where: Prisma.AuditEventWhereInput = {
    id: before === undefined ? undefined : { lt: before },
    action: filter.action?.endsWith(".") ? { startsWith: filter.action } : filter.action,
    targetType: filter.targetType,
    targetId: filter.targetId,
    at: filter.from || filter.to ? { gte: filter.from, lt: filter.to } : undefined,
    OR: filter.actor ? [{ actorId: filter.actor }, { actorName: filter.actor }] : undefined,
  };
  const rows = await db.auditEvent.findMany({ where, orderBy: { id: "desc" }, take: limit + 1 });

  const page = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? page[page.length - 1]!.id.toString() : null;
  return { events: page.map(auditEventToView), nextCursor };
}
