// API tokens for automation: a random bearer secret shown once, stored as SHA-256, with
// a role no higher than its creator's, an optional expiry, and revocation.
import { generateSecret, sha256Hex } from "../auth/secrets";
import type { Db, Prisma } from "../db";
import { runChange } from "./change";
import { type Actor, type Role, roleAtLeast, type ServiceDeps } from "./context";
import { ConflictError, InputError, NotFoundError, PermissionError } from "./errors";
import { type ApiTokenView, iso } from "./views";

/** Every API token secret starts with this, so leaked tokens are easy to find in text. */
export const API_TOKEN_PREFIX = "tfa_";
/** Characters of the secret (after API_TOKEN_PREFIX) kept as the displayed prefix. */
const DISPLAY_PREFIX_LENGTH = 8;
export const MAX_API_TOKEN_DAYS = 3650;

const tokenInclude = { createdBy: { select: { username: true } } } satisfies Prisma.ApiTokenInclude;
type TokenRow = Prisma.ApiTokenGetPayload<{ include: typeof tokenInclude }>;

export function apiTokenToView(row: TokenRow): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    createdById: row.createdById,
    createdByName: row.createdBy.username,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}

function requireUser(actor: Actor): { userId: string; role: Role } {
  if (!actor.userId || !actor.role)
    throw new PermissionError("only users and their API tokens manage API tokens");
  return { userId: actor.userId, role: actor.role };
}

/** Lists the actor's own tokens, or every user's when `all` is set (admins only). */
export async function listApiTokens(
  db: Db,
  actor: Actor,
  options: { all?: boolean } = {},
): Promise<ApiTokenView[]> {
  const { userId, role } = requireUser(actor);
  if (options.all && role !== "admin")
    throw new PermissionError("only admins may list every user's API tokens");
  const rows = await db.apiToken.findMany({
    where: options.all ? undefined : { createdById: userId },
    include: tokenInclude,
    orderBy: { createdAt: "desc" },
  });
  return rows.map(apiTokenToView);
}

/**
 * Creates a token acting with `role`, which may not exceed the actor's role (a token
 * creating a token is bound by its own role). Returns the secret once.
 */
export async function createApiToken(
  deps: ServiceDeps,
  actor: Actor,
  input: { name: string; role: Role; expiresInDays?: number },
): Promise<ApiTokenView & { secret: string }> {
  const { userId, role } = requireUser(actor);
  if (!roleAtLeast(role, input.role)) {
    throw new PermissionError(
      `a ${role} may not create a token with role ${input.role}: choose ${role} or lower`,
    );
  }
  if (input.name.trim().length === 0 || input.name.length > 100) {
    throw InputError.field("name", input.name, "name must be 1 to 100 characters");
  }
  const days = input.expiresInDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_API_TOKEN_DAYS)) {
    throw InputError.field(
      "expiresInDays",
      days,
      `expiresInDays ${days} is out of range: use 1 to ${MAX_API_TOKEN_DAYS}`,
    );
  }

  const secret = generateSecret(API_TOKEN_PREFIX);
  const prefix = secret.slice(0, API_TOKEN_PREFIX.length + DISPLAY_PREFIX_LENGTH);
  return runChange(deps.prisma, actor, "api_token.create", async (tx) => {
    const row = await tx.apiToken.create({
      data: {
        name: input.name,
        tokenHash: sha256Hex(secret),
        prefix,
        role: input.role,
        createdById: userId,
        expiresAt: days === undefined ? null : new Date(Date.now() + days * 24 * 3600 * 1000),
      },
      include: tokenInclude,
    });
    const view = apiTokenToView(row);
    return {
      result: { ...view, secret },
      hostIds: [],
      audit: { action: "api_token.create", targetType: "api_token", targetId: row.id, after: view },
    };
  });
}

/** Revokes a token: the actor's own, or anyone's for an admin. */
export async function revokeApiToken(deps: ServiceDeps, actor: Actor, id: string): Promise<ApiTokenView> {
  const { userId, role } = requireUser(actor);
  return runChange(deps.prisma, actor, "api_token.revoke", async (tx) => {
    const before = await tx.apiToken.findUnique({ where: { id }, include: tokenInclude });
    if (!before || (before.createdById !== userId && role !== "admin"))
      throw new NotFoundError("API token", id);
    if (before.revokedAt) throw new ConflictError(`API token ${id} is already revoked`);

    const after = await tx.apiToken.update({
      where: { id },
      data: { revokedAt: new Date() },
      include: tokenInclude,
    });
    return {
      result: apiTokenToView(after),
      hostIds: [],
      audit: {
        action: "api_token.revoke",
        targetType: "api_token",
        targetId: id,
        before: apiTokenToView(before),
        after: apiTokenToView(after),
      },
    };
  });
}
