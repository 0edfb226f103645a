// Agent authentication at the WebSocket upgrade: the TLS client certificate must chain to
// the gateway CA and its serial must be an active agent certificate of an existing host.

import type { TLSSocket } from "node:tls";
import type { PrismaClient } from "../server/db";

/** The enrolled host behind a session. */
export interface AgentIdentity {
  hostId: string;
  hostName: string;
  certificateId: string;
  serial: string;
}

export type AuthResult =
  | { ok: true; identity: AgentIdentity }
  | { ok: false; status: 401 | 403; reason: string };

/**
 * Normalises a serial to the stored form: lowercase hex without leading zero octets
 * (Node prints serials in uppercase and keeps the sign octet).
 */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/:/g, "").toLowerCase();
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  return even.replace(/^(00)+(?=.)/, "");
}

/** Checks the client certificate of `socket` against the TLS verification and the database. */
export async function authenticateAgent(prisma: PrismaClient, socket: TLSSocket): Promise<AuthResult> {
  const peer = socket.getPeerCertificate();
  if (!peer?.serialNumber) {
    return { ok: false, status: 401, reason: "no client certificate" };
  }
  if (!socket.authorized) {
    return {
      ok: false,
      status: 401,
      reason: `client certificate rejected: ${String(socket.authorizationError ?? "not signed by the gateway CA")}`,
    };
  }

  const serial = normalizeSerial(peer.serialNumber);
  const identity = await findActiveAgentCertificate(prisma, [serial]);
  const match = identity.get(serial);
  if (!match) {
    return {
      ok: false,
      status: 403,
      reason: `agent certificate ${serial} is revoked, superseded or its host was deleted`,
    };
  }
  return { ok: true, identity: match };
}

/**
 * Returns, for each given serial that is an active agent certificate of the gateway CA
 * whose host still exists, the host it identifies.
 */
export async function findActiveAgentCertificate(
  prisma: PrismaClient,
  serials: string[],
): Promise<Map<string, AgentIdentity>> {
  const rows = await prisma.certificate.findMany({
    where: {
      serial: { in: serials },
      purpose: "agent",
      state: "active",
      hostId: { not: null },
      notAfter: { gt: new Date() },
      ca: { purpose: "gateway" },
    },
    select: { id: true, serial: true, hostId: true, host: { select: { name: true } } },
  });

  const identities = new Map<string, AgentIdentity>();
  for (const row of rows) {
    if (!row.hostId || !row.host) continue;
    identities.set(row.serial, {
      hostId: row.hostId,
      hostName: row.host.name,
      certificateId: row.id,
      serial: row.serial,
    });
  }
  return identities;
}
