// Join tokens: single-use, short-lived secrets that let a new host's agent enrol. Only
// the SHA-256 of the secret is stored; the secret and the join command are shown once.
import { renderJoinCommand } from "../../distribution/join-command";
import { generateSecret, sha256Hex } from "../auth/secrets";
import type { Db } from "../db";
import { runChange } from "./change";
import type { Actor, ServiceDeps } from "./context";
import { AuthenticationError, ConflictError, InputError, NotFoundError } from "./errors";
import { gatewayCaHash } from "./gateway-pki";
import { checkHostName, createHostInTx } from "./hosts";
import { assertNoOtherCluster, canonicalAddress } from "./members";
import { checkTopology, memberHostIds } from "./topology";
import { type CreatedJoinTokenView, iso, type JoinTokenView } from "./views";

export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 3600;
export const MAX_JOIN_TOKEN_TTL_SECONDS = 24 * 3600;
const SECRET_PREFIX = "tfj_";

type JoinTokenRow = {
  id: string;
  hostName: string | null;
  clusterId: string | null;
  address: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  usedByHostId: string | null;
  revokedAt: Date | null;
};

function status(row: JoinTokenRow, now: Date): JoinTokenView["status"] {
  if (row.revokedAt) return "revoked";
  if (row.usedAt) return "used";
  if (row.expiresAt <= now) return "expired";
  return "active";
}

export function joinTokenToView(row: JoinTokenRow, now = new Date()): JoinTokenView {
  return {
    id: row.id,
    hostName: row.hostName,
    clusterId: row.clusterId,
    address: row.address,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    usedAt: iso(row.usedAt),
    usedByHostId: row.usedByHostId,
    revokedAt: iso(row.revokedAt),
    status: status(row, now),
  };
}

/** Returns the one-line command an operator runs on the new host. */
export function joinCommand(gatewayUrl: string, secret: string, caHash: string): string {
  return `tunnelfleet-agent join --server ${gatewayUrl} --token ${secret} --ca-hash ${caHash}`;
}

export interface CreateJoinTokenInput {
  /** Name the host gets; when absent the agent proposes its own. */
  hostName?: string;
  /** Cluster the host joins on enrolment, with `address`. */
  clusterId?: string;
  address?: string;
  /** Default 3600, at most 86400. */
  ttlSeconds?: number;
}

export async function createJoinToken(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateJoinTokenInput,
): Promise<CreatedJoinTokenView> {
  const ttl = input.ttlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_JOIN_TOKEN_TTL_SECONDS) {
    throw InputError.field(
      "ttlSeconds",
      ttl,
      `ttlSeconds ${ttl} is out of range: use 60 to ${MAX_JOIN_TOKEN_TTL_SECONDS} seconds`,
    );
  }
  if (input.hostName !== undefined) checkHostName("hostName", input.hostName);
  if ((input.clusterId === undefined) !== (input.address === undefined)) {
    const field = input.clusterId === undefined ? "clusterId" : "address";
    throw InputError.field(field, undefined, `${field} is missing: give clusterId and address together`);
  }
  const address = input.address === undefined ? null : canonicalAddress("address", input.address);
  const caHash = await gatewayCaHash(deps.prisma);

  const secret = generateSecret(SECRET_PREFIX);
  const expiresAt = new Date(Date.now() + ttl * 1000);

  return runChange(deps.prisma, actor, "join_token.create", async (tx) => {
    if (input.clusterId !== undefined) {
      const cluster = await tx.cluster.findUnique({ where: { id: input.clusterId }, select: { id: true } });
      if (!cluster) throw new NotFoundError("cluster", input.clusterId);
    }
    const row = await tx.joinToken.create({
      data: {
        tokenHash: sha256Hex(secret),
        hostName: input.hostName ?? null,
        clusterId: input.clusterId ?? null,
        address,
        createdById: actor.userId,
        expiresAt,
      },
    });
    const view = joinTokenToView(row);
    return {
      result: {
        ...view,
        secret,
        command: joinCommand(deps.gatewayUrl, secret, caHash),
        installCommand: renderJoinCommand({ serverUrl: deps.gatewayUrl, token: secret, caHash }),
      },
      hostIds: [],
      audit: { action: "join_token.create", targetType: "join_token", targetId: row.id, after: view },
    };
  });
}

/** Lists active tokens (or all with `includeInactive`), newest first, optionally of one cluster. */
export async function listJoinTokens(
  db: Db,
  filter: { clusterId?: string; includeInactive?: boolean } = {},
): Promise<JoinTokenView[]> {
  const now = new Date();
  const active = filter.includeInactive ? {} : { usedAt: null, revokedAt: null, expiresAt: { gt: now } };
  const rows = await db.joinToken.findMany({
    where: { ...active, clusterId: filter.clusterId },
    orderBy: { createdAt: "desc" },
    take: 500,
  });
  return rows.map((row) => joinTokenToView(row, now));
}

export async function revokeJoinToken(deps: ServiceDeps, actor: Actor, id: string): Promise<JoinTokenView> {
  return runChange(deps.prisma, actor, "join_token.revoke", async (tx) => {
    const before = await tx.joinToken.findUnique({ where: { id } });
    if (!before) throw new NotFoundError("join token", id);
    if (before.revokedAt || before.usedAt) {
      throw new ConflictError(`join token ${id} is already ${before.revokedAt ? "revoked" : "used"}`);
    }
    const after = await tx.joinToken.update({ where: { id }, data: { revokedAt: new Date() } });
    return {
      result: joinTokenToView(after),
      hostIds: [],
      audit: {
        action: "join_token.revoke",
        targetType: "join_token",
        targetId: id,
        before: joinTokenToView(before),
        after: joinTokenToView(after),
      },
    };
  });
}

export interface RedeemedJoinToken {
  hostId: string;
  hostName: string;
  /** Cluster the host joined, when the token named one. */
  clusterId: string | null;
  /** True when the host already existed (a re-install on a known host). */
  existingHost: boolean;
}

/**
 * Consumes a join token for an enrolling agent: marks it used (exactly once, even when
 * two agents race with the same secret), creates the host unless it exists, and adds
 * the membership the token names. Throws AuthenticationError for an unknown, used,
 * revoked or expired token.
 */
export async function redeemJoinToken(
  deps: Pick<ServiceDeps, "prisma">,
  input: { secret: string; proposedHostName?: string; sourceAddress?: string | null },
): Promise<RedeemedJoinToken> {
  const tokenHash = sha256Hex(input.secret);
  const now = new Date();

  const token = await deps.prisma.joinToken.findUnique({ where: { tokenHash } });
  if (!token || token.usedAt || token.revokedAt || token.expiresAt <= now) {
    throw new AuthenticationError(
      "join token is unknown, used, revoked or expired: create a new one in the console",
    );
  }
  const hostName = token.hostName ?? input.proposedHostName;
  if (!hostName)
    throw InputError.field("hostName", undefined, "hostName is missing: the agent must propose a name");
  checkHostName("hostName", hostName);

  const actor: Actor = {
    type: "agent",
    id: null,
    name: hostName,
    role: null,
    userId: null,
    sourceAddress: input.sourceAddress ?? null,
  };
  return runChange(
    deps.prisma,
    actor,
    "host.join",
    async (tx) => {
      const claimed = await tx.joinToken.updateMany({
        where: { id: token.id, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (claimed.count !== 1)
        throw new AuthenticationError("join token was used concurrently: create a new one");

      const existing = await tx.host.findUnique({
        where: { name: hostName },
        select: { id: true, name: true },
      });
      const host = existing ?? (await createHostInTx(tx, hostName, "hostName"));
      await tx.joinToken.update({ where: { id: token.id }, data: { usedByHostId: host.id } });

      const hostIds = [host.id];
      if (token.clusterId && token.address) {
        const member = await tx.membership.findUnique({
          where: { clusterId_hostId: { clusterId: token.clusterId, hostId: host.id } },
        });
        if (!member) {
          await assertNoOtherCluster(tx, host, token.clusterId, "hostName");
          await tx.membership.create({
            data: { clusterId: token.clusterId, hostId: host.id, address: token.address },
          });
          await checkTopology(tx);
          hostIds.push(...(await memberHostIds(tx, [token.clusterId])));
        }
      }

      return {
        result: {
          hostId: host.id,
          hostName: host.name,
          clusterId: token.clusterId,
          existingHost: existing !== null,
        },
        hostIds,
        audit: {
          action: "host.join",
          targetType: "host",
          targetId: host.id,
          after: {
            joinTokenId: token.id,
            hostName: host.name,
            clusterId: token.clusterId,
            address: token.address,
          },
        },
      };
    },
    { lockTopology: true },
  );
}
