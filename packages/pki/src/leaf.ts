// Issuance of leaf certificates from a member's CSR.

import { checkCsr } from "./csr";
import { PkiError } from "./errors";
import { loadIssuer } from "./issuer";
import { signingAlgorithm } from "./keys";
import { checkCommonName, checkDnsNames, checkIpAddresses } from "./names";
import { toPem } from "./parse";
import {
  CLOCK_SKEW_BACKDATE_MS,
  checkLifetimeDays,
  DAY_MS,
  normalizeSerialHex,
  randomSerialHex,
  resolveNow,
} from "./validity";
import { x509 } from "./x509";

/**
 * Purpose of a leaf: "tunnel" is a stunnel member identity (server and client of mutual
 * TLS), "agent" authenticates an agent to the gateway, "server" is a TLS server only.
 */
export type LeafUsage = "tunnel" | "agent" | "server";

/** Maximum leaf lifetime in days (the CA/Browser Forum's former 825-day cap). */
const MAX_LEAF_LIFETIME_DAYS = 825;

const EXTENDED_KEY_USAGES: Record<LeafUsage, string[]> = {
  tunnel: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  agent: [x509.ExtendedKeyUsage.clientAuth],
  server: [x509.ExtendedKeyUsage.serverAuth],
};

/** Extensions that depend only on usage and key algorithm, encoded once and reused. */
const fixedExtensionCache = new Map<string, x509.Extension[]>();

function fixedExtensions(usage: LeafUsage, rsaKey: boolean): x509.Extension[] {
  const cacheKey = `${usage}:${rsaKey}`;
  const cached = fixedExtensionCache.get(cacheKey);
  if (cached) return cached;

  let keyUsages = x509.KeyUsageFlags.digitalSignature;
  if (rsaKey) keyUsages |= x509.KeyUsageFlags.keyEncipherment;
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsages, true),
    new x509.ExtendedKeyUsageExtension(EXTENDED_KEY_USAGES[usage], false),
  ];
  fixedExtensionCache.set(cacheKey, extensions);
  return extensions;
}

export interface IssueLeafOptions {
  caCertPem: string;
  caKeyPem: string;
  csrPem: string;
  /** Subject CN of the leaf; the CSR's own subject is ignored. */
  commonName: string;
  /** DNS SANs, for example the host name. */
  dnsNames?: string[];
  /** IP SANs; a "tunnel" leaf needs at least one because stunnel's checkIP matches only IP SANs. */
  ipAddresses?: string[];
  lifetimeDays: number;
  usage: LeafUsage;
  /** Issuing time. Default: the current time. */
  now?: Date;
  /** Serial as hex. Default: 128 random bits. */
  serial?: string;
}

export interface IssuedLeaf {
  certPem: string;
  /** Serial as lowercase hex without leading zero octets. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Issues a leaf for the key in a verified CSR. The leaf carries the given SANs, the
 * extended key usages of `usage`, basicConstraints CA:FALSE and subject and authority key
 * identifiers. Its key usage is digitalSignature, plus keyEncipherment for RSA keys because
 * TLS 1.2 RSA key exchange needs it. The signature hash matches the CA key (SHA-256 for
 * P-256 and RSA-2048/3072 CAs, SHA-384 for P-384 and RSA-4096). notBefore is `now` minus
 * CLOCK_SKEW_BACKDATE_MS, and notAfter is `now` plus lifetimeDays, cut to the CA's notAfter
 * so that no leaf outlives its CA.
 */
export async function issueLeaf(options: IssueLeafOptions): Promise<IssuedLeaf> {
  checkCommonName(options.commonName, "commonName");
  const dnsNames = checkDnsNames(options.dnsNames ?? [], "dnsNames");
  const ipAddresses = checkIpAddresses(options.ipAddresses ?? [], "ipAddresses");
  checkLifetimeDays(options.lifetimeDays, "lifetimeDays", MAX_LEAF_LIFETIME_DAYS);
  if (!Object.hasOwn(EXTENDED_KEY_USAGES, options.usage)) {
    throw new PkiError(`usage is "${String(options.usage)}"; use "tunnel", "agent" or "server"`);
  }
  if (options.usage === "tunnel" && ipAddresses.length === 0) {
    throw new PkiError("ipAddresses is empty; a tunnel leaf needs an IP SAN for stunnel's checkIP");
  }
  if (options.usage === "server" && ipAddresses.length === 0 && dnsNames.length === 0) {
    throw new PkiError("dnsNames and ipAddresses are empty; a server leaf needs at least one SAN");
  }
  const serial =
    options.serial === undefined ? randomSerialHex() : normalizeSerialHex(options.serial, "serial");
  const now = resolveNow(options.now);

  const issuer = await loadIssuer(options.caCertPem, options.caKeyPem);
  const caCertificate = issuer.certificate;
  if (
    caCertificate.notAfter.getTime() <= now.getTime() ||
    caCertificate.notBefore.getTime() > now.getTime()
  ) {
    throw new PkiError(
      `CA certificate "${caCertificate.subject}" is not valid at ${now.toISOString()} ` +
        `(valid ${caCertificate.notBefore.toISOString()} to ${caCertificate.notAfter.toISOString()}); rotate the CA`,
    );
  }

  const { verified: csr, spki } = checkCsr(options.csrPem);
  // A copy on a plain ArrayBuffer: with the DOM library in scope the x509 typings reject a
  // Buffer, whose backing store may be a SharedArrayBuffer.
  const publicKey = new Uint8Array(spki);

  const notBefore = new Date(now.getTime() - CLOCK_SKEW_BACKDATE_MS);
  const notAfter = new Date(
    Math.min(now.getTime() + options.lifetimeDays * DAY_MS, caCertificate.notAfter.getTime()),
  );

  const names: x509.JsonGeneralNames = [
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ];
  const extensions: x509.Extension[] = [
    ...fixedExtensions(options.usage, csr.keyType.startsWith("rsa")),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    issuer.authorityKeyIdentifier,
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: [{ CN: [options.commonName] }],
    issuer: caCertificate.subjectName,
    notBefore,
    notAfter,
    publicKey,
    signingKey: issuer.key,
    signingAlgorithm: signingAlgorithm(issuer.keyType),
    extensions,
  });

  return { certPem: toPem(certificate), serial: certificate.serialNumber.toLowerCase(), notBefore, notAfter };
}
