// At-rest encryption of private keys (the CA key in the database) under a master secret.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { SealError } from "./errors";

const VERSION_PREFIX = "v1:";

/** HKDF info label: keys derived for sealing never equal keys derived for other purposes. */
const HKDF_INFO = "tunnelfleet/pki/seal-private-key/v1";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MIN_MASTER_KEY_BYTES = 32;

function deriveKey(masterKey: Buffer): Buffer {
  if (!Buffer.isBuffer(masterKey) || masterKey.length < MIN_MASTER_KEY_BYTES) {
    const length = Buffer.isBuffer(masterKey) ? `${masterKey.length} bytes` : typeof masterKey;
    throw new SealError(`masterKey is ${length}; pass a Buffer of at least 32 random bytes`);
  }
  return Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), HKDF_INFO, 32));
}

/**
 * Encrypts a private key PEM with AES-256-GCM under a key derived from `masterKey` by
 * HKDF-SHA256, with a random 96-bit nonce. Output: "v1:" + base64(nonce || ciphertext || tag).
 * The version prefix is authenticated as associated data.
 */
export function sealPrivateKey(pem: string, masterKey: Buffer): string {
  if (typeof pem !== "string" || pem.length === 0) {
    throw new SealError("pem is empty; pass the private key PEM to seal");
  }

  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(masterKey), nonce);
  cipher.setAAD(Buffer.from(VERSION_PREFIX));
  const ciphertext = Buffer.concat([cipher.update(pem, "utf8"), cipher.final()]);

  return VERSION_PREFIX + Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString("base64");
}

/** Decrypts the output of sealPrivateKey; throws SealError on a wrong key, tampering or an unknown format. */
export function unsealPrivateKey(sealed: string, masterKey: Buffer): string {
  if (typeof sealed !== "string" || !sealed.startsWith(VERSION_PREFIX)) {
    const prefix = typeof sealed === "string" ? sealed.slice(0, 8) : typeof sealed;
    throw new SealError(
      `sealed key starts with "${prefix}", not "v1:"; it was not produced by sealPrivateKey`,
    );
  }

  const body = Buffer.from(sealed.slice(VERSION_PREFIX.length), "base64");
  if (body.length <= NONCE_BYTES + TAG_BYTES) {
    throw new SealError(`sealed key is ${body.length} bytes after base64 decoding; it is truncated`);
  }

  const key = deriveKey(masterKey);
  const nonce = body.subarray(0, NONCE_BYTES);
  const tag = body.subarray(body.length - TAG_BYTES);
  const ciphertext = body.subarray(NONCE_BYTES, body.length - TAG_BYTES);

  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(Buffer.from(VERSION_PREFIX));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    throw new SealError(
      "sealed key failed authentication: the master key is wrong or the sealed text was altered",
    );
  }
}
