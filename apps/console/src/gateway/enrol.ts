// POST /v1/enrol: trades a single-use join token and an agent CSR for a host and its
// agent certificate. The token is consumed, the host (and its membership, when the token
// names a cluster and address) created, the topology checked, the certificate issued and
// the audit event written in one transaction, so a failure leaves the token usable.

import { createHash } from "node:crypto";
import { PkiError } from "@tunnelfleet/pki";
import { type EnrolRequest, type EnrolResponse, enrolRequestSchema } from "@tunnelfleet/protocol";
import type { Logger } from "pino";
import type { PrismaClient, Tx } from "../server/db";
import { runChange, writeAuditEvent } from "../server/services/change";
import type { Actor } from "../server/services/context";
import { ConflictError, InputError } from "../server/services/errors";
import { createHostInTx } from "../server/services/hosts";
import { checkTopology, memberHostIds } from "../server/services/topology";
import type { GatewayServices } from "./types";

/** An enrolment failure with the HTTP status and the message sent to the agent. */
export class EnrolError extends Error {
  constructor(
    readonly status: 400 | 401 | 409 | 500,
    message: string,
  ) {
    super(message);
  }
}

interface ConsumedToken {
  id: string;
  hostName: string | null;
  clusterId: string | null;
  address: string | null;
}

const TOKEN_REJECTED =
  "join token is invalid, expired, revoked or already used; create a new join token in the console";

/** Parses and checks the request body; throws EnrolError(400) naming the bad field. */
export function parseEnrolRequest(body: string): EnrolRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new EnrolError(400, "request body is not valid JSON; send {token, hostName?, agentCsrPem}");
  }

  const parsed = enrolRequestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join(".") : "";
    throw new EnrolError(400, `invalid field '${field}': ${issue?.message ?? "invalid value"}`);
  }
  return parsed.data;
}

/**
 * Enrols a host. Throws EnrolError with 401 for a token that is unknown, expired, revoked
 * or already used, and writes an audit event for it. Throws 409 for a host name or
 * membership address that is taken, and 400 for a CSR the gateway CA does not sign.
 */
export async function enrolHost(
  deps: { prisma: PrismaClient; services: GatewayServices; log: Logger; gatewayCaPem: string },
  request: EnrolRequest,
  sourceAddress: string | null,
): Promise<EnrolResponse> {
  const tokenHash = createHash("sha256").update(request.token).digest("hex");
  const actor: Actor = {
    type: "agent",
    id: null,
    name: request.hostName ?? "unenrolled agent",
    role: null,
    userId: null,
    sourceAddress,
  };

  try {
    return await runChange(
      deps.prisma,
      actor,
      "host-enrolled",
      async (tx) => {
        const token = await consumeJoinToken(tx, tokenHash);
        if (!token) throw new EnrolError(401, TOKEN_REJECTED);

        const hostName = token.hostName ?? request.hostName;
        if (!hostName) {
          throw new EnrolError(
            400,
            "hostName is missing: this join token does not fix one, so the agent must send it",
          );
        }
        const host = await createHostInTx(tx, hostName, "hostName");
        const affected = [host.id];

        if (token.clusterId && token.address) {
          const taken = await tx.membership.findUnique({
            where: { clusterId_address: { clusterId: token.clusterId, address: token.address } },
            select: { hostId: true },
          });
          if (taken) {
            throw new EnrolError(
              409,
              `address ${token.address} is already used by another member of the token's cluster; create a join token with a free address`,
            );
          }
          await tx.membership.create({
            data: { clusterId: token.clusterId, hostId: host.id, address: token.address },
          });
          await checkTopology(tx);
          affected.push(...(await memberHostIds(tx, [token.clusterId])));
        }

        await tx.joinToken.update({ where: { id: token.id }, data: { usedByHostId: host.id } });

        const certificate = await issueOrReject(deps.services, tx, host.id, hostName, request.agentCsrPem);

        return {
          result: {
            hostId: host.id,
            hostName,
            agentCertPem: certificate.certPem,
            gatewayCaPem: deps.gatewayCaPem,
          },
          hostIds: affected,
          audit: {
            action: "host.enrol",
            targetType: "host",
            targetId: host.id,
            after: {
              hostName,
              joinTokenId: token.id,
              clusterId: token.clusterId,
              address: token.address,
              agentCertificateSerial: certificate.serial,
            },
          },
        };
      },
      { lockTopology: true },
    );
  } catch (error) {
    if (error instanceof EnrolError && error.status === 401) {
      await auditRejectedToken(deps, actor, tokenHash);
    }
    throw toEnrolError(error);
  }
}

/**
 * Marks the token used if, and only if, it is unused, unrevoked and unexpired. One
 * UPDATE does the check and the write, so two concurrent enrolments with the same token
 * cannot both succeed.
 */
async function consumeJoinToken(tx: Tx, tokenHash: string): Promise<ConsumedToken | null> {
  const rows = await tx.$queryRaw<ConsumedToken[]>`
    UPDATE "JoinToken"
       SET "usedAt" = now()
     WHERE "tokenHash" = ${tokenHash}
       AND "usedAt" IS NULL
       AND "revokedAt" IS NULL
       AND "expiresAt" > now()
    RETURNING "id", "hostName", "clusterId"::text AS "clusterId", "address"`;
  return rows[0] ?? null;
}

async function issueOrReject(
  services: GatewayServices,
  tx: Tx,
  hostId: string,
  hostName: string,
  csrPem: string,
) {
  try {
    return await services.issueAgentCertificate(tx, { hostId, hostName, csrPem });
  } catch (error) {
    if (error instanceof PkiError) throw new EnrolError(400, `agentCsrPem was rejected: ${error.message}`);
    throw error;
  }
}

/** Maps the control plane's service errors to enrolment responses; rethrows anything else. */
function toEnrolError(error: unknown): unknown {
  if (error instanceof EnrolError) return error;
  if (error instanceof InputError) return new EnrolError(400, error.message);
  if (error instanceof ConflictError) return new EnrolError(409, error.message);
  return error;
}

/** Writes the audit event of a rejected token, with why it was rejected (never the token). */
async function auditRejectedToken(
  deps: { prisma: PrismaClient; log: Logger },
  actor: Actor,
  tokenHash: string,
): Promise<void> {
  const row = await deps.prisma.joinToken.findUnique({
    where: { tokenHash },
    select: { id: true, usedAt: true, usedByHostId: true, revokedAt: true, expiresAt: true },
  });

  let reason = "unknown";
  if (row?.usedAt) reason = "already-used";
  else if (row?.revokedAt) reason = "revoked";
  else if (row && row.expiresAt <= new Date()) reason = "expired";

  deps.log.warn(
    { joinTokenId: row?.id ?? null, reason, sourceAddress: actor.sourceAddress },
    "join token rejected",
  );
  await deps.prisma.$transaction(async (tx) => {
    await writeAuditEvent(tx, actor, {
      action: "host.enrol.rejected",
      targetType: "join_token",
      targetId: row?.id ?? null,
      after: { reason, usedByHostId: row?.usedByHostId ?? null },
    });
  });
}
