// Join tokens: create (secret and join command shown once), list, revoke.
import { z } from "zod";
import {
  createJoinToken,
  listJoinTokens,
  MAX_JOIN_TOKEN_TTL_SECONDS,
  revokeJoinToken,
} from "../../services/join-tokens";
import { createdJoinTokenView, joinTokenView } from "../../services/views";
import { operatorProcedure, router, viewerProcedure } from "../init";

const createInput = z.object({
  hostName: z.string().max(200).optional(),
  clusterId: z.uuid().optional(),
  address: z.string().max(100).optional(),
  /** Lifetime in seconds: default 3600, at most 86400. */
  ttlSeconds: z.number().int().max(MAX_JOIN_TOKEN_TTL_SECONDS).optional(),
});

const listInput = z
  .object({ clusterId: z.uuid().optional(), includeInactive: z.boolean().optional() })
  .optional();

export const joinTokensRouter = router({
  create: operatorProcedure
    .meta({ openapi: { method: "POST", path: "/join-tokens", tags: ["join tokens"], protect: true } })
    .input(createInput)
    .output(createdJoinTokenView)
    .mutation(({ ctx, input }) => createJoinToken(ctx.services, ctx.actor, input)),

  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/join-tokens", tags: ["join tokens"], protect: true } })
    .input(listInput)
    .output(z.array(joinTokenView))
    .query(({ ctx, input }) => listJoinTokens(ctx.services.prisma, input ?? {})),

  revoke: operatorProcedure
    .meta({
      openapi: { method: "POST", path: "/join-tokens/{id}/revoke", tags: ["join tokens"], protect: true },
    })
    .input(z.object({ id: z.uuid() }))
    .output(joinTokenView)
    .mutation(({ ctx, input }) => revokeJoinToken(ctx.services, ctx.actor, input.id)),
});
