// API tokens: list (own, or all for admins), create (secret shown once), revoke.
import { z } from "zod";
import { createApiToken, listApiTokens, MAX_API_TOKEN_DAYS, revokeApiToken } from "../../services/api-tokens";
import { apiTokenView, createdApiTokenView, roleSchema } from "../../services/views";
import { router, viewerProcedure } from "../init";

const listInput = z.object({ all: z.boolean().optional() }).optional();
const createInput = z.object({
  name: z.string().max(100),
  /** At most the creator's role. */
  role: roleSchema,
  expiresInDays: z.number().int().max(MAX_API_TOKEN_DAYS).optional(),
});

export const apiTokensRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/api-tokens", tags: ["api tokens"], protect: true } })
    .input(listInput)
    .output(z.array(apiTokenView))
    .query(({ ctx, input }) => listApiTokens(ctx.services.prisma, ctx.actor, input ?? {})),

  create: viewerProcedure
    .meta({ openapi: { method: "POST", path: "/api-tokens", tags: ["api tokens"], protect: true } })
    .input(createInput)
    .output(createdApiTokenView)
    .mutation(({ ctx, input }) => createApiToken(ctx.services, ctx.actor, input)),

  revoke: viewerProcedure
    .meta({
      openapi: { method: "POST", path: "/api-tokens/{id}/revoke", tags: ["api tokens"], protect: true },
    })
    .input(z.object({ id: z.uuid() }))
    .output(apiTokenView)
    .mutation(({ ctx, input }) => revokeApiToken(ctx.services, ctx.actor, input.id)),
});
