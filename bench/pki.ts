// Leaf issuance rate: @tunnelfleet/pki in-process versus one `openssl x509 -req` process per
// certificate, for ECDSA P-256 and RSA-2048 CAs. Prints figures and ratios; never fails on timing.
// Budget: in-process ECDSA issuance at least 5x the openssl CLI rate.
// Run: npx tsx bench/pki.ts [leaves] [openssl runs]   (defaults 200 and 50, at least 10 each)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createCa,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  issueLeaf,
  type KeyType,
  verifyChain,
} from "@tunnelfleet/pki";

const LEAVES = Number(process.argv[2] ?? 200);
const OPENSSL_RUNS = Number(process.argv[3] ?? 50);
/** Slices each side is cut into; LEAVES and OPENSSL_RUNS are rounded down to multiples of it. */
const ROUNDS = 10;
const WARM_UP_LEAVES = 50;
const ECDSA_BUDGET_RATIO = 5;

const EXTENSIONS = [
  "basicConstraints = critical, CA:FALSE",
  "keyUsage = critical, digitalSignature",
  "extendedKeyUsage = serverAuth, clientAuth",
  "subjectKeyIdentifier = hash",
  "authorityKeyIdentifier = keyid",
  "subjectAltName = DNS:node-1, IP:10.0.0.1",
  "",
].join("\n");

interface Rates {
  inProcess: number;
  openssl: number;
}

async function measure(keyType: KeyType, workdir: string): Promise<Rates> {
  const ca = await createCa({ commonName: `Bench CA ${keyType}`, keyType });
  const member = await generateKeyPair(keyType);
  const csrPem = await createCsr({
    keyPem: await exportPrivateKeyPem(member.privateKey),
    commonName: "node-1",
  });
  const options = {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    csrPem,
    commonName: "node-1",
    dnsNames: ["node-1"],
    ipAddresses: ["10.0.0.1"],
    lifetimeDays: 30,
    usage: "tunnel" as const,
  };

  const first = await issueLeaf(options);
  if (!(await verifyChain(first.certPem, [ca.certPem]))) throw new Error("in-process leaf does not verify");

  // Untimed issuances load the CA (parsed once and memoized, as in the control plane) and let
  // the JIT compile the issuance path, as it is in a long-running console process.
  for (let index = 0; index < WARM_UP_LEAVES; index++) await issueLeaf(options);

  const caCert = join(workdir, `${keyType}-ca.pem`);
  const caKey = join(workdir, `${keyType}-ca.key`);
  const csr = join(workdir, `${keyType}.csr`);
  const extfile = join(workdir, "leaf.cnf");
  writeFileSync(caCert, ca.certPem);
  writeFileSync(caKey, ca.keyPem, { mode: 0o600 });
  writeFileSync(csr, csrPem);
  writeFileSync(extfile, EXTENSIONS);
  const opensslArgs = (serial: number) => [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    caCert,
    "-CAkey",
    caKey,
    "-set_serial",
    `0x${serial.toString(16)}`,
    "-days",
    "30",
    "-sha256",
    "-extfile",
    extfile,
    "-out",
    join(workdir, `${keyType}-leaf.pem`),
  ];

  // Both sides run in alternating slices, so load from other processes on a shared machine
  // falls on both about equally.
  const leavesPerRound = Math.max(1, Math.floor(LEAVES / ROUNDS));
  const opensslRunsPerRound = Math.max(1, Math.floor(OPENSSL_RUNS / ROUNDS));
  let inProcessSeconds = 0;
  let opensslSeconds = 0;
  let opensslSerial = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let index = 0; index < leavesPerRound; index++) await issueLeaf(options);
    inProcessSeconds += (performance.now() - started) / 1000;

    const opensslStarted = performance.now();
    for (let index = 0; index < opensslRunsPerRound; index++) {
      opensslSerial += 1;
      const result = spawnSync("openssl", opensslArgs(opensslSerial), { encoding: "utf8", timeout: 60_000 });
      if (result.status !== 0) throw new Error(`openssl x509 -req failed: ${result.stderr}`);
    }
    opensslSeconds += (performance.now() - opensslStarted) / 1000;
  }

  return { inProcess: (leavesPerRound * ROUNDS) / inProcessSeconds, openssl: opensslSerial / opensslSeconds };
}

async function main(): Promise<void> {
  const workdir = mkdtempSync(join(tmpdir(), "tunnelfleet-bench-pki-"));
  try {
    console.log(
      `leaf issuance: ${LEAVES} leaves in-process (sequential, after ${WARM_UP_LEAVES} warm-up) and ${OPENSSL_RUNS} openssl x509 -req processes, in ${ROUNDS} alternating slices`,
    );
    console.log("key type     in-process leaves/s   openssl CLI leaves/s   ratio");

    const results = new Map<KeyType, Rates>();
    for (const keyType of ["ecdsa-p256", "rsa-2048"] as const) {
      const rates = await measure(keyType, workdir);
      results.set(keyType, rates);
      const ratio = rates.inProcess / rates.openssl;
      console.log(
        `${keyType.padEnd(12)} ${rates.inProcess.toFixed(1).padStart(19)}   ${rates.openssl.toFixed(1).padStart(20)}   ${ratio.toFixed(1).padStart(5)}x`,
      );
    }

    const ecdsa = results.get("ecdsa-p256")!;
    const ecdsaRatio = ecdsa.inProcess / ecdsa.openssl;
    const verdict = ecdsaRatio >= ECDSA_BUDGET_RATIO ? "met" : "NOT met";
    console.log(
      `budget: ECDSA in-process >= ${ECDSA_BUDGET_RATIO}x openssl CLI: ${verdict} (${ecdsaRatio.toFixed(1)}x)`,
    );
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

await main();
