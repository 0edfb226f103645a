// Read-only views of a certificate: its fields, and whether a private key belongs to it.
import { createPublicKey } from "node:crypto";
import { classifyKey, type KeyType, parsePrivateKeyPem, publicKeyDerOfPrivateKey } from "./keys";
import { certificateSpkiDer, parseCertificate } from "./parse";
import { x509 } from "./x509";

export interface CertificateInfo {
  /** Serial as lowercase hex without leading zero octets. */
  serial: string;
  /** Subject DN as RFC 4514 text, for example "CN=node-1". */
  subject: string;
  issuer: string;
  /** SANs in OpenSSL config syntax: "DNS:node-1", "IP:10.0.0.1", "email:…", "URI:…". */
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  /** Key type of the certified key, or null for a key outside the supported types. */
  keyType: KeyType | null;
  /** Whether basicConstraints has CA:TRUE. */
  isCa: boolean;
}

const SAN_PREFIX: Record<string, string> = { dns: "DNS", ip: "IP", email: "email", url: "URI" };

/** Parses a PEM certificate into the fields the console and the agent show. */
export function certificateInfo(certPem: string): CertificateInfo {
  const certificate = parseCertificate(certPem, "certPem");

  const san = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  const sans = (san?.names.toJSON() ?? []).map(
    (name) => `${SAN_PREFIX[name.type] ?? name.type}:${name.value}`,
  );

  const publicKey = createPublicKey({ key: certificateSpkiDer(certificate), format: "der", type: "spki" });
  const classification = classifyKey(publicKey);

  return {
    serial: certificate.serialNumber.toLowerCase(),
    subject: certificate.subject,
    issuer: certificate.issuer,
    sans,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    keyType: classification.ok ? classification.keyType : null,
    isCa: certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true,
  };
}

/** Returns whether the private key is the one certified by the certificate; throws PkiError on unparseable input. */
export async function keyMatchesCertificate(keyPem: string, certPem: string): Promise<boolean> {
  const certificate = parseCertificate(certPem, "certPem");
  const key = parsePrivateKeyPem(keyPem, "keyPem");
  return publicKeyDerOfPrivateKey(key).equals(certificateSpkiDer(certificate));
}
