// Error types of the PKI package. Every message names the value that failed and what to do next.

/** Invalid input to a PKI operation: a malformed PEM, a weak key, a bad SAN or lifetime. */
export class PkiError extends Error {
  override name = "PkiError";
}

/** A CSR that cannot be parsed, has a bad signature or carries a weak key. */
export class CsrError extends PkiError {
  override name = "CsrError";
}

/** A CA certificate and key rejected at import; `reasons` lists every problem found. */
export class CaImportError extends PkiError {
  override name = "CaImportError";
  readonly reasons: string[];

  constructor(reasons: string[]) {
    super(`CA import rejected: ${reasons.join("; ")}`);
    this.reasons = reasons;
  }
}

/** A sealed private key that cannot be opened: wrong master key, tampering or an unknown format. */
export class SealError extends PkiError {
  override name = "SealError";
}
