// Password hashing with scrypt from node:crypto, a memory-hard KDF (RFC 7914).
// Stored form: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`, so the cost can be
// raised later without invalidating existing hashes.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Cost parameters: N = 2^15, r = 8, p = 1 uses 128 * N * r = 32 MiB per hash, the
 * interactive-login setting recommended by the scrypt paper's authors and OWASP.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// Node rejects scrypt calls whose memory exceeds maxmem (default 32 MiB); allow twice the need.
const MAX_MEMORY = 2 * 128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r;

/** Minimum password length accepted anywhere a password is set. */
export const MIN_PASSWORD_LENGTH = 12;

function deriveKey(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      salt,
      KEY_LENGTH,
      { N, r, p, maxmem: Math.max(MAX_MEMORY, 256 * N * r) },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const { N, r, p } = SCRYPT_PARAMS;
  const key = await deriveKey(password, salt, N, r, p);
  return ["scrypt", N, r, p, salt.toString("base64"), key.toString("base64")].join("$");
}

/** Returns true when `password` matches `stored`; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;

  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const salt = Buffer.from(parts[4]!, "base64");
  const expected = Buffer.from(parts[5]!, "base64");

  const actual = await deriveKey(password, salt, N, r, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash of a random password, compared against when the user does not exist so that a
 * login for an unknown name costs the same time as one for a known name.
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString("hex"));
  return dummyHash;
}
