// Random bearer secrets (session cookies, API tokens, join tokens) and their stored form.
// Only the SHA-256 of a secret is stored: the secrets have 256 bits of entropy, so a
// fast hash is enough and lets a lookup go straight to the unique index.
import { createHash, randomBytes } from "node:crypto";

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Returns a URL-safe secret of 32 random bytes, with an optional readable prefix such as `tfa_`. */
export function generateSecret(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}
