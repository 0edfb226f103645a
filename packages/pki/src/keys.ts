// Key pairs: generation, PKCS#8 PEM export and import, and the classification of a key into
// one of the supported key types (weak or exotic keys are rejected with the reason).
import { createPrivateKey, createPublicKey, KeyObject } from "node:crypto";
import { PkiError } from "./errors";
import type {
  Algorithm,
  CryptoKey,
  CryptoKeyPair,
  EcdsaParams,
  EcKeyGenParams,
  EcKeyImportParams,
  RsaHashedImportParams,
  RsaHashedKeyGenParams,
} from "./x509";
import { subtle } from "./x509";

/** Key algorithms a cluster policy may choose; the same strings as the mesh model's KeyType. */
export type KeyType = "ecdsa-p256" | "ecdsa-p384" | "rsa-2048" | "rsa-3072" | "rsa-4096";

export const KEY_TYPES: readonly KeyType[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"];

/** Result of checking a key against the supported key types. */
export type KeyClassification = { ok: true; keyType: KeyType } | { ok: false; problem: string };

/** Hash used with each key type: the hash strength matches the key strength. */
const HASH_BY_KEY_TYPE: Record<KeyType, "SHA-256" | "SHA-384"> = {
  "ecdsa-p256": "SHA-256",
  "ecdsa-p384": "SHA-384",
  "rsa-2048": "SHA-256",
  "rsa-3072": "SHA-256",
  "rsa-4096": "SHA-384",
};

/** EC curves weaker than P-256, by OpenSSL curve name. */
const WEAK_CURVES = new Set([
  "prime192v1",
  "prime192v2",
  "prime192v3",
  "prime239v1",
  "prime239v2",
  "prime239v3",
  "secp112r1",
  "secp112r2",
  "secp128r1",
  "secp128r2",
  "secp160k1",
  "secp160r1",
  "secp160r2",
  "secp192k1",
  "secp224k1",
  "secp224r1",
]);

export function hashForKeyType(keyType: KeyType): "SHA-256" | "SHA-384" {
  return HASH_BY_KEY_TYPE[keyType];
}

/** Returns the WebCrypto algorithm for importing or generating a key of this type. */
export function keyAlgorithm(keyType: KeyType): EcKeyImportParams | RsaHashedImportParams {
  switch (keyType) {
    case "ecdsa-p256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "ecdsa-p384":
      return { name: "ECDSA", namedCurve: "P-384" };
    default:
      return { name: "RSASSA-PKCS1-v1_5", hash: HASH_BY_KEY_TYPE[keyType] };
  }
}

/** Returns the WebCrypto signature algorithm used with a private key of this type. */
export function signingAlgorithm(keyType: KeyType): EcdsaParams | Algorithm {
  if (keyType.startsWith("ecdsa")) {
    return { name: "ECDSA", hash: HASH_BY_KEY_TYPE[keyType] } as EcdsaParams;
  }
  return { name: "RSASSA-PKCS1-v1_5" };
}

/** Classifies a Node key object (public or private) into a supported key type. */
export function classifyKey(key: KeyObject): KeyClassification {
  const details = key.asymmetricKeyDetails ?? {};

  if (key.asymmetricKeyType === "ec") {
    const curve = details.namedCurve ?? "unknown";
    if (curve === "prime256v1") return { ok: true, keyType: "ecdsa-p256" };
    if (curve === "secp384r1") return { ok: true, keyType: "ecdsa-p384" };
    if (WEAK_CURVES.has(curve)) {
      return { ok: false, problem: `an EC key on curve ${curve}, which is weaker than P-256` };
    }
    return { ok: false, problem: `an EC key on curve ${curve}, which is not supported (use P-256 or P-384)` };
  }

  if (key.asymmetricKeyType === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (bits === 2048 || bits === 3072 || bits === 4096) return { ok: true, keyType: `rsa-${bits}` };
    if (bits < 2048) return { ok: false, problem: `an RSA-${bits} key, which is weaker than RSA-2048` };
    return { ok: false, problem: `an RSA-${bits} key, which is not supported (use 2048, 3072 or 4096 bits)` };
  }

  return {
    ok: false,
    problem: `a ${key.asymmetricKeyType ?? "symmetric"} key, which is not supported (use ECDSA P-256/P-384 or RSA)`,
  };
}

/** Classifies a WebCrypto key by its algorithm; throws PkiError for an unsupported key. */
export function keyTypeOfCryptoKey(key: CryptoKey): KeyType {
  const classification = classifyKey(KeyObject.from(key));
  if (!classification.ok) {
    throw new PkiError(`the key is ${classification.problem}`);
  }
  return classification.keyType;
}

/** Generates an extractable key pair of the given type through WebCrypto. */
export async function generateKeyPair(keyType: KeyType): Promise<CryptoKeyPair> {
  if (!KEY_TYPES.includes(keyType)) {
    throw new PkiError(`keyType "${keyType}" is not supported; use one of ${KEY_TYPES.join(", ")}`);
  }

  const algorithm = keyAlgorithm(keyType);
  if (algorithm.name === "ECDSA") {
    return subtle.generateKey(algorithm as EcKeyGenParams, true, ["sign", "verify"]);
  }

  const modulusLength = Number(keyType.slice("rsa-".length));
  const params: RsaHashedKeyGenParams = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: hashForKeyType(keyType),
  };
  return subtle.generateKey(params, true, ["sign", "verify"]);
}

/** Exports a private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"); the key must be extractable. */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  if (key.type !== "private") {
    throw new PkiError(`exportPrivateKeyPem expects a private key, got a ${key.type} key`);
  }
  return KeyObject.from(key).export({ type: "pkcs8", format: "pem" }).toString();
}

/** Parses a private key PEM (PKCS#8, SEC1 or PKCS#1) into a Node key object. */
export function parsePrivateKeyPem(pem: string, label = "private key"): KeyObject {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) {
    throw new PkiError(`${label} is not a PEM block; expected "-----BEGIN PRIVATE KEY-----"`);
  }
  if (pem.includes("ENCRYPTED")) {
    throw new PkiError(
      `${label} is encrypted with a passphrase; decrypt it first (openssl pkey -in key.pem)`,
    );
  }

  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw new PkiError(`${label} cannot be parsed: ${(error as Error).message}`);
  }
}

/** Imports a KeyObject private key into WebCrypto for signing. */
async function importKeyObject(key: KeyObject, keyType: KeyType): Promise<CryptoKey> {
  const der = key.export({ type: "pkcs8", format: "der" });
  return subtle.importKey("pkcs8", der, keyAlgorithm(keyType), true, ["sign"]);
}

/**
 * Imports a private key PEM for signing and reports its key type. Accepts PKCS#8, SEC1
 * ("EC PRIVATE KEY") and PKCS#1 ("RSA PRIVATE KEY") encodings; rejects encrypted, weak
 * and unsupported keys with PkiError.
 */
export async function importPrivateKeyPem(pem: string): Promise<{ key: CryptoKey; keyType: KeyType }> {
  const keyObject = parsePrivateKeyPem(pem);

  const classification = classifyKey(keyObject);
  if (!classification.ok) {
    throw new PkiError(`private key is ${classification.problem}`);
  }

  const key = await importKeyObject(keyObject, classification.keyType);
  return { key, keyType: classification.keyType };
}

/** Imports a private key PEM as a WebCrypto key pair, deriving the public half from the private key. */
export async function importKeyPairPem(pem: string): Promise<{ keyPair: CryptoKeyPair; keyType: KeyType }> {
  const { key: privateKey, keyType } = await importPrivateKeyPem(pem);

  const spki = createPublicKey(KeyObject.from(privateKey)).export({ type: "spki", format: "der" });
  const publicKey = await subtle.importKey("spki", spki, keyAlgorithm(keyType), true, ["verify"]);
  return { keyPair: { privateKey, publicKey }, keyType };
}

/** Returns the DER SubjectPublicKeyInfo of the public half of a private key. */
export function publicKeyDerOfPrivateKey(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: "spki", format: "der" });
}
