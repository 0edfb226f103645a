// Creation of a new self-signed cluster CA.
import { exportPrivateKeyPem, generateKeyPair, type KeyType, signingAlgorithm } from "./keys";
import { checkCommonName } from "./names";
import { toPem } from "./parse";
import { CLOCK_SKEW_BACKDATE_MS, checkLifetimeDays, DAY_MS, randomSerialHex, resolveNow } from "./validity";
import { x509 } from "./x509";

/** Longest CA lifetime accepted: 30 years. */
const MAX_CA_LIFETIME_DAYS = 30 * 365;

export interface CreateCaOptions {
  /** Subject common name, for example "Tunnelfleet cluster hazelcast-prod". */
  commonName: string;
  /** Key algorithm of the CA key. Default "ecdsa-p256". */
  keyType?: KeyType;
  /** Validity in days from `now`. Default 3650. */
  lifetimeDays?: number;
  /** Issuing time. Default: the current time. */
  now?: Date;
}

export interface CreatedCa {
  certPem: string;
  /** PKCS#8 PEM of the CA private key; seal it before storing it. */
  keyPem: string;
}

/**
 * Creates a self-signed CA: CA:TRUE with pathlen 0 (it signs leaves only), key usage
 * keyCertSign and cRLSign, subject and authority key identifiers, and a signature hash
 * that matches the key strength (SHA-256, or SHA-384 for P-384 and RSA-4096). notBefore is
 * backdated by CLOCK_SKEW_BACKDATE_MS.
 */
export async function createCa(options: CreateCaOptions): Promise<CreatedCa> {
  const { commonName, keyType = "ecdsa-p256", lifetimeDays = 3650 } = options;
  checkCommonName(commonName, "commonName");
  checkLifetimeDays(lifetimeDays, "lifetimeDays", MAX_CA_LIFETIME_DAYS);
  const now = resolveNow(options.now);

  const keys = await generateKeyPair(keyType);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now.getTime() - CLOCK_SKEW_BACKDATE_MS),
    notAfter: new Date(now.getTime() + lifetimeDays * DAY_MS),
    keys,
    signingAlgorithm: signingAlgorithm(keyType),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  return { certPem: toPem(certificate), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}
