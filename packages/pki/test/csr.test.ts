import { afterAll, describe, expect, it } from "vitest";
import { CsrError, createCsr, exportPrivateKeyPem, generateKeyPair, verifyCsr } from "../src/index";
import { Workdir } from "./openssl";

const work = new Workdir();
afterAll(() => work.remove());

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
}

function derToPem(der: Buffer, label: string): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

describe("verifyCsr", () => {
  it.each([
    { newkey: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], keyType: "ecdsa-p256" },
    { newkey: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], keyType: "ecdsa-p384" },
    { newkey: ["-newkey", "rsa:2048"], keyType: "rsa-2048" },
  ])("accepts an openssl req CSR ($keyType)", async ({ newkey, keyType }) => {
    const csrPem = work.opensslOk([
      "req",
      "-new",
      ...newkey,
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      "/CN=node-7",
    ]);

    const verified = await verifyCsr(csrPem);

    expect(verified.commonName).toBe("node-7");
    expect(verified.keyType).toBe(keyType);
    const openssPublicKey = work.opensslOk(["req", "-noout", "-pubkey"], csrPem);
    expect(verified.publicKeyPem).toBe(openssPublicKey);
  });

  it("rejects a tampered CSR", async () => {
    const csrPem = work.opensslOk([
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      "/CN=node-7",
    ]);
    const der = pemToDer(csrPem);
    const at = der.indexOf(Buffer.from("node-7"));
    expect(at).toBeGreaterThan(0);
    der[at + 5] = "8".charCodeAt(0);
    const tampered = derToPem(der, "CERTIFICATE REQUEST");

    // OpenSSL 3.0 `req -verify` exits 0 either way and reports the result on stderr.
    const opensslCheck = work.openssl(["req", "-noout", "-verify"], tampered);
    expect(opensslCheck.stderr).toContain("self-signature verify failure");
    await expect(verifyCsr(tampered)).rejects.toThrow(CsrError);
    await expect(verifyCsr(tampered)).rejects.toThrow(/CSR signature is invalid/);
  });

  it("rejects an RSA-1024 CSR", async () => {
    const csrPem = work.opensslOk([
      "req",
      "-new",
      "-newkey",
      "rsa:1024",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      "/CN=weak",
    ]);
    await expect(verifyCsr(csrPem)).rejects.toThrow(
      "CSR carries an RSA-1024 key, which is weaker than RSA-2048; generate a P-256, P-384 or RSA-2048+ key",
    );
  });

  it("rejects a P-224 CSR", async () => {
    const csrPem = work.opensslOk([
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-224",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      "/CN=weak",
    ]);
    await expect(verifyCsr(csrPem)).rejects.toThrow(/curve secp224r1, which is weaker than P-256/);
  });

  it("rejects a SHA-1 signed CSR", async () => {
    const csrPem = work.opensslOk([
      "req",
      "-new",
      "-newkey",
      "rsa:2048",
      "-sha1",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      "/CN=old",
    ]);
    await expect(verifyCsr(csrPem)).rejects.toThrow("CSR is signed with sha1WithRSAEncryption");
  });

  it("rejects input that is not a CSR", async () => {
    await expect(verifyCsr("hello")).rejects.toThrow(/not a PEM block/);
    await expect(
      verifyCsr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
    ).rejects.toThrow(/cannot be parsed as PKCS#10/);
  });
});

describe("createCsr", () => {
  it.each(["ecdsa-p256", "rsa-2048"] as const)("passes openssl req -verify (%s)", async (keyType) => {
    const keys = await generateKeyPair(keyType);
    const keyPem = await exportPrivateKeyPem(keys.privateKey);

    const fromPem = await createCsr({ keyPem, commonName: "node-9" });
    const fromPair = await createCsr({ keyPair: keys, commonName: "node-9" });

    for (const csrPem of [fromPem, fromPair]) {
      const result = work.openssl(["req", "-noout", "-verify", "-subject"], csrPem);
      expect(result.status).toBe(0);
      expect(result.stderr).toContain("self-signature verify OK");
      expect(result.stdout).toContain("subject=CN = node-9");
      expect((await verifyCsr(csrPem)).keyType).toBe(keyType);
    }
  });

  it("signs with the key it was given", async () => {
    const keys = await generateKeyPair("ecdsa-p256");
    const keyPem = await exportPrivateKeyPem(keys.privateKey);
    const csrPem = await createCsr({ keyPem, commonName: "n" });

    const fromKey = work.opensslOk(["pkey", "-pubout"], keyPem);
    expect((await verifyCsr(csrPem)).publicKeyPem).toBe(fromKey);
  });
});
