// Public API of the PKI package: CA, CSR, leaf, CRL, CA import, renewal timing, key sealing.
// Everything here is pure apart from cryptography; nothing reads or writes files or sockets.
export { type CreateCaOptions, type CreatedCa, createCa } from "./ca";
export { verifyChain } from "./chain";
export { type CreateCrlOptions, createCrl, type RevocationReason, type RevokedCertificate } from "./crl";
export { type CreateCsrOptions, createCsr, type VerifiedCsr, verifyCsr } from "./csr";
export { CaImportError, CsrError, PkiError, SealError } from "./errors";
export { spkiHash } from "./fingerprint";
export { type ImportCaOptions, type ImportedCa, importCa } from "./import";
export { type CertificateInfo, certificateInfo, keyMatchesCertificate } from "./info";
export {
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  KEY_TYPES,
  type KeyType,
} from "./keys";
export { type IssuedLeaf, type IssueLeafOptions, issueLeaf, type LeafUsage } from "./leaf";
export { renewalDueAt } from "./renewal";
export { sealPrivateKey, unsealPrivateKey } from "./seal";
export { CLOCK_SKEW_BACKDATE_MS } from "./validity";
