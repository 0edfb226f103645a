// Checks on an operator's existing CA before the control plane signs leaves with it.
import { createHash, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { signedBy } from "./chain";
import { CaImportError, PkiError } from "./errors";
import { classifyKey, type KeyType, parsePrivateKeyPem, publicKeyDerOfPrivateKey } from "./keys";
import {
  certificateSignatureOid,
  certificateSpkiDer,
  checkSignatureAlgorithm,
  splitCertificatePems,
  toPem,
} from "./parse";
import { DAY_MS, resolveNow } from "./validity";
import { x509 } from "./x509";

/** Remaining validity below which the import is rejected by default, in days. */
const DEFAULT_MIN_REMAINING_DAYS = 30;

/** Remaining validity below which the import succeeds with a warning, in days. */
const WARN_REMAINING_DAYS = 90;

export interface ImportCaOptions {
  /**
   * The CA that will sign leaves, optionally followed by its issuers, in leaf-first order:
   * each certificate is signed by the one after it, ending at (or before) the root.
   */
  certPem: string;
  /** Unencrypted private key of the first certificate (PKCS#8, SEC1 or PKCS#1 PEM). */
  keyPem: string;
  /** Time the checks are made at. Default: the current time. */
  now?: Date;
  /**
   * Minimum remaining validity in days; a CA closer to expiry is rejected, because every
   * leaf it signs would expire with it. Default 30 (the default leaf lifetime).
   */
  minRemainingDays?: number;
}

export interface ImportedCa {
  /** PEM of the CA that signs leaves. */
  certPem: string;
  /** PEM of its issuers in leaf-first order, or "" when certPem contains only the CA. */
  chainPem: string;
  /** The private key re-encoded as PKCS#8 PEM; seal it before storing it. */
  keyPem: string;
  keyType: KeyType;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** "sha256:<hex>" of the CA's SubjectPublicKeyInfo, for agents to pin. */
  spkiHash: string;
  /** Problems that do not block the import, for example expiry within 90 days. */
  warnings: string[];
}

function describe(certificate: x509.X509Certificate): string {
  return `CA certificate "${certificate.subject}"`;
}

async function checkChainOrder(certificates: x509.X509Certificate[]): Promise<string | null> {
  const pairsInOrder = async (list: x509.X509Certificate[]) => {
    for (let index = 0; index + 1 < list.length; index++) {
      if (!(await signedBy(list[index]!, list[index + 1]!))) return index;
    }
    return -1;
  };

  const broken = await pairsInOrder(certificates);
  if (broken < 0) return null;

  if ((await pairsInOrder([...certificates].reverse())) < 0) {
    return (
      "certPem lists the chain root-first; put the CA that signs leaves first, " +
      "followed by each issuer up to the root (leaf-first order)"
    );
  }

  const child = certificates[broken]!;
  const parent = certificates[broken + 1]!;
  return (
    `certificate ${broken + 2} in certPem ("${parent.subject}") did not sign certificate ${broken + 1} ` +
    `("${child.subject}"); list the CA that signs leaves first, then each issuer in order up to the root`
  );
}

/**
 * Verifies a self-issued certificate's signature with its own key through Node's OpenSSL
 * binding, which also handles keys WebCrypto lacks (P-224, for example).
 */
function selfSignatureValid(certificate: x509.X509Certificate): boolean {
  try {
    const parsed = new X509Certificate(Buffer.from(certificate.rawData));
    return parsed.verify(parsed.publicKey);
  } catch {
    return false;
  }
}

function checkCertificateKey(certificate: x509.X509Certificate): { keyType?: KeyType; reason?: string } {
  const publicKey = createPublicKey({ key: certificateSpkiDer(certificate), format: "der", type: "spki" });
  const classification = classifyKey(publicKey);
  if (classification.ok) return { keyType: classification.keyType };
  return {
    reason: `${describe(certificate)} has ${classification.problem}; create a CA with an ECDSA P-256/P-384 or RSA-2048+ key`,
  };
}

function checkValidity(
  certificate: x509.X509Certificate,
  now: Date,
  minRemainingDays: number,
): { reason?: string; warning?: string } {
  const notBefore = certificate.notBefore;
  const notAfter = certificate.notAfter;

  if (now.getTime() < notBefore.getTime()) {
    return {
      reason: `${describe(certificate)} is not valid until ${notBefore.toISOString()}; check the system clock or import it later`,
    };
  }
  if (now.getTime() > notAfter.getTime()) {
    return { reason: `${describe(certificate)} expired on ${notAfter.toISOString()}; import a current CA` };
  }

  const remainingDays = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  if (remainingDays < minRemainingDays) {
    return {
      reason:
        `${describe(certificate)} expires on ${notAfter.toISOString()}, in ${remainingDays} days, ` +
        `less than the required ${minRemainingDays}; renew the CA certificate before importing it`,
    };
  }
  if (remainingDays < WARN_REMAINING_DAYS) {
    return {
      warning: `${describe(certificate)} expires on ${notAfter.toISOString()}, in ${remainingDays} days; plan a CA rotation`,
    };
  }
  return {};
}

function checkKeyMatch(key: KeyObject, certificates: x509.X509Certificate[]): string | null {
  const keyDer = publicKeyDerOfPrivateKey(key);
  if (keyDer.equals(certificateSpkiDer(certificates[0]!))) return null;

  const matching = certificates.findIndex((certificate) => keyDer.equals(certificateSpkiDer(certificate)));
  if (matching > 0) {
    return (
      `the private key does not match ${describe(certificates[0]!)}; it matches certificate ${matching + 1} ` +
      `("${certificates[matching]!.subject}"), so list that certificate first`
    );
  }
  return `the private key does not match ${describe(certificates[0]!)}; pass the key that belongs to this certificate`;
}

/**
 * Checks an existing CA and its key, and returns them ready to sign leaves. Every problem
 * found goes into the `reasons` of one CaImportError:
 * - unparseable certificate or key;
 * - a certificate that is not CA:TRUE, or has a key usage without keyCertSign;
 * - an RSA key under 2048 bits, an EC curve weaker than P-256, or another unsupported key;
 * - a SHA-1, MD5 or other weak signature on any certificate in certPem;
 * - a CA not valid yet, expired, or expiring within `minRemainingDays` (default 30);
 * - a key that does not match the first certificate;
 * - issuers not in leaf-first order.
 * A CA expiring within 90 days imports with a warning instead.
 */
export async function importCa(options: ImportCaOptions): Promise<ImportedCa> {
  const now = resolveNow(options.now);
  const minRemainingDays = options.minRemainingDays ?? DEFAULT_MIN_REMAINING_DAYS;
  if (!Number.isFinite(minRemainingDays) || minRemainingDays < 0) {
    throw new PkiError(`minRemainingDays is ${String(minRemainingDays)}; use a number of days of 0 or more`);
  }

  const reasons: string[] = [];
  const warnings: string[] = [];

  const blocks = splitCertificatePems(options.certPem);
  if (blocks.length === 0) {
    throw new CaImportError([
      'certPem contains no "-----BEGIN CERTIFICATE-----" block; pass the CA certificate as PEM',
    ]);
  }
  const certificates: x509.X509Certificate[] = [];
  blocks.forEach((block, index) => {
    try {
      certificates.push(new x509.X509Certificate(block));
    } catch (error) {
      reasons.push(`certificate ${index + 1} in certPem cannot be parsed: ${(error as Error).message}`);
    }
  });

  let key: KeyObject | undefined;
  try {
    key = parsePrivateKeyPem(options.keyPem, "keyPem");
  } catch (error) {
    reasons.push((error as Error).message);
  }
  if (reasons.length > 0) throw new CaImportError(reasons);

  const ca = certificates[0]!;

  const constraints = ca.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    reasons.push(
      `${describe(ca)} is not a CA: basicConstraints CA:TRUE is missing; import a CA certificate, not a leaf`,
    );
  }
  const keyUsage = ca.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && (keyUsage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    reasons.push(`${describe(ca)} has a key usage without keyCertSign, so it may not sign certificates`);
  }

  const { keyType, reason: keyReason } = checkCertificateKey(ca);
  if (keyReason) reasons.push(keyReason);

  for (const certificate of certificates) {
    const algorithm = checkSignatureAlgorithm(certificateSignatureOid(certificate));
    if (!algorithm.acceptable) {
      reasons.push(
        `${describe(certificate)} is signed with ${algorithm.name}; re-issue it with SHA-256 or stronger`,
      );
      continue;
    }

    if (certificate.subject === certificate.issuer && !selfSignatureValid(certificate)) {
      reasons.push(
        `${describe(certificate)} is self-issued but its signature does not verify; the certificate was altered`,
      );
    }
  }

  const validity = checkValidity(ca, now, minRemainingDays);
  if (validity.reason) reasons.push(validity.reason);
  if (validity.warning) warnings.push(validity.warning);

  const mismatch = checkKeyMatch(key!, certificates);
  if (mismatch) reasons.push(mismatch);

  const order = await checkChainOrder(certificates);
  if (order) reasons.push(order);

  if (reasons.length > 0 || !keyType) throw new CaImportError(reasons);

  return {
    certPem: toPem(ca),
    chainPem: certificates.slice(1).map(toPem).join(""),
    keyPem: key!.export({ type: "pkcs8", format: "pem" }).toString(),
    keyType,
    subject: ca.subject,
    notBefore: ca.notBefore,
    notAfter: ca.notAfter,
    spkiHash: `sha256:${createHash("sha256").update(certificateSpkiDer(ca)).digest("hex")}`,
    warnings,
  };
}
