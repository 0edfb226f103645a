// Loading of the CA that signs leaves and CRLs: parses its certificate and key once and
// checks that they belong together.
import { PkiError } from "./errors";
import {
  classifyKey,
  importPrivateKeyPem,
  type KeyType,
  parsePrivateKeyPem,
  publicKeyDerOfPrivateKey,
} from "./keys";
import { certificateSpkiDer, parseCertificate } from "./parse";
import type { CryptoKey } from "./x509";
import { x509 } from "./x509";

/** A CA ready to sign: its certificate, private key and key identifier. */
export interface Issuer {
  certificate: x509.X509Certificate;
  key: CryptoKey;
  keyType: KeyType;
  /** Authority key identifier extension for the certificates and CRLs it issues. */
  authorityKeyIdentifier: x509.AuthorityKeyIdentifierExtension;
}

/** Issuers loaded recently, keyed by certificate and key PEM, so repeated issuance skips parsing. */
const cache = new Map<string, Promise<Issuer>>();
const CACHE_SIZE = 16;

/**
 * Loads the CA certificate and key, checking that the certificate is a CA (basicConstraints
 * CA:TRUE) and that the key matches it. Results are memoized for the last 16 pairs; a failed
 * load is not memoized.
 */
export function loadIssuer(caCertPem: string, caKeyPem: string): Promise<Issuer> {
  const cacheKey = `${caCertPem}\u0000${caKeyPem}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  const loading = readIssuer(caCertPem, caKeyPem);
  cache.set(cacheKey, loading);
  loading.catch(() => cache.delete(cacheKey));
  if (cache.size > CACHE_SIZE) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
  }
  return loading;
}

async function readIssuer(caCertPem: string, caKeyPem: string): Promise<Issuer> {
  const certificate = parseCertificate(caCertPem, "caCertPem");

  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) {
    throw new PkiError(
      `caCertPem "${certificate.subject}" is not a CA certificate (basicConstraints CA:TRUE)`,
    );
  }

  const keyObject = parsePrivateKeyPem(caKeyPem, "caKeyPem");
  const classification = classifyKey(keyObject);
  if (!classification.ok) {
    throw new PkiError(`caKeyPem is ${classification.problem}`);
  }
  if (!publicKeyDerOfPrivateKey(keyObject).equals(certificateSpkiDer(certificate))) {
    throw new PkiError(`caKeyPem does not match the public key of CA certificate "${certificate.subject}"`);
  }

  const { key, keyType } = await importPrivateKeyPem(caKeyPem);
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? Buffer.from(await certificate.publicKey.getKeyIdentifier()).toString("hex");
  const authorityKeyIdentifier = new x509.AuthorityKeyIdentifierExtension(keyId, false);
  return { certificate, key, keyType, authorityKeyIdentifier };
}
