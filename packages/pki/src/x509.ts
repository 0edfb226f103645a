// Loads @peculiar/x509 with its prerequisites: reflect-metadata must be imported before the
// library, and the library signs and verifies through Node's WebCrypto.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// Typed loosely on purpose: the overloads of set() resolve differently with and without the
// DOM library, and workspaces that include it (the console) would pick the wrong one.
const provider: { set(crypto: unknown): void } = x509.cryptoProvider as never;
provider.set(webcrypto);

export { x509 };
export const subtle = webcrypto.subtle;

// WebCrypto types from Node's typings: the project compiles without the DOM library.
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type EcKeyImportParams = webcrypto.EcKeyImportParams;
export type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
export type EcdsaParams = webcrypto.EcdsaParams;
export type Algorithm = webcrypto.Algorithm;
export type EcKeyGenParams = webcrypto.EcKeyGenParams;
export type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
