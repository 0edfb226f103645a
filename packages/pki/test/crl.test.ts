import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCa,
  createCrl,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  issueLeaf,
  PkiError,
} from "../src/index";
import { Workdir } from "./openssl";

const work = new Workdir();
afterAll(() => work.remove());

async function leafFor(ca: { certPem: string; keyPem: string }, name: string) {
  const keys = await generateKeyPair("ecdsa-p256");
  const csrPem = await createCsr({ keyPem: await exportPrivateKeyPem(keys.privateKey), commonName: name });
  return issueLeaf({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    csrPem,
    commonName: name,
    ipAddresses: ["10.0.0.1"],
    lifetimeDays: 30,
    usage: "tunnel",
  });
}

describe.each(["ecdsa-p256", "rsa-2048"] as const)("createCrl with a %s CA", (keyType) => {
  let ca: { certPem: string; keyPem: string };
  let revoked: { certPem: string; serial: string };
  let valid: { certPem: string; serial: string };
  let crlPem: string;

  beforeAll(async () => {
    ca = await createCa({ commonName: `CRL CA ${keyType}`, keyType });
    revoked = await leafFor(ca, "revoked-node");
    valid = await leafFor(ca, "valid-node");
    crlPem = await createCrl({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      revoked: [
        { serial: revoked.serial, revokedAt: new Date("2026-11-01T00:00:00Z"), reason: "keyCompromise" },
      ],
      crlNumber: 42,
      nextUpdate: new Date(Date.now() + 7 * 24 * 60 * 60 * 1000),
    });
    work.write(`ca-${keyType}.pem`, ca.certPem);
    work.write(`crl-${keyType}.pem`, crlPem);
    work.write(`revoked-${keyType}.pem`, revoked.certPem);
    work.write(`valid-${keyType}.pem`, valid.certPem);
  });

  it("lists the revoked serial", () => {
    const text = work.opensslOk(["crl", "-in", `crl-${keyType}.pem`, "-noout", "-text"]);

    expect(text).toContain(`Serial Number: ${revoked.serial.toUpperCase()}`);
    expect(text).not.toContain(valid.serial.toUpperCase());
    expect(text).toContain("Key Compromise");
    expect(text).toMatch(/CRL Number: \n\s+42\n/);
    expect(text).toContain(`Issuer: CN = CRL CA ${keyType}`);
    expect(text).toContain("Revocation Date: Nov  1 00:00:00 2026 GMT");
  });

  it("verifies under the CA", () => {
    const result = work.openssl([
      "crl",
      "-in",
      `crl-${keyType}.pem`,
      "-noout",
      "-CAfile",
      `ca-${keyType}.pem`,
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("verify OK");
  });

  it("makes openssl reject the revoked leaf", () => {
    const args = ["verify", "-crl_check", "-CRLfile", `crl-${keyType}.pem`, "-CAfile", `ca-${keyType}.pem`];

    const revokedResult = work.openssl([...args, `revoked-${keyType}.pem`]);
    expect(revokedResult.status).not.toBe(0);
    expect(revokedResult.stdout + revokedResult.stderr).toContain("certificate revoked");

    const validResult = work.openssl([...args, `valid-${keyType}.pem`]);
    expect(validResult.stderr).toBe("");
    expect(validResult.status).toBe(0);
  });
});

describe("createCrl input", () => {
  let ca: { certPem: string; keyPem: string };
  beforeAll(async () => {
    ca = await createCa({ commonName: "CRL input CA" });
  });

  it("accepts an empty list", async () => {
    const crlPem = await createCrl({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      revoked: [],
      crlNumber: 1,
      nextUpdate: new Date(Date.now() + 60_000),
    });
    const text = work.opensslOk(["crl", "-noout", "-text"], crlPem);
    expect(text).toContain("No Revoked Certificates.");
  });

  it.each([
    [{ crlNumber: -1 }, /crlNumber is -1/],
    [{ crlNumber: 1.5 }, /crlNumber is 1.5/],
    [
      { nextUpdate: new Date("2000-01-01T00:00:00Z") },
      /nextUpdate 2000-01-01T00:00:00.000Z is not after thisUpdate/,
    ],
    [{ revoked: [{ serial: "zz", revokedAt: new Date() }] }, /revoked\[0\].serial is "zz"/],
    [
      { revoked: [{ serial: "01", revokedAt: new Date(), reason: "stolen" }] },
      /revoked\[0\].reason is "stolen"/,
    ],
  ])("rejects %o", async (override, message) => {
    const options = {
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      revoked: [],
      crlNumber: 1,
      nextUpdate: new Date(Date.now() + 60_000),
      ...override,
    } as Parameters<typeof createCrl>[0];
    await expect(createCrl(options)).rejects.toThrow(PkiError);
    await expect(createCrl(options)).rejects.toThrow(message);
  });
});
