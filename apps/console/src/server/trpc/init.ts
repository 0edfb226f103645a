// tRPC plumbing, in order: the request context, the tRPC instance, and the procedure
// builders. Each builder states what it guarantees to the handlers built on it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { AppServices } from "../app-services";
import { authenticateApiToken, authenticateSession, SESSION_COOKIE } from "../auth/authenticate";
import { type Actor, type Role, roleAtLeast } from "../services/context";
import { csrfProblem } from "./csrf";
import { issuesOf, toTrpcError } from "./errors";

// ---- Context ------------------------------------------------------------------------

export interface Context {
  services: AppServices;
  /** The authenticated caller, or null. */
  actor: Actor | null;
  /** Credential the caller authenticated with: a session cookie, a bearer API token, or none. */
  credential: "session" | "bearer" | null;
  /** The session cookie value, for logout. */
  sessionToken: string | null;
  sourceAddress: string | null;
  /** Reason to reject a mutation of a cookie-authenticated or anonymous request, or null. */
  csrfProblem: string | null;
  /** Appends a Set-Cookie header to the response. */
  setCookie(value: string): void;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    const value = part.slice(index + 1).trim();
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      // A malformed cookie is ignored, as browsers do.
    }
  }
  return cookies;
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

/**
 * Builds the context of one HTTP request. A bearer token wins over a cookie. Invalid
 * credentials leave `actor` null rather than failing here, so public procedures still
 * run; the protected builders reject.
 */
export async function createRequestContext(
  services: AppServices,
  req: IncomingMessage,
  res: ServerResponse | null,
): Promise<Context> {
  // NOTE: behind a reverse proxy this is the proxy's address: X-Forwarded-For is not
  // trusted, so audit rows and login throttling see the proxy.
  const sourceAddress = req.socket.remoteAddress ?? null;
  const setCookie = (value: string) => {
    res?.appendHeader("Set-Cookie", value);
  };

  const bearer = bearerToken(req.headers.authorization);
  if (bearer) {
    const actor = await authenticateApiToken(services.prisma, bearer, sourceAddress);
    return {
      services,
      actor,
      credential: "bearer",
      sessionToken: null,
      sourceAddress,
      csrfProblem: null,
      setCookie,
    };
  }

  const sessionToken = parseCookies(req.headers.cookie).get(SESSION_COOKIE) ?? null;
  const actor = sessionToken ? await authenticateSession(services.prisma, sessionToken, sourceAddress) : null;
  return {
    services,
    actor,
    credential: actor ? "session" : null,
    sessionToken,
    sourceAddress,
    csrfProblem: csrfProblem(req.headers),
    setCookie,
  };
}

/** Creates a context for in-process callers (tests, scripts) acting as `actor`, with no HTTP request. */
export function createCallerContext(services: AppServices, actor: Actor | null): Context {
  return {
    services,
    actor,
    credential: actor ? "bearer" : null,
    sessionToken: null,
    sourceAddress: actor?.sourceAddress ?? null,
    csrfProblem: null,
    setCookie: () => {},
  };
}

// ---- Initialisation -----------------------------------------------------------------

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error, input }) {
      return {
        ...shape,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          issues: issuesOf(error, input),
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// ---- Procedures ---------------------------------------------------------------------

/** Turns service errors into tRPC errors with the right code. */
const mapServiceErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = toTrpcError(result.error.cause);
    if (mapped) throw mapped;
  }
  return result;
});

/** Rejects mutations of cookie-authenticated or anonymous requests that fail the CSRF check. */
const csrfGuard = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation" && ctx.credential !== "bearer" && ctx.csrfProblem) {
    throw new TRPCError({ code: "FORBIDDEN", message: ctx.csrfProblem });
  }
  return next();
});

/**
 * Anyone may call it. Guarantees only that mutations passed the CSRF check; `ctx.actor`
 * may be null.
 */
export const publicProcedure = t.procedure.use(mapServiceErrors).use(csrfGuard);

type AuthenticatedActor = Actor & { role: Role; userId: string };

function requireRole(minimum: Role) {
  return t.middleware(({ ctx, next }) => {
    const actor = ctx.actor;
    if (!actor?.role || !actor.userId) {
      throw new TRPCError({ code: "UNAUTHORIZED", message: "log in or send an API token" });
    }
    if (!roleAtLeast(actor.role, minimum)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `this needs the ${minimum} role; ${actor.name} acts as ${actor.role}`,
      });
    }
    return next({ ctx: { ...ctx, actor: actor as AuthenticatedActor } });
  });
}

/** Guarantees an authenticated, enabled user or API token (any role): `ctx.actor` is non-null. */
export const viewerProcedure = publicProcedure.use(requireRole("viewer"));
/** As viewerProcedure, and the actor's role is operator or admin: may change clusters, hosts and certificates. */
export const operatorProcedure = publicProcedure.use(requireRole("operator"));
/** As viewerProcedure, and the actor's role is admin: may manage users and every API token. */
export const adminProcedure = publicProcedure.use(requireRole("admin"));
