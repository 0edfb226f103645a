// PKCS#10 certificate signing requests: creation on the member, verification on the control plane.
import { createPublicKey } from "node:crypto";
import { CsrError, PkiError } from "./errors";
import { classifyKey, importKeyPairPem, type KeyType, keyTypeOfCryptoKey, signingAlgorithm } from "./keys";
import { checkCommonName } from "./names";
import { checkSignatureAlgorithm, csrSignatureOid, toPem } from "./parse";
import type { CryptoKeyPair } from "./x509";
import { x509 } from "./x509";

export type CreateCsrOptions = { commonName: string } & (
  | { keyPem: string; keyPair?: undefined }
  | { keyPair: CryptoKeyPair; keyPem?: undefined }
);

export interface VerifiedCsr {
  /** First CN of the CSR subject, or "" when the subject has none. */
  commonName: string;
  /** SPKI PEM ("BEGIN PUBLIC KEY") of the requested key. */
  publicKeyPem: string;
  keyType: KeyType;
}

/** Creates a PEM CSR with subject CN=commonName, signed by the given private key. */
export async function createCsr(options: CreateCsrOptions): Promise<string> {
  checkCommonName(options.commonName, "commonName");

  let keys: CryptoKeyPair;
  let keyType: KeyType;
  if (options.keyPair) {
    keys = options.keyPair;
    keyType = keyTypeOfCryptoKey(keys.privateKey);
  } else if (typeof options.keyPem === "string") {
    const imported = await importKeyPairPem(options.keyPem);
    keys = imported.keyPair;
    keyType = imported.keyType;
  } else {
    throw new PkiError("createCsr needs keyPem or keyPair; pass the member's private key");
  }

  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [options.commonName] }],
    keys,
    signingAlgorithm: signingAlgorithm(keyType),
  });
  return toPem(csr);
}

/** Parses a PEM CSR; throws CsrError when it is not one. */
export function parseCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  if (typeof csrPem !== "string" || !csrPem.includes("-----BEGIN CERTIFICATE REQUEST-----")) {
    throw new CsrError('CSR is not a PEM block; expected "-----BEGIN CERTIFICATE REQUEST-----"');
  }

  try {
    return new x509.Pkcs10CertificateRequest(csrPem.trim());
  } catch (error) {
    throw new CsrError(`CSR cannot be parsed as PKCS#10: ${(error as Error).message}`);
  }
}

/**
 * Verifies a PEM CSR: its signature must verify with its own key (proof of possession),
 * its signature algorithm must be SHA-256 or stronger, and its key must be one of the
 * supported key types. Throws CsrError naming the problem.
 */
export async function verifyCsr(csrPem: string): Promise<VerifiedCsr> {
  return (await checkCsr(csrPem)).verified;
}

/** Verifies a PEM CSR like verifyCsr and also returns its parsed public key, for issuance. */
export async function checkCsr(
  csrPem: string,
): Promise<{ verified: VerifiedCsr; publicKey: x509.PublicKey }> {
  const csr = parseCsr(csrPem);

  const algorithm = checkSignatureAlgorithm(csrSignatureOid(csr));
  if (!algorithm.acceptable) {
    throw new CsrError(`CSR is signed with ${algorithm.name}; create it again with SHA-256 or stronger`);
  }

  let publicKey: ReturnType<typeof createPublicKey>;
  try {
    publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: "der", type: "spki" });
  } catch (error) {
    throw new CsrError(`CSR public key cannot be parsed: ${(error as Error).message}`);
  }
  const classification = classifyKey(publicKey);
  if (!classification.ok) {
    throw new CsrError(`CSR carries ${classification.problem}; generate a P-256, P-384 or RSA-2048+ key`);
  }

  let signatureValid: boolean;
  try {
    signatureValid = await csr.verify();
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) {
    throw new CsrError(
      "CSR signature is invalid: the request was altered or not signed by its own key; create a new CSR",
    );
  }

  const verified: VerifiedCsr = {
    commonName: csr.subjectName.getField("CN")[0] ?? "",
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyType: classification.keyType,
  };
  return { verified, publicKey: csr.publicKey };
}
