// Turns request credentials (a session cookie or an `Authorization: Bearer` API token)
// into an Actor, and handles login and logout.
import type { PrismaClient } from "../db";
import { runChange } from "../services/change";
import type { Actor } from "../services/context";
import { AuthenticationError, RateLimitError } from "../services/errors";
import { dummyPasswordHash, verifyPassword } from "./password";
import type { LoginRateLimiter } from "./rate-limit";
import { generateSecret, sha256Hex } from "./secrets";

/** Absolute lifetime of a session, in milliseconds. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;
/** Maximum age of `lastSeenAt` and `lastUsedAt` before a request refreshes them. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export const SESSION_COOKIE = "tunnelfleet_session";

/** Returns the actor of a valid session cookie value, or null. */
export async function authenticateSession(
  prisma: PrismaClient,
  token: string,
  sourceAddress: string | null,
): Promise<Actor | null> {
  const session = await prisma.session.findUnique({
    where: { tokenHash: sha256Hex(token) },
    include: { user: true },
  });
  const now = new Date();
  if (!session || session.expiresAt <= now || session.user.disabled) return null;

  if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: now } });
  }
  return {
    type: "user",
    id: session.user.id,
    name: session.user.username,
    role: session.user.role,
    userId: session.user.id,
    sourceAddress,
  };
}

/** Returns the actor of a valid, unexpired, unrevoked API token whose creator is enabled, or null. */
export async function authenticateApiToken(
  prisma: PrismaClient,
  secret: string,
  sourceAddress: string | null,
): Promise<Actor | null> {
  const token = await prisma.apiToken.findUnique({
    where: { tokenHash: sha256Hex(secret) },
    include: { createdBy: true },
  });
  const now = new Date();
  if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now) || token.createdBy.disabled) {
    return null;
  }

  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
    await prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } });
  }
  return {
    type: "api_token",
    id: token.id,
    name: token.name,
    role: token.role,
    userId: token.createdById,
    sourceAddress,
  };
}

export interface LoginResult {
  /** Cookie value; only its SHA-256 is stored. */
  token: string;
  expiresAt: Date;
  actor: Actor;
}

/**
 * Checks a username and password and opens a session. Failures are counted per
 * (username, source address); past the budget, attempts fail with RateLimitError
 * before the password is checked. Unknown users cost the same hashing time as known ones.
 */
export async function login(
  prisma: PrismaClient,
  limiter: LoginRateLimiter,
  input: { username: string; password: string; sourceAddress: string | null },
): Promise<LoginResult> {
  const address = input.sourceAddress ?? "unknown";
  const wait = limiter.retryAfterSeconds(input.username, address);
  if (wait > 0) {
    throw new RateLimitError(`too many failed logins for ${input.username}: try again in ${wait} s`, wait);
  }

  const user = await prisma.user.findUnique({ where: { username: input.username } });
  const valid = await verifyPassword(input.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !valid || user.disabled) {
    limiter.recordFailure(input.username, address);
    throw new AuthenticationError("invalid username or password");
  }
  limiter.recordSuccess(input.username, address);

  const token = generateSecret();
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  const actor: Actor = {
    type: "user",
    id: user.id,
    name: user.username,
    role: user.role,
    userId: user.id,
    sourceAddress: input.sourceAddress,
  };
  await runChange(prisma, actor, "auth.login", async (tx) => {
    // Expired sessions of this user are dropped here, so they do not pile up.
    await tx.session.deleteMany({ where: { userId: user.id, expiresAt: { lt: new Date() } } });
    const session = await tx.session.create({
      data: { tokenHash: sha256Hex(token), userId: user.id, expiresAt, sourceAddress: input.sourceAddress },
    });
    return {
      result: session.id,
      hostIds: [],
      audit: { action: "auth.login", targetType: "session", targetId: session.id },
    };
  });
  return { token, expiresAt, actor };
}

/** Ends the session of a cookie value; does nothing for an unknown value. */
export async function logout(prisma: PrismaClient, actor: Actor, token: string): Promise<void> {
  await runChange(prisma, actor, "auth.logout", async (tx) => {
    const removed = await tx.session.deleteMany({ where: { tokenHash: sha256Hex(token) } });
    return {
      result: undefined,
      hostIds: [],
      audit: {
        action: "auth.logout",
        targetType: "session",
        targetId: null,
        after: { ended: removed.count },
      },
    };
  });
}
