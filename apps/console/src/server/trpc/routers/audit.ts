// The audit log: filters by actor, action, target and time range; cursor pagination.
import { z } from "zod";
import { listAuditEvents } from "../../services/audit";
import { auditPageView } from "../../services/views";
import { router, viewerProcedure } from "../init";

const listInput = z
  .object({
    /** Actor id or name. */
    actor: z.string().max(200).optional(),
    /** Exact action, or a prefix ending in "." such as "cluster.". */
    action: z.string().max(100).optional(),
    targetType: z.string().max(100).optional(),
    targetId: z.string().max(100).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(20).optional(),
    limit: z.number().int().min(1).max(200).optional(),
  })
  .optional();

export const auditRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/audit-events", tags: ["audit"], protect: true } })
    .input(listInput)
    .output(auditPageView)
    .query(({ ctx, input }) =>
      listAuditEvents(ctx.services.prisma, {
        ...input,
        from: input?.from ? new Date(input.from) : undefined,
        to: input?.to ? new Date(input.to) : undefined,
      }),
    ),
});
