// Certificate revocation lists signed by the cluster CA.
import { AsnConvert } from "@peculiar/asn1-schema";
import { CRLNumber, id_ce_cRLNumber } from "@peculiar/asn1-x509";
import { PkiError } from "./errors";
import { loadIssuer } from "./issuer";
import { signingAlgorithm } from "./keys";
import { normalizeSerialHex, resolveNow } from "./validity";
import { x509 } from "./x509";

/** RFC 5280 revocation reason, by its ASN.1 name. */
export type RevocationReason = Exclude<keyof typeof x509.X509CrlReason, number>;

export interface RevokedCertificate {
  /** Serial as hex; colons and any case are accepted. */
  serial: string;
  revokedAt: Date;
  reason?: RevocationReason;
}

export interface CreateCrlOptions {
  caCertPem: string;
  caKeyPem: string;
  revoked: RevokedCertificate[];
  /** Monotonically increasing CRL number; a relying party keeps the highest it has seen. */
  crlNumber: number;
  /** Default: the current time. */
  thisUpdate?: Date;
  /** Time by which a new CRL is published; OpenSSL rejects every peer once it has passed. */
  nextUpdate: Date;
}

/**
 * Creates a v2 CRL signed by the CA, listing every revoked serial with its date and
 * optional reason code, and carrying the CRL number and authority key identifier extensions.
 */
export async function createCrl(options: CreateCrlOptions): Promise<string> {
  const thisUpdate = resolveNow(options.thisUpdate);
  if (!(options.nextUpdate instanceof Date) || Number.isNaN(options.nextUpdate.getTime())) {
    throw new PkiError(`nextUpdate is ${String(options.nextUpdate)}; pass a valid Date`);
  }
  if (options.nextUpdate.getTime() <= thisUpdate.getTime()) {
    throw new PkiError(
      `nextUpdate ${options.nextUpdate.toISOString()} is not after thisUpdate ${thisUpdate.toISOString()}; pass a later date`,
    );
  }
  if (!Number.isSafeInteger(options.crlNumber) || options.crlNumber < 0) {
    throw new PkiError(`crlNumber is ${String(options.crlNumber)}; use a non-negative integer`);
  }
  if (!Array.isArray(options.revoked)) {
    throw new PkiError("revoked must be an array of { serial, revokedAt, reason? }");
  }

  const entries = options.revoked.map((entry, index): x509.X509CrlEntryParams => {
    const serialNumber = normalizeSerialHex(entry.serial, `revoked[${index}].serial`);
    if (!(entry.revokedAt instanceof Date) || Number.isNaN(entry.revokedAt.getTime())) {
      throw new PkiError(`revoked[${index}].revokedAt is ${String(entry.revokedAt)}; pass a valid Date`);
    }
    if (entry.reason === undefined) return { serialNumber, revocationDate: entry.revokedAt };

    const reason = x509.X509CrlReason[entry.reason];
    if (typeof reason !== "number") {
      throw new PkiError(
        `revoked[${index}].reason is "${String(entry.reason)}", not an RFC 5280 reason name`,
      );
    }
    return { serialNumber, revocationDate: entry.revokedAt, reason };
  });

  const issuer = await loadIssuer(options.caCertPem, options.caKeyPem);
  const crlNumber = AsnConvert.serialize(new CRLNumber(options.crlNumber));

  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.certificate.subjectName,
    thisUpdate,
    nextUpdate: options.nextUpdate,
    entries,
    signingKey: issuer.key,
    signingAlgorithm: signingAlgorithm(issuer.keyType),
    extensions: [issuer.authorityKeyIdentifier, new x509.Extension(id_ce_cRLNumber, false, crlNumber)],
  });
  // RFC 7468 labels a CRL "X509 CRL"; OpenSSL reads no other label.
  return `${x509.PemConverter.encode(crl.rawData, "X509 CRL").trim()}\n`;
}
