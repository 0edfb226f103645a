// Issued certificates: list with filters, revoke with an RFC 5280 reason.
import { z } from "zod";
import { listCertificates, REVOCATION_REASONS, revokeCertificate } from "../../services/certificates";
import { certificateView } from "../../services/views";
import { operatorProcedure, router, viewerProcedure } from "../init";

const listInput = z
  .object({
    hostId: z.uuid().optional(),
    clusterId: z.uuid().optional(),
    caId: z.uuid().optional(),
    purpose: z.enum(["tunnel", "agent", "gateway"]).optional(),
    state: z.enum(["active", "superseded", "revoked"]).optional(),
    /** Only certificates that expire before this time (ISO 8601). */
    expiresBefore: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .optional();

const revokeInput = z.object({
  id: z.uuid(),
  reason: z.enum(REVOCATION_REASONS).default("unspecified"),
});

export const certificatesRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/certificates", tags: ["certificates"], protect: true } })
    .input(listInput)
    .output(z.array(certificateView))
    .query(({ ctx, input }) =>
      listCertificates(ctx.services.prisma, {
        ...input,
        expiresBefore: input?.expiresBefore ? new Date(input.expiresBefore) : undefined,
      }),
    ),

  revoke: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/certificates/{id}/revoke", tags: ["certificates"], protect: true },
    })
    .input(revokeInput)
    .output(certificateView)
    .mutation(({ ctx, input }) => revokeCertificate(ctx.services, ctx.actor, input)),
});
