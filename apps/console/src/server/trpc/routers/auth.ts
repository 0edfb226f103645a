// Authentication: first-run status and setup, login, logout, and the caller's identity.
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { login, logout, SESSION_COOKIE, SESSION_TTL_MS } from "../../auth/authenticate";
import type { Actor } from "../../services/context";
import { countUsers, setupFirstAdmin } from "../../services/users";
import { meView } from "../../services/views";
import { type Context, publicProcedure, router, viewerProcedure } from "../init";

const credentialsInput = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

function sessionCookie(ctx: Context, token: string, maxAgeSeconds: number): string {
  const secure = ctx.services.secureCookies ? "; Secure" : "";
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function toMe(actor: Actor & { userId: string }) {
  return {
    actorType: actor.type === "api_token" ? ("api_token" as const) : ("user" as const),
    userId: actor.userId,
    username: actor.type === "api_token" ? `${actor.name} (API token)` : actor.name,
    role: actor.role ?? "viewer",
    tokenId: actor.type === "api_token" ? actor.id : null,
  };
}

async function openSession(ctx: Context, username: string, password: string) {
  const result = await login(ctx.services.prisma, ctx.services.loginLimiter, {
    username,
    password,
    sourceAddress: ctx.sourceAddress,
  });
  ctx.setCookie(sessionCookie(ctx, result.token, Math.floor(SESSION_TTL_MS / 1000)));
  return toMe({ ...result.actor, userId: result.actor.userId ?? "" });
}

export const authRouter = router({
  /** Whether the first admin still has to be created, and whether the caller is logged in. */
  status: publicProcedure
    .meta({ openapi: { method: "GET", path: "/auth/status", tags: ["auth"] } })
    .input(z.object({}).optional())
    .output(z.object({ setupRequired: z.boolean(), authenticated: z.boolean() }))
    .query(async ({ ctx }) => ({
      setupRequired: (await countUsers(ctx.services.prisma)) === 0,
      authenticated: ctx.actor !== null,
    })),

  /** Creates the first admin (only while no user exists) and logs them in. */
  setup: publicProcedure.input(credentialsInput).mutation(async ({ ctx, input }) => {
    await setupFirstAdmin(ctx.services, { ...input, sourceAddress: ctx.sourceAddress });
    return openSession(ctx, input.username, input.password);
  }),

  login: publicProcedure
    .input(credentialsInput)
    .mutation(({ ctx, input }) => openSession(ctx, input.username, input.password)),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.actor && ctx.credential === "session" && ctx.sessionToken) {
      await logout(ctx.services.prisma, ctx.actor, ctx.sessionToken);
    }
    ctx.setCookie(sessionCookie(ctx, "", 0));
    return { ok: true };
  }),

  me: viewerProcedure
    .meta({ openapi: { method: "GET", path: "/me", tags: ["auth"], protect: true } })
    .input(z.object({}).optional())
    .output(meView)
    .query(({ ctx }) => {
      if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED" });
      return toMe(ctx.actor);
    }),
});
