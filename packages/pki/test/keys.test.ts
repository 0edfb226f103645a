import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  certificateInfo,
  createCa,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  issueLeaf,
  keyMatchesCertificate,
  PkiError,
  spkiHash,
  verifyChain,
} from "../src/index";
import { Workdir } from "./openssl";

const work = new Workdir();
afterAll(() => work.remove());

describe("private key PEM", () => {
  it.each(["ecdsa-p256", "ecdsa-p384", "rsa-2048"] as const)(
    "round-trips and passes openssl pkey -check (%s)",
    async (keyType) => {
      const keys = await generateKeyPair(keyType);
      const pem = await exportPrivateKeyPem(keys.privateKey);

      expect(pem.startsWith("-----BEGIN PRIVATE KEY-----\n")).toBe(true);
      const check = work.openssl(["pkey", "-check", "-noout"], pem);
      expect(check.status).toBe(0);
      expect(check.stdout).toContain("Key is valid");

      const imported = await importPrivateKeyPem(pem);
      expect(imported.keyType).toBe(keyType);
      expect(await exportPrivateKeyPem(imported.key)).toBe(pem);
    },
  );

  it.each([
    {
      args: ["ecparam", "-name", "prime256v1", "-genkey", "-noout"],
      header: "EC PRIVATE KEY",
      keyType: "ecdsa-p256",
    },
    { args: ["genrsa", "-traditional", "3072"], header: "RSA PRIVATE KEY", keyType: "rsa-3072" },
    {
      args: ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
      header: "PRIVATE KEY",
      keyType: "ecdsa-p384",
    },
  ])("imports openssl $header ($keyType)", async ({ args, header, keyType }) => {
    const pem = work.opensslOk(args);
    expect(pem).toContain(`-----BEGIN ${header}-----`);

    const imported = await importPrivateKeyPem(pem);

    expect(imported.keyType).toBe(keyType);
    const exported = await exportPrivateKeyPem(imported.key);
    expect(work.opensslOk(["pkey", "-pubout"], exported)).toBe(work.opensslOk(["pkey", "-pubout"], pem));
  });

  it.each([
    { args: ["genrsa", "1024"], message: "private key is an RSA-1024 key, which is weaker than RSA-2048" },
    {
      args: ["ecparam", "-name", "secp224r1", "-genkey", "-noout"],
      message: "curve secp224r1, which is weaker than P-256",
    },
    { args: ["genpkey", "-algorithm", "ed25519"], message: "a ed25519 key, which is not supported" },
    {
      args: [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-aes256",
        "-pass",
        "pass:secret",
      ],
      message: "encrypted with a passphrase",
    },
  ])("rejects $args.0 $args.1 $args.2", async ({ args, message }) => {
    const pem = work.opensslOk(args);
    await expect(importPrivateKeyPem(pem)).rejects.toThrow(PkiError);
    await expect(importPrivateKeyPem(pem)).rejects.toThrow(message);
  });

  it("rejects text that is not PEM", async () => {
    await expect(importPrivateKeyPem("secret")).rejects.toThrow(/not a PEM block/);
  });
});

describe("certificate helpers", () => {
  let ca: { certPem: string; keyPem: string };
  let otherCa: { certPem: string; keyPem: string };
  let leafPem: string;
  let leafKeyPem: string;

  beforeAll(async () => {
    ca = await createCa({ commonName: "Helpers CA" });
    otherCa = await createCa({ commonName: "Helpers CA" });
    const keys = await generateKeyPair("ecdsa-p256");
    leafKeyPem = await exportPrivateKeyPem(keys.privateKey);
    const leaf = await issueLeaf({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      csrPem: await createCsr({ keyPem: leafKeyPem, commonName: "web-1" }),
      commonName: "web-1",
      dnsNames: ["web-1.internal"],
      ipAddresses: ["10.2.0.1"],
      lifetimeDays: 30,
      usage: "tunnel",
    });
    leafPem = leaf.certPem;
  });

  it("reads certificate fields", () => {
    const info = certificateInfo(leafPem);
    const opensslSerial = work
      .opensslOk(["x509", "-noout", "-serial"], leafPem)
      .trim()
      .slice("serial=".length);

    expect(info.serial).toBe(opensslSerial.toLowerCase());
    expect(info.subject).toBe("CN=web-1");
    expect(info.issuer).toBe("CN=Helpers CA");
    expect(info.sans).toEqual(["DNS:web-1.internal", "IP:10.2.0.1"]);
    expect(info.isCa).toBe(false);
    expect(info.keyType).toBe("ecdsa-p256");
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBe(30 * 86_400_000 + 3_600_000);
    expect(certificateInfo(ca.certPem).isCa).toBe(true);
  });

  it("matches a key to its certificate", async () => {
    expect(await keyMatchesCertificate(leafKeyPem, leafPem)).toBe(true);
    expect(await keyMatchesCertificate(ca.keyPem, ca.certPem)).toBe(true);
    expect(await keyMatchesCertificate(ca.keyPem, leafPem)).toBe(false);
    expect(await keyMatchesCertificate(otherCa.keyPem, ca.certPem)).toBe(false);
  });

  it("verifies a chain", async () => {
    expect(await verifyChain(leafPem, [ca.certPem])).toBe(true);
    expect(await verifyChain(leafPem, [otherCa.certPem, ca.certPem])).toBe(true);
    expect(await verifyChain(leafPem, otherCa.certPem + ca.certPem)).toBe(true);
    expect(await verifyChain(leafPem, [otherCa.certPem])).toBe(false);
    expect(await verifyChain(leafPem, [leafPem])).toBe(false);
    expect(await verifyChain(leafPem, [ca.certPem], new Date(Date.now() + 60 * 86_400_000))).toBe(false);
  });

  it("computes the openssl SPKI hash", () => {
    work.opensslOk([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "rsa.key",
      "-out",
      "rsa.pem",
      "-subj",
      "/CN=rsa",
      "-days",
      "1",
    ]);
    work.write("ca.pem", ca.certPem);
    work.write("leaf.pem", leafPem);

    for (const name of ["ca.pem", "leaf.pem", "rsa.pem"]) {
      const pipeline = work.shell(
        `openssl x509 -in ${name} -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`,
      );
      const digest = pipeline.split(" ")[0];

      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      expect(spkiHash(work.read(name))).toBe(`sha256:${digest}`);
    }
    expect(spkiHash(ca.certPem)).not.toBe(spkiHash(otherCa.certPem));
  });

  it("rejects text that is not a certificate", () => {
    expect(() => certificateInfo("nope")).toThrow(/certPem contains no "-----BEGIN CERTIFICATE-----" block/);
    expect(() => spkiHash(ca.certPem + ca.certPem)).toThrow(
      /certPem contains 2 certificates; pass exactly one/,
    );
  });
});
