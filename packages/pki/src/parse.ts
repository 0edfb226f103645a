// PEM parsing with clear errors, and the signature algorithms we accept on certificates,
// CSRs and CRLs.
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { PkiError } from "./errors";
import { x509 } from "./x509";

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Signature algorithms at SHA-256 strength or better, by OID, with the Node hash name. */
const STRONG_SIGNATURE_ALGORITHMS: Record<string, { name: string; hash: string }> = {
  "1.2.840.113549.1.1.11": { name: "sha256WithRSAEncryption", hash: "sha256" },
  "1.2.840.113549.1.1.12": { name: "sha384WithRSAEncryption", hash: "sha384" },
  "1.2.840.113549.1.1.13": { name: "sha512WithRSAEncryption", hash: "sha512" },
  "1.2.840.10045.4.3.2": { name: "ecdsa-with-SHA256", hash: "sha256" },
  "1.2.840.10045.4.3.3": { name: "ecdsa-with-SHA384", hash: "sha384" },
  "1.2.840.10045.4.3.4": { name: "ecdsa-with-SHA512", hash: "sha512" },
};

/** Signature algorithms rejected as weak, by OID, with the names OpenSSL prints. */
const WEAK_SIGNATURE_ALGORITHMS: Record<string, string> = {
  "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
  "1.2.840.10040.4.3": "dsa-with-SHA1",
};

/** Verdict on a signature algorithm OID: its name, whether we accept it, and its Node hash name if so. */
export type SignatureAlgorithmCheck =
  | { name: string; acceptable: true; hash: string }
  | { name: string; acceptable: false };

export function checkSignatureAlgorithm(oid: string): SignatureAlgorithmCheck {
  const strong = STRONG_SIGNATURE_ALGORITHMS[oid];
  if (strong) return { ...strong, acceptable: true };
  return { name: WEAK_SIGNATURE_ALGORITHMS[oid] ?? `unsupported algorithm ${oid}`, acceptable: false };
}

/** Returns the signature algorithm OID of a certificate. */
export function certificateSignatureOid(certificate: x509.X509Certificate): string {
  return AsnConvert.parse(certificate.rawData, Certificate).signatureAlgorithm.algorithm;
}

/** Splits a PEM text into its CERTIFICATE blocks, in file order. */
export function splitCertificatePems(pem: string): string[] {
  if (typeof pem !== "string") return [];
  return pem.match(CERTIFICATE_BLOCK) ?? [];
}

/**
 * Parses exactly one PEM certificate; `label` names the input in errors
 * (for example "caCertPem"). Throws PkiError when the text contains no or several certificates.
 */
export function parseCertificate(pem: string, label: string): x509.X509Certificate {
  const blocks = splitCertificatePems(pem);
  if (blocks.length === 0) {
    throw new PkiError(`${label} contains no "-----BEGIN CERTIFICATE-----" block; pass a PEM certificate`);
  }
  if (blocks.length > 1) {
    throw new PkiError(`${label} contains ${blocks.length} certificates; pass exactly one`);
  }

  try {
    return new x509.X509Certificate(blocks[0]!);
  } catch (error) {
    throw new PkiError(`${label} is not a valid X.509 certificate: ${(error as Error).message}`);
  }
}

/** Returns the DER SubjectPublicKeyInfo of a certificate. */
export function certificateSpkiDer(certificate: x509.X509Certificate): Buffer {
  return Buffer.from(certificate.publicKey.rawData);
}

/** Re-encodes a certificate as a PEM block with a trailing newline. */
export function toPem(data: { toString(format: "pem"): string }): string {
  return `${data.toString("pem").trim()}\n`;
}
