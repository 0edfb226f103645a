import { afterAll, describe, expect, it } from "vitest";
import {
  CaImportError,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  type ImportCaOptions,
  importCa,
  issueLeaf,
  spkiHash,
} from "../src/index";
import { Workdir } from "./openssl";

const work = new Workdir();
afterAll(() => work.remove());

const DEFAULT_EXTENSIONS = [
  "basicConstraints = critical, CA:TRUE",
  "keyUsage = critical, keyCertSign, cRLSign",
  "subjectKeyIdentifier = hash",
];

interface OpensslCaOptions {
  /** Key arguments for `openssl req -newkey`. */
  newkey?: string[];
  digest?: string;
  extensions?: string[];
  days?: number;
}

let counter = 0;

function writeConfig(commonName: string, extensions: string[]): string {
  counter += 1;
  return work.write(
    `ca-${counter}.cnf`,
    [
      "[req]",
      "distinguished_name = dn",
      "prompt = no",
      "[dn]",
      `CN = ${commonName}`,
      "[ext]",
      ...extensions,
      "",
    ].join("\n"),
  );
}

/** Makes a self-signed CA with `openssl req -x509`. */
function opensslCa(commonName: string, options: OpensslCaOptions = {}): { certPem: string; keyPem: string } {
  const config = writeConfig(commonName, options.extensions ?? DEFAULT_EXTENSIONS);
  const name = `ca-${counter}`;
  work.opensslOk([
    "req",
    "-x509",
    "-config",
    config,
    "-extensions",
    "ext",
    ...(options.newkey ?? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
    `-${options.digest ?? "sha256"}`,
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    String(options.days ?? 3650),
  ]);
  return { certPem: work.read(`${name}.pem`), keyPem: work.read(`${name}.key`) };
}

/**
 * Makes a self-signed CA with fixed dates through `openssl ca -selfsign`, because
 * `openssl req -x509` in OpenSSL 3.0 cannot set a start date.
 */
function opensslCaWithDates(commonName: string, startDate: string, endDate: string) {
  const config = writeConfig(commonName, DEFAULT_EXTENSIONS);
  const name = `ca-${counter}`;
  const database = work.write(`${name}.index`, "");
  work.write(`${name}.serial`, "01\n");
  work.write(
    `${name}-signing.cnf`,
    [
      "[ca]",
      "default_ca = dated",
      "[dated]",
      `database = ${database}`,
      `new_certs_dir = ${work.path}`,
      `serial = ${work.file(`${name}.serial`)}`,
      "default_md = sha256",
      "policy = any",
      "unique_subject = no",
      "[any]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  work.opensslOk([
    "req",
    "-new",
    "-config",
    config,
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  ]);
  work.opensslOk([
    "ca",
    "-batch",
    "-config",
    `${name}-signing.cnf`,
    "-selfsign",
    "-keyfile",
    `${name}.key`,
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.pem`,
    "-startdate",
    startDate,
    "-enddate",
    endDate,
    "-extfile",
    config,
    "-extensions",
    "ext",
    "-notext",
  ]);
  return { certPem: work.read(`${name}.pem`), keyPem: work.read(`${name}.key`) };
}

/** Makes an intermediate CA signed by `root` with `openssl x509 -req`. */
function opensslIntermediate(root: { certPem: string; keyPem: string }, commonName: string) {
  const config = writeConfig(commonName, DEFAULT_EXTENSIONS);
  const name = `ca-${counter}`;
  const rootCert = work.write(`${name}-root.pem`, root.certPem);
  const rootKey = work.write(`${name}-root.key`, root.keyPem);
  work.opensslOk([
    "req",
    "-new",
    "-config",
    config,
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  ]);
  work.opensslOk([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    rootCert,
    "-CAkey",
    rootKey,
    "-CAcreateserial",
    "-days",
    "1000",
    "-sha256",
    "-extfile",
    config,
    "-extensions",
    "ext",
    "-out",
    `${name}.pem`,
  ]);
  return { certPem: work.read(`${name}.pem`), keyPem: work.read(`${name}.key`) };
}

/** Runs importCa, expects a CaImportError and returns its reasons. */
async function rejectionReasons(options: ImportCaOptions): Promise<string[]> {
  const error = await importCa(options).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CaImportError);
  return (error as CaImportError).reasons;
}

async function leafUnder(ca: { certPem: string; keyPem: string }): Promise<string> {
  const keys = await generateKeyPair("ecdsa-p256");
  const csrPem = await createCsr({
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    commonName: "node-1",
  });
  const leaf = await issueLeaf({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    csrPem,
    commonName: "node-1",
    ipAddresses: ["10.0.0.1"],
    lifetimeDays: 30,
    usage: "tunnel",
  });
  return leaf.certPem;
}

describe("importCa accepts", () => {
  it.each([
    {
      label: "ECDSA P-256",
      newkey: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
      keyType: "ecdsa-p256",
    },
    {
      label: "ECDSA P-384",
      newkey: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
      keyType: "ecdsa-p384",
    },
    { label: "RSA-2048", newkey: ["-newkey", "rsa:2048"], keyType: "rsa-2048" },
  ])("an openssl $label CA that then issues", async ({ newkey, keyType }) => {
    const ca = opensslCa(`Good ${keyType}`, { newkey });

    const imported = await importCa(ca);

    expect(imported.keyType).toBe(keyType);
    expect(imported.subject).toBe(`CN=Good ${keyType}`);
    expect(imported.warnings).toEqual([]);
    expect(imported.chainPem).toBe("");
    expect(imported.spkiHash).toBe(spkiHash(ca.certPem));
    expect(imported.keyPem).toContain("-----BEGIN PRIVATE KEY-----");

    const leafPem = await leafUnder(imported);
    const caFile = work.write(`imported-${keyType}.pem`, imported.certPem);
    const leafFile = work.write(`imported-leaf-${keyType}.pem`, leafPem);
    const verify = work.openssl(["verify", "-CAfile", caFile, leafFile]);
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
  });

  it("a PKCS#1 RSA key", async () => {
    const ca = opensslCa("Traditional", { newkey: ["-newkey", "rsa:2048"] });
    const traditional = work.opensslOk(["rsa", "-traditional"], ca.keyPem);
    expect(traditional).toContain("-----BEGIN RSA PRIVATE KEY-----");

    const imported = await importCa({ certPem: ca.certPem, keyPem: traditional });

    expect(imported.keyType).toBe("rsa-2048");
  });

  it("an intermediate followed by its root", async () => {
    const root = opensslCa("Chain Root");
    const intermediate = opensslIntermediate(root, "Chain Intermediate");

    const imported = await importCa({
      certPem: intermediate.certPem + root.certPem,
      keyPem: intermediate.keyPem,
    });

    expect(imported.subject).toBe("CN=Chain Intermediate");
    expect(imported.chainPem.trim()).toBe(root.certPem.trim());

    const leafFile = work.write("chain-leaf.pem", await leafUnder(imported));
    const rootFile = work.write("chain-root.pem", root.certPem);
    const untrusted = work.write("chain-untrusted.pem", imported.certPem);
    const verify = work.openssl(["verify", "-CAfile", rootFile, "-untrusted", untrusted, leafFile]);
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
  });

  it("a CA expiring within 90 days, with a warning", async () => {
    const ca = opensslCa("Soon", { days: 60 });

    const imported = await importCa(ca);

    expect(imported.warnings).toHaveLength(1);
    expect(imported.warnings[0]).toMatch(
      /^CA certificate "CN=Soon" expires on .*, in 5\d days; plan a CA rotation$/,
    );
  });
});

describe("importCa rejects", () => {
  it("an RSA-1024 CA", async () => {
    const ca = opensslCa("Weak CA", { newkey: ["-newkey", "rsa:1024"] });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toEqual([
      'CA certificate "CN=Weak CA" has an RSA-1024 key, which is weaker than RSA-2048; ' +
        "create a CA with an ECDSA P-256/P-384 or RSA-2048+ key",
    ]);
  });

  it("a P-224 CA", async () => {
    const ca = opensslCa("Small Curve", {
      newkey: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-224"],
    });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain(
      'CA certificate "CN=Small Curve" has an EC key on curve secp224r1, which is weaker than P-256',
    );
  });

  it("a SHA-1 signed CA", async () => {
    const ca = opensslCa("Old CA", { newkey: ["-newkey", "rsa:2048"], digest: "sha1" });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toEqual([
      'CA certificate "CN=Old CA" is signed with sha1WithRSAEncryption; re-issue it with SHA-256 or stronger',
    ]);
  });

  it("an MD5 signed CA", async () => {
    const ca = opensslCa("Older CA", { newkey: ["-newkey", "rsa:2048"], digest: "md5" });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toEqual([
      'CA certificate "CN=Older CA" is signed with md5WithRSAEncryption; re-issue it with SHA-256 or stronger',
    ]);
  });

  it("a key that does not match", async () => {
    const ca = opensslCa("Mismatch CA");
    const otherKey = work.opensslOk(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);

    const reasons = await rejectionReasons({ certPem: ca.certPem, keyPem: otherKey });

    expect(reasons).toEqual([
      'the private key does not match CA certificate "CN=Mismatch CA"; pass the key that belongs to this certificate',
    ]);
  });

  it("an expired CA ca by openssl ca", async () => {
    const ca = opensslCaWithDates("Expired CA", "20200101000000Z", "20210101000000Z");
    expect(work.opensslOk(["x509", "-noout", "-enddate"], ca.certPem)).toContain(
      "notAfter=Jan  1 00:00:00 2021 GMT",
    );

    const reasons = await rejectionReasons(ca);

    expect(reasons).toEqual([
      'CA certificate "CN=Expired CA" expired on 2021-01-01T00:00:00.000Z; import a current CA',
    ]);
  });

  it("a CA that is not valid yet", async () => {
    const ca = opensslCaWithDates("Future CA", "20400101000000Z", "20500101000000Z");

    const reasons = await rejectionReasons(ca);

    expect(reasons).toEqual([
      'CA certificate "CN=Future CA" is not valid until 2040-01-01T00:00:00.000Z; check the system clock or import it later',
    ]);
  });

  it("a CA expiring within 30 days", async () => {
    const ca = opensslCa("Ending CA", { days: 10 });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(
      /^CA certificate "CN=Ending CA" expires on .*, in (9|10) days, less than the required 30; renew the CA certificate before importing it$/,
    );
    const accepted = await importCa({ ...ca, minRemainingDays: 5 });
    expect(accepted.warnings).toHaveLength(1);
  });

  it("a certificate that is not CA:TRUE", async () => {
    const ca = opensslCa("Leaf Not CA", {
      extensions: ["basicConstraints = critical, CA:FALSE", "keyUsage = critical, digitalSignature"],
    });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toContain(
      'CA certificate "CN=Leaf Not CA" is not a CA: basicConstraints CA:TRUE is missing; import a CA certificate, not a leaf',
    );
    expect(reasons).toContain(
      'CA certificate "CN=Leaf Not CA" has a key usage without keyCertSign, so it may not sign certificates',
    );
  });

  it("a certificate without basicConstraints", async () => {
    const ca = opensslCa("No Constraints", { extensions: ["subjectKeyIdentifier = hash"] });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toEqual([
      'CA certificate "CN=No Constraints" is not a CA: basicConstraints CA:TRUE is missing; import a CA certificate, not a leaf',
    ]);
  });

  it("every problem at once", async () => {
    const ca = opensslCa("Bad CA", {
      newkey: ["-newkey", "rsa:1024"],
      digest: "sha1",
      extensions: ["basicConstraints = CA:FALSE"],
    });

    const reasons = await rejectionReasons(ca);

    expect(reasons).toHaveLength(3);
    expect(reasons.join("\n")).toContain("is not a CA");
    expect(reasons.join("\n")).toContain("RSA-1024");
    expect(reasons.join("\n")).toContain("sha1WithRSAEncryption");
  });

  it("a chain in root-first order", async () => {
    const root = opensslCa("Order Root");
    const intermediate = opensslIntermediate(root, "Order Intermediate");

    const reasons = await rejectionReasons({
      certPem: root.certPem + intermediate.certPem,
      keyPem: intermediate.keyPem,
    });

    expect(reasons).toEqual([
      'the private key does not match CA certificate "CN=Order Root"; it matches certificate 2 ' +
        '("CN=Order Intermediate"), so list that certificate first',
      "certPem lists the chain root-first; put the CA that signs leaves first, " +
        "followed by each issuer up to the root (leaf-first order)",
    ]);
  });

  it("a chain with an unrelated issuer", async () => {
    const root = opensslCa("Real Root");
    const stranger = opensslCa("Stranger Root");
    const intermediate = opensslIntermediate(root, "Lonely Intermediate");

    const reasons = await rejectionReasons({
      certPem: intermediate.certPem + stranger.certPem,
      keyPem: intermediate.keyPem,
    });

    expect(reasons).toEqual([
      'certificate 2 in certPem ("CN=Stranger Root") did not sign certificate 1 ("CN=Lonely Intermediate"); ' +
        "list the CA that signs leaves first, then each issuer in order up to the root",
    ]);
  });

  it("unparseable input", async () => {
    const ca = opensslCa("Parse CA");

    expect(await rejectionReasons({ certPem: "garbage", keyPem: ca.keyPem })).toEqual([
      'certPem contains no "-----BEGIN CERTIFICATE-----" block; pass the CA certificate as PEM',
    ]);

    const broken = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";
    const brokenReasons = await rejectionReasons({ certPem: broken, keyPem: "not a key" });
    expect(brokenReasons).toHaveLength(2);
    expect(brokenReasons[0]).toMatch(/^certificate 1 in certPem cannot be parsed: /);
    expect(brokenReasons[1]).toBe('keyPem is not a PEM block; expected "-----BEGIN PRIVATE KEY-----"');
  });

  it("an altered self-signed certificate", async () => {
    const ca = opensslCa("Altered CA");
    const der = Buffer.from(ca.certPem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    // Change the name in both issuer and subject, so the certificate stays self-issued.
    for (let at = der.indexOf("Altered CA"); at >= 0; at = der.indexOf("Altered CA", at + 1)) {
      der[at] = "B".charCodeAt(0);
    }
    const altered = `-----BEGIN CERTIFICATE-----\n${der
      .toString("base64")
      .match(/.{1,64}/g)!
      .join("\n")}\n-----END CERTIFICATE-----\n`;

    const reasons = await rejectionReasons({ certPem: altered, keyPem: ca.keyPem });

    expect(reasons.join("\n")).toContain("signature does not verify");
  });
});
