import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLOCK_SKEW_BACKDATE_MS,
  certificateInfo,
  createCa,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  issueLeaf,
  KEY_TYPES,
  type KeyType,
  PkiError,
} from "../src/index";
import { Workdir } from "./openssl";

const DAY_MS = 24 * 60 * 60 * 1000;

async function memberCsr(keyType: KeyType, commonName: string): Promise<string> {
  const keys = await generateKeyPair(keyType);
  return createCsr({ keyPem: await exportPrivateKeyPem(keys.privateKey), commonName });
}

describe("issueLeaf", () => {
  const work = new Workdir();
  let ca: { certPem: string; keyPem: string };

  beforeAll(async () => {
    ca = await createCa({ commonName: "Leaf Test CA" });
    work.write("ca.pem", ca.certPem);
  });

  afterAll(() => work.remove());

  describe.each(KEY_TYPES)("key type %s", (keyType) => {
    it("passes openssl verify", async () => {
      const keyCa = await createCa({ commonName: `CA ${keyType}`, keyType });
      const leaf = await issueLeaf({
        caCertPem: keyCa.certPem,
        caKeyPem: keyCa.keyPem,
        csrPem: await memberCsr(keyType, "node-1"),
        commonName: "node-1",
        dnsNames: ["node-1.example"],
        ipAddresses: ["10.0.0.1"],
        lifetimeDays: 30,
        usage: "tunnel",
      });
      const caFile = work.write(`ca-${keyType}.pem`, keyCa.certPem);
      const leafFile = work.write(`leaf-${keyType}.pem`, leaf.certPem);

      const verify = work.openssl(["verify", "-CAfile", caFile, leafFile]);
      expect(verify.stderr).toBe("");
      expect(verify.status).toBe(0);

      const caText = work.opensslOk(["x509", "-in", caFile, "-noout", "-text"]);
      expect(caText).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(caText).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
      const expectedHash = keyType === "ecdsa-p384" || keyType === "rsa-4096" ? "384" : "256";
      expect(caText).toContain(
        `Signature Algorithm: ${keyType.startsWith("ecdsa") ? "ecdsa-with-SHA" : "sha"}${expectedHash}`,
      );

      expect(certificateInfo(leaf.certPem).keyType).toBe(keyType);
    });
  });

  it("fails openssl verify under another CA", async () => {
    const other = await createCa({ commonName: "Leaf Test CA" });
    const leaf = await issueLeaf({
      caCertPem: other.certPem,
      caKeyPem: other.keyPem,
      csrPem: await memberCsr("ecdsa-p256", "node-x"),
      commonName: "node-x",
      ipAddresses: ["10.0.0.9"],
      lifetimeDays: 30,
      usage: "tunnel",
    });
    const leafFile = work.write("foreign-leaf.pem", leaf.certPem);

    const verify = work.openssl(["verify", "-CAfile", work.file("ca.pem"), leafFile]);
    expect(verify.status).not.toBe(0);
    expect(verify.stdout + verify.stderr).toMatch(/signature failure|unable to get local issuer/);
  });

  describe("SANs and extensions", () => {
    let leafFile: string;
    let leafText: string;

    beforeAll(async () => {
      const leaf = await issueLeaf({
        caCertPem: ca.certPem,
        caKeyPem: ca.keyPem,
        csrPem: await memberCsr("ecdsa-p256", "ignored-by-issuer"),
        commonName: "db-2",
        dnsNames: ["db-2.cluster.internal", "DB-2"],
        ipAddresses: ["192.168.10.2", "fd00::2"],
        lifetimeDays: 30,
        usage: "tunnel",
      });
      leafFile = work.write("san-leaf.pem", leaf.certPem);
      leafText = work.opensslOk(["x509", "-in", leafFile, "-noout", "-text"]);
    });

    it.each(["192.168.10.2", "fd00::2"])("matches IP SAN %s", (ip) => {
      const output = work.opensslOk(["x509", "-in", leafFile, "-noout", "-checkip", ip]);
      expect(output).toContain("does match certificate");
    });

    it.each(["192.168.10.3", "10.0.0.1", "fd00::3"])("rejects other IP %s", (ip) => {
      const output = work.opensslOk(["x509", "-in", leafFile, "-noout", "-checkip", ip]);
      expect(output).toContain("does NOT match certificate");
    });

    it.each(["db-2.cluster.internal", "db-2"])("matches DNS SAN %s", (host) => {
      const output = work.opensslOk(["x509", "-in", leafFile, "-noout", "-checkhost", host]);
      expect(output).toContain("does match certificate");
    });

    it.each(["db-3.cluster.internal", "cluster.internal", "ignored-by-issuer"])(
      "rejects other host %s",
      (host) => {
        const output = work.opensslOk(["x509", "-in", leafFile, "-noout", "-checkhost", host]);
        expect(output).toContain("does NOT match certificate");
      },
    );

    it("carries CA:FALSE and digitalSignature", () => {
      expect(leafText).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
      expect(leafText).toMatch(/Key Usage: critical\s+Digital Signature\n/);
      expect(leafText).toContain("Signature Algorithm: ecdsa-with-SHA256");
      expect(leafText).toContain("Subject: CN = db-2");
      expect(leafText).toContain("X509v3 Subject Key Identifier");
      expect(leafText).toContain("X509v3 Authority Key Identifier");
    });

    it("uses a 128-bit serial", () => {
      const serial = work.opensslOk(["x509", "-in", leafFile, "-noout", "-serial"]).trim();
      expect(serial).toMatch(/^serial=[0-9A-F]+$/);
      expect(serial.length - "serial=".length).toBeGreaterThanOrEqual(28);
      expect(serial.length - "serial=".length).toBeLessThanOrEqual(32);
    });
  });

  describe.each([
    {
      usage: "tunnel" as const,
      server: true,
      client: true,
      eku: "TLS Web Server Authentication, TLS Web Client Authentication",
    },
    { usage: "agent" as const, server: false, client: true, eku: "TLS Web Client Authentication" },
    { usage: "server" as const, server: true, client: false, eku: "TLS Web Server Authentication" },
  ])("usage $usage", ({ usage, server, client, eku }) => {
    it("has the expected EKU and purposes", async () => {
      const leaf = await issueLeaf({
        caCertPem: ca.certPem,
        caKeyPem: ca.keyPem,
        csrPem: await memberCsr("ecdsa-p256", "member"),
        commonName: "member",
        dnsNames: ["member"],
        ipAddresses: ["10.1.0.1"],
        lifetimeDays: 30,
        usage,
      });
      const leafFile = work.write(`usage-${usage}.pem`, leaf.certPem);

      const text = work.opensslOk(["x509", "-in", leafFile, "-noout", "-text"]);
      expect(text).toMatch(new RegExp(`Extended Key Usage: \\n\\s+${eku}\\n`));

      const asServer = work.openssl([
        "verify",
        "-purpose",
        "sslserver",
        "-CAfile",
        work.file("ca.pem"),
        leafFile,
      ]);
      expect(asServer.status === 0).toBe(server);
      const asClient = work.openssl([
        "verify",
        "-purpose",
        "sslclient",
        "-CAfile",
        work.file("ca.pem"),
        leafFile,
      ]);
      expect(asClient.status === 0).toBe(client);
    });
  });

  it("backdates notBefore and sets notAfter", async () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const historicCa = await createCa({ commonName: "Historic CA", now: new Date("2026-01-01T00:00:00Z") });
    const leaf = await issueLeaf({
      caCertPem: historicCa.certPem,
      caKeyPem: historicCa.keyPem,
      csrPem: await memberCsr("ecdsa-p256", "n"),
      commonName: "n",
      ipAddresses: ["10.0.0.5"],
      lifetimeDays: 30,
      usage: "tunnel",
      now,
      serial: "0A:BC:DE",
    });

    expect(leaf.notBefore.toISOString()).toBe(new Date(now.getTime() - CLOCK_SKEW_BACKDATE_MS).toISOString());
    expect(leaf.notAfter.toISOString()).toBe(new Date(now.getTime() + 30 * DAY_MS).toISOString());
    expect(leaf.serial).toBe("0abcde");

    const dates = work.opensslOk(["x509", "-noout", "-startdate", "-enddate", "-serial"], leaf.certPem);
    expect(dates).toContain("notBefore=Jun  1 11:00:00 2026 GMT");
    expect(dates).toContain("notAfter=Jul  1 12:00:00 2026 GMT");
    expect(dates).toContain("serial=0ABCDE");
  });

  it("caps notAfter at the CA's notAfter", async () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const shortCa = await createCa({ commonName: "Short CA", lifetimeDays: 10, now });
    const leaf = await issueLeaf({
      caCertPem: shortCa.certPem,
      caKeyPem: shortCa.keyPem,
      csrPem: await memberCsr("ecdsa-p256", "n"),
      commonName: "n",
      ipAddresses: ["10.0.0.5"],
      lifetimeDays: 30,
      usage: "tunnel",
      now,
    });

    expect(leaf.notAfter.toISOString()).toBe("2026-06-11T00:00:00.000Z");
  });

  it.each([
    [{ ipAddresses: [] }, /ipAddresses is empty; a tunnel leaf needs an IP SAN/],
    [{ ipAddresses: ["10.0.0.256"] }, /ipAddresses\[0\] is "10.0.0.256", not an IPv4 or IPv6 address/],
    [{ dnsNames: ["bad_name.example"] }, /dnsNames\[0\] is "bad_name.example", not a valid DNS name/],
    [{ dnsNames: ["-lead.example"] }, /dnsNames\[0\]/],
    [{ lifetimeDays: 0 }, /lifetimeDays is 0/],
    [{ lifetimeDays: 5000 }, /lifetimeDays is 5000/],
    [{ commonName: "" }, /commonName is missing/],
    [{ commonName: "x".repeat(65) }, /is 65 characters long/],
    [{ usage: "peer" }, /usage is "peer"/],
    [{ usage: "toString" }, /usage is "toString"/],
    [{ serial: "xyz" }, /serial is "xyz"/],
    [{ csrPem: "not a csr" }, /CSR is not a PEM block/],
  ])("rejects bad input %o", async (override, message) => {
    const options = {
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      csrPem: await memberCsr("ecdsa-p256", "n"),
      commonName: "n",
      ipAddresses: ["10.0.0.5"],
      lifetimeDays: 30,
      usage: "tunnel" as const,
      ...override,
    } as Parameters<typeof issueLeaf>[0];

    await expect(issueLeaf(options)).rejects.toThrow(PkiError);
    await expect(issueLeaf(options)).rejects.toThrow(message);
  });

  it("rejects a CA key that does not match", async () => {
    const other = await createCa({ commonName: "Other" });
    await expect(
      issueLeaf({
        caCertPem: ca.certPem,
        caKeyPem: other.keyPem,
        csrPem: await memberCsr("ecdsa-p256", "n"),
        commonName: "n",
        ipAddresses: ["10.0.0.5"],
        lifetimeDays: 30,
        usage: "tunnel",
      }),
    ).rejects.toThrow('caKeyPem does not match the public key of CA certificate "CN=Leaf Test CA"');
  });

  it("rejects a leaf as the CA", async () => {
    const leaf = await issueLeaf({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      csrPem: await memberCsr("ecdsa-p256", "n"),
      commonName: "n",
      ipAddresses: ["10.0.0.5"],
      lifetimeDays: 30,
      usage: "tunnel",
    });
    await expect(
      issueLeaf({
        caCertPem: leaf.certPem,
        caKeyPem: ca.keyPem,
        csrPem: await memberCsr("ecdsa-p256", "n"),
        commonName: "n",
        ipAddresses: ["10.0.0.5"],
        lifetimeDays: 30,
        usage: "tunnel",
      }),
    ).rejects.toThrow('caCertPem "CN=n" is not a CA certificate');
  });

  it("rejects issuance after the CA expired", async () => {
    const oldCa = await createCa({
      commonName: "Old",
      lifetimeDays: 10,
      now: new Date("2020-01-01T00:00:00Z"),
    });
    await expect(
      issueLeaf({
        caCertPem: oldCa.certPem,
        caKeyPem: oldCa.keyPem,
        csrPem: await memberCsr("ecdsa-p256", "n"),
        commonName: "n",
        ipAddresses: ["10.0.0.5"],
        lifetimeDays: 30,
        usage: "tunnel",
      }),
    ).rejects.toThrow(/CA certificate "CN=Old" is not valid at .*; rotate the CA/);
  });
});
