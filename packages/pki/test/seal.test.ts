import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCa, SealError, sealPrivateKey, unsealPrivateKey } from "../src/index";

const masterKey = randomBytes(32);

describe("sealPrivateKey", () => {
  it("round-trips a CA key", async () => {
    const { keyPem } = await createCa({ commonName: "Seal CA" });

    const sealed = sealPrivateKey(keyPem, masterKey);

    expect(sealed.startsWith("v1:")).toBe(true);
    expect(sealed).not.toContain("PRIVATE KEY");
    expect(unsealPrivateKey(sealed, masterKey)).toBe(keyPem);
  });

  it("uses a fresh nonce each time", () => {
    const first = sealPrivateKey("pem", masterKey);
    const second = sealPrivateKey("pem", masterKey);

    expect(first).not.toBe(second);
    expect(Buffer.from(first.slice(3), "base64").subarray(0, 12)).not.toEqual(
      Buffer.from(second.slice(3), "base64").subarray(0, 12),
    );
  });

  it("rejects a wrong master key", () => {
    const sealed = sealPrivateKey("-----BEGIN PRIVATE KEY-----\n", masterKey);

    expect(() => unsealPrivateKey(sealed, randomBytes(32))).toThrow(SealError);
    expect(() => unsealPrivateKey(sealed, randomBytes(32))).toThrow(
      /master key is wrong or the sealed text was altered/,
    );
  });

  it("rejects tampered ciphertext", () => {
    const sealed = sealPrivateKey("-----BEGIN PRIVATE KEY-----\nabc\n", masterKey);
    const body = Buffer.from(sealed.slice(3), "base64");

    for (const position of [0, 14, body.length - 1]) {
      const altered = Buffer.from(body);
      altered[position]! ^= 0x01;
      expect(() => unsealPrivateKey(`v1:${altered.toString("base64")}`, masterKey)).toThrow(SealError);
    }
  });

  it("rejects unknown formats", () => {
    expect(() => unsealPrivateKey("v2:AAAA", masterKey)).toThrow(/starts with "v2:AAAA", not "v1:"/);
    expect(() => unsealPrivateKey("v1:AAAA", masterKey)).toThrow(/it is truncated/);
    expect(() => unsealPrivateKey("-----BEGIN PRIVATE KEY-----", masterKey)).toThrow(SealError);
  });

  it("rejects a short master key", () => {
    expect(() => sealPrivateKey("pem", randomBytes(16))).toThrow(
      "masterKey is 16 bytes; pass a Buffer of at least 32 random bytes",
    );
  });
});
