// Pinning hash of a CA's public key, used by agents when they join.
import { createHash } from "node:crypto";
import { certificateSpkiDer, parseCertificate } from "./parse";

/**
 * Returns "sha256:<hex>" of the certificate's DER SubjectPublicKeyInfo, the value of
 * `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`. It pins
 * the key, not the certificate, so it survives re-issuing the CA certificate with the same key.
 */
export function spkiHash(certPem: string): string {
  const certificate = parseCertificate(certPem, "certPem");
  return `sha256:${createHash("sha256").update(certificateSpkiDer(certificate)).digest("hex")}`;
}
