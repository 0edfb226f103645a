// PKCS#10 certificate signing requests: creation on the member, verification on the control plane.

import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { CertificationRequest } from "@peculiar/asn1-csr";
import { AsnConvert } from "@peculiar/asn1-schema";
import { CsrError, PkiError } from "./errors";
import { classifyKey, importKeyPairPem, type KeyType, keyTypeOfCryptoKey, signingAlgorithm } from "./keys";
import { checkCommonName } from "./names";
import { checkSignatureAlgorithm, toPem } from "./parse";
import type { CryptoKeyPair } from "./x509";
import { x509 } from "./x509";

const CSR_BLOCK = /-----BEGIN CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE REQUEST-----/;

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

/** Decodes a PEM CSR into its ASN.1 structure; throws CsrError when it is not one. */
function parseCsr(csrPem: string): CertificationRequest {
  const match = typeof csrPem === "string" ? CSR_BLOCK.exec(csrPem) : null;
  if (!match) {
    throw new CsrError('CSR is not a PEM block; expected "-----BEGIN CERTIFICATE REQUEST-----"');
  }

  try {
    const request = AsnConvert.parse(Buffer.from(match[1]!, "base64"), CertificationRequest);
    if (!request.certificationRequestInfoRaw) throw new Error("the request has no certificationRequestInfo");
    return request;
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
  return checkCsr(csrPem).verified;
}

/**
 * Verifies a PEM CSR like verifyCsr and also returns the DER SubjectPublicKeyInfo, for
 * issuance. The signature is checked with node:crypto directly on the encoded
 * certificationRequestInfo, which is several times faster than a WebCrypto round trip.
 */
export function checkCsr(csrPem: string): { verified: VerifiedCsr; spki: Buffer } {
  const request = parseCsr(csrPem);

  const algorithm = checkSignatureAlgorithm(request.signatureAlgorithm.algorithm);
  if (!algorithm.acceptable) {
    throw new CsrError(`CSR is signed with ${algorithm.name}; create it again with SHA-256 or stronger`);
  }

  const spki = Buffer.from(AsnConvert.serialize(request.certificationRequestInfo.subjectPKInfo));
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spki, format: "der", type: "spki" });
  } catch (error) {
    throw new CsrError(`CSR public key cannot be parsed: ${(error as Error).message}`);
  }
  const classification = classifyKey(publicKey);
  if (!classification.ok) {
    throw new CsrError(`CSR carries ${classification.problem}; generate a P-256, P-384 or RSA-2048+ key`);
  }

  let signatureValid: boolean;
  try {
    const signedData = Buffer.from(request.certificationRequestInfoRaw!);
    signatureValid = verify(algorithm.hash, signedData, publicKey, Buffer.from(request.signature));
  } catch {
    signatureValid = false;
  }
  if (!signatureValid) {
    throw new CsrError(
      "CSR signature is invalid: the request was altered or not signed by its own key; create a new CSR",
    );
  }

  const subject = new x509.Name(AsnConvert.serialize(request.certificationRequestInfo.subject));
  const verified: VerifiedCsr = {
    commonName: subject.getField("CN")[0] ?? "",
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyType: classification.keyType,
  };
  return { verified, spki };
}
