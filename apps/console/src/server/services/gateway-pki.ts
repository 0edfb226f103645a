// The control plane's own PKI: the gateway CA (created once, at first start), the
// gateway's TLS server certificate, and the CA hash that join commands pin.
import { generateKeyPairSync } from "node:crypto";
import { createCsr, issueLeaf } from "@tunnelfleet/pki";
import type { Db } from "../db";
import { generateAuthorityMaterial, loadSigningAuthority } from "./authorities";
import { lockTopology, writeAuditEvent } from "./change";
import { type ServiceDeps, SYSTEM_ACTOR } from "./context";
import { ConflictError } from "./errors";
import { keyTypeToDb } from "./topology";

/** Lifetime of a gateway server certificate, in days. A new one is issued at every start. */
export const GATEWAY_CERT_LIFETIME_DAYS = 365;

export async function activeGatewayAuthority(db: Db) {
  const row = await db.certificateAuthority.findFirst({
    where: { purpose: "gateway", state: "active" },
    orderBy: { createdAt: "asc" },
  });
  if (!row) throw new ConflictError("the gateway CA does not exist yet: start the server once to create it");
  return row;
}

/** "sha256:<hex>" of the gateway CA's public key, which agents pin at join time. */
export async function gatewayCaHash(db: Db): Promise<string> {
  return (await activeGatewayAuthority(db)).spkiHash;
}

/**
 * Creates the gateway CA when none is active. Safe when several replicas start at once:
 * creation happens under the topology lock and re-checks inside it.
 */
export async function ensureGatewayAuthority(deps: Pick<ServiceDeps, "prisma" | "masterKey">): Promise<{
  id: string;
  spkiHash: string;
  created: boolean;
}> {
  const existing = await deps.prisma.certificateAuthority.findFirst({
    where: { purpose: "gateway", state: "active" },
  });
  if (existing) return { id: existing.id, spkiHash: existing.spkiHash, created: false };

  const material = await generateAuthorityMaterial(deps, "Tunnelfleet gateway CA", "ecdsa-p256");
  return deps.prisma.$transaction(async (tx) => {
    await lockTopology(tx);
    const raced = await tx.certificateAuthority.findFirst({ where: { purpose: "gateway", state: "active" } });
    if (raced) return { id: raced.id, spkiHash: raced.spkiHash, created: false };

    const row = await tx.certificateAuthority.create({
      data: {
        purpose: "gateway",
        clusterId: null,
        subject: material.subject,
        keyType: keyTypeToDb(material.keyType),
        certPem: material.certPem,
        encryptedKey: material.encryptedKey,
        spkiHash: material.spkiHash,
        notBefore: material.notBefore,
        notAfter: material.notAfter,
      },
    });
    await writeAuditEvent(tx, SYSTEM_ACTOR, {
      action: "ca.create_gateway",
      targetType: "certificate_authority",
      targetId: row.id,
      after: { subject: row.subject, spkiHash: row.spkiHash },
    });
    return { id: row.id, spkiHash: row.spkiHash, created: true };
  });
}

export interface GatewayServerCertificate {
  certPem: string;
  /** PKCS#8 PEM of the server key. Kept in memory only; never stored. */
  keyPem: string;
  caCertPem: string;
  caSpkiHash: string;
}

/**
 * Issues a fresh TLS server certificate for the gateway from the gateway CA, with a key
 * generated in this process. Each start issues its own, so the key never touches disk
 * or the database.
 */
export async function issueGatewayServerCertificate(
  deps: Pick<ServiceDeps, "prisma" | "masterKey">,
  names: { dnsNames: string[]; ipAddresses: string[] },
): Promise<GatewayServerCertificate> {
  const ca = await activeGatewayAuthority(deps.prisma);
  const signer = await loadSigningAuthority(deps.prisma, ca.id, deps.masterKey);

  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const commonName = names.dnsNames[0] ?? "tunnelfleet-gateway";
  const csrPem = await createCsr({ commonName, keyPem });
  const leaf = await issueLeaf({
    caCertPem: signer.certPem,
    caKeyPem: signer.keyPem,
    csrPem,
    commonName,
    dnsNames: names.dnsNames,
    ipAddresses: names.ipAddresses,
    lifetimeDays: GATEWAY_CERT_LIFETIME_DAYS,
    usage: "server",
  });

  await deps.prisma.certificate.create({
    data: {
      caId: ca.id,
      hostId: null,
      purpose: "gateway",
      serial: leaf.serial,
      subject: `CN=${commonName}`,
      sans: [...names.dnsNames.map((name) => `DNS:${name}`), ...names.ipAddresses.map((ip) => `IP:${ip}`)],
      certPem: leaf.certPem,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    },
  });
  return { certPem: leaf.certPem, keyPem, caCertPem: ca.certPem, caSpkiHash: ca.spkiHash };
}
