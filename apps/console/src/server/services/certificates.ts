// Issued certificates: listing, revocation, and issuance of the tunnel leaf (stunnel's
// certificate on a host) and the agent certificate (the agent's identity on the gateway).
// The host's private keys never reach the control plane: it signs CSRs.
import { issueLeaf, PkiError, type RevocationReason, verifyCsr } from "@tunnelfleet/pki";
import type { Db, Prisma } from "../db";
import { activeClusterAuthority, loadSigningAuthority, retireDrainedAuthorities } from "./authorities";
import { runChange } from "./change";
import type { Actor, ServiceDeps } from "./context";
import { ConflictError, InputError, NotFoundError } from "./errors";
import { activeGatewayAuthority } from "./gateway-pki";
import { memberHostIds } from "./topology";
import { type CertificateView, iso } from "./views";

/** RFC 5280 reason names accepted when revoking. */
export const REVOCATION_REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "privilegeWithdrawn",
] as const satisfies readonly RevocationReason[];
export type RevocationReasonName = (typeof REVOCATION_REASONS)[number];

/** Lifetime of agent certificates, in days; the agent renews them like tunnel leaves. */
export const AGENT_CERT_LIFETIME_DAYS = 90;

const certificateInclude = {
  host: { select: { name: true } },
  ca: { select: { clusterId: true } },
} satisfies Prisma.CertificateInclude;

type CertificateRow = Prisma.CertificateGetPayload<{ include: typeof certificateInclude }>;

export function certificateToView(row: CertificateRow): CertificateView {
  return {
    id: row.id,
    caId: row.caId,
    clusterId: row.ca.clusterId,
    hostId: row.hostId,
    hostName: row.host?.name ?? null,
    purpose: row.purpose,
    serial: row.serial,
    subject: row.subject,
    sans: row.sans,
    notBefore: iso(row.notBefore),
    notAfter: iso(row.notAfter),
    state: row.state,
    revokedAt: iso(row.revokedAt),
    revocationReason: row.revocationReason,
    createdAt: iso(row.createdAt),
  };
}

export interface CertificateFilter {
  hostId?: string;
  clusterId?: string;
  caId?: string;
  purpose?: "tunnel" | "agent" | "gateway";
  state?: "active" | "superseded" | "revoked";
  /** Only certificates whose notAfter is before this time. */
  expiresBefore?: Date;
  limit?: number;
}

export async function listCertificates(db: Db, filter: CertificateFilter = {}): Promise<CertificateView[]> {
  const rows = await db.certificate.findMany({
    where: {
      hostId: filter.hostId,
      caId: filter.caId,
      purpose: filter.purpose,
      state: filter.state,
      notAfter: filter.expiresBefore ? { lt: filter.expiresBefore } : undefined,
      ca: filter.clusterId ? { clusterId: filter.clusterId } : undefined,
    },
    include: certificateInclude,
    orderBy: [{ notAfter: "asc" }, { id: "asc" }],
    take: filter.limit ?? 500,
  });
  return rows.map(certificateToView);
}

/**
 * Revokes a certificate and raises its CA's CRL number. A tunnel leaf's revocation
 * changes the CRL in every member's bundle, so all members of the CA's cluster are
 * bumped. An agent certificate's revocation bumps its host, so the gateway drops it.
 */
export async function revokeCertificate(
  deps: ServiceDeps,
  actor: Actor,
  input: { id: string; reason: RevocationReasonName },
): Promise<CertificateView> {
  return runChange(deps.prisma, actor, "certificate.revoke", async (tx) => {
    const before = await tx.certificate.findUnique({ where: { id: input.id }, include: certificateInclude });
    if (!before) throw new NotFoundError("certificate", input.id);
    if (before.state === "revoked") {
      throw new ConflictError(`certificate ${input.id} is already revoked`, [
        { field: "id", value: input.id, message: "is already revoked" },
      ]);
    }

    const after = await tx.certificate.update({
      where: { id: input.id },
      data: { state: "revoked", revokedAt: new Date(), revocationReason: input.reason },
      include: certificateInclude,
    });
    await tx.certificateAuthority.update({
      where: { id: before.caId },
      data: { crlNumber: { increment: 1 } },
    });

    const hostIds = before.ca.clusterId ? await memberHostIds(tx, [before.ca.clusterId]) : [];
    if (before.hostId) hostIds.push(before.hostId);
    return {
      result: certificateToView(after),
      hostIds,
      audit: {
        action: "certificate.revoke",
        targetType: "certificate",
        targetId: input.id,
        before: certificateToView(before),
        after: certificateToView(after),
      },
    };
  });
}

async function checkedCsr(csrPem: string): Promise<void> {
  try {
    await verifyCsr(csrPem);
  } catch (error) {
    if (error instanceof PkiError) throw InputError.field("csrPem", "(PEM omitted)", error.message);
    throw error;
  }
}

function agentActor(host: { id: string; name: string }, sourceAddress: string | null = null): Actor {
  return { type: "agent", id: host.id, name: host.name, role: null, userId: null, sourceAddress };
}

/**
 * Signs the host's CSR with the active CA of its first cluster (by join time) and
 * returns the new tunnel leaf's PEM. SANs: IP of every membership address and DNS of
 * the host name; lifetime from that cluster's policy. The previous active tunnel leaf is
 * superseded, retiring CAs left without active leaves are retired, and the host (plus
 * the members of a cluster whose CA retired) gets a new generation.
 *
 * NOTE: one leaf per host is why membership services keep a host in one cluster
 * (assertNoOtherCluster); several clusters need one leaf per cluster CA.
 */
export async function issueTunnelLeaf(
  deps: Pick<ServiceDeps, "prisma" | "masterKey">,
  hostId: string,
  csrPem: string,
  options: { sourceAddress?: string | null } = {},
): Promise<CertificateView & { certPem: string }> {
  await checkedCsr(csrPem);

  const host = await deps.prisma.host.findUnique({
    where: { id: hostId },
    include: { memberships: { include: { cluster: true }, orderBy: { createdAt: "asc" } } },
  });
  if (!host) throw new NotFoundError("host", hostId);
  const first = host.memberships[0];
  if (!first) {
    throw new ConflictError(
      `host ${host.name} is in no cluster, so it needs no tunnel certificate: add it to a cluster`,
    );
  }

  const ca = await activeClusterAuthority(deps.prisma, first.clusterId);
  const signer = await loadSigningAuthority(deps.prisma, ca.id, deps.masterKey);
  const ipAddresses = [...new Set(host.memberships.map((membership) => membership.address))];
  const leaf = await issueLeaf({
    caCertPem: signer.certPem,
    caKeyPem: signer.keyPem,
    csrPem,
    commonName: host.name,
    dnsNames: [host.name],
    ipAddresses,
    lifetimeDays: first.cluster.leafLifetimeDays,
    usage: "tunnel",
  });
  const sans = [`DNS:${host.name}`, ...ipAddresses.map((address) => `IP:${address}`)];

  return runChange(deps.prisma, agentActor(host, options.sourceAddress), "certificate.issue", async (tx) => {
    const superseded = await tx.certificate.updateMany({
      where: { hostId, purpose: "tunnel", state: "active" },
      data: { state: "superseded" },
    });
    const created = await tx.certificate.create({
      data: {
        caId: ca.id,
        hostId,
        purpose: "tunnel",
        serial: leaf.serial,
        subject: `CN=${host.name}`,
        sans,
        certPem: leaf.certPem,
        notBefore: leaf.notBefore,
        notAfter: leaf.notAfter,
      },
      include: certificateInclude,
    });

    const hostIds = [hostId];
    for (const membership of host.memberships) {
      const { retired } = await retireDrainedAuthorities(tx, membership.clusterId, false);
      if (retired.length > 0) hostIds.push(...(await memberHostIds(tx, [membership.clusterId])));
    }

    const view = certificateToView(created);
    return {
      result: { ...view, certPem: leaf.certPem },
      hostIds,
      audit: {
        action: "certificate.issue",
        targetType: "certificate",
        targetId: created.id,
        after: { ...view, superseded: superseded.count },
      },
    };
  });
}

/**
 * Signs the agent's CSR with the gateway CA: the client certificate the agent presents
 * on the gateway channel (CN = host name, clientAuth only). Supersedes the host's
 * previous agent certificate. No generation changes.
 */
export async function issueAgentCertificate(
  deps: Pick<ServiceDeps, "prisma" | "masterKey">,
  hostId: string,
  csrPem: string,
  options: { sourceAddress?: string | null } = {},
): Promise<CertificateView & { certPem: string; caCertPem: string }> {
  await checkedCsr(csrPem);

  const host = await deps.prisma.host.findUnique({ where: { id: hostId }, select: { id: true, name: true } });
  if (!host) throw new NotFoundError("host", hostId);
  const ca = await activeGatewayAuthority(deps.prisma);
  const signer = await loadSigningAuthority(deps.prisma, ca.id, deps.masterKey);
  const leaf = await issueLeaf({
    caCertPem: signer.certPem,
    caKeyPem: signer.keyPem,
    csrPem,
    commonName: host.name,
    lifetimeDays: AGENT_CERT_LIFETIME_DAYS,
    usage: "agent",
  });

  return runChange(deps.prisma, agentActor(host, options.sourceAddress), "certificate.issue", async (tx) => {
    await tx.certificate.updateMany({
      where: { hostId, purpose: "agent", state: "active" },
      data: { state: "superseded" },
    });
    const created = await tx.certificate.create({
      data: {
        caId: ca.id,
        hostId,
        purpose: "agent",
        serial: leaf.serial,
        subject: `CN=${host.name}`,
        sans: [],
        certPem: leaf.certPem,
        notBefore: leaf.notBefore,
        notAfter: leaf.notAfter,
      },
      include: certificateInclude,
    });
    const view = certificateToView(created);
    return {
      result: { ...view, certPem: leaf.certPem, caCertPem: ca.certPem },
      hostIds: [],
      audit: { action: "certificate.issue", targetType: "certificate", targetId: created.id, after: view },
    };
  });
}
