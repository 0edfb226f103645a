// Checks of subject names and SAN values before they reach a certificate.
import { isIP } from "node:net";
import { PkiError } from "./errors";

/** X.520 upper bound for a common name, in characters. */
const MAX_COMMON_NAME_LENGTH = 64;

/** A DNS name of RFC 1123 labels: letters, digits and inner hyphens, 1-63 characters each. */
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

export function checkCommonName(value: string, field: string): void {
  if (typeof value !== "string" || value.trim().length === 0) {
    throw new PkiError(`${field} is missing; pass a non-empty common name`);
  }
  if (value.length > MAX_COMMON_NAME_LENGTH) {
    throw new PkiError(`${field} "${value}" is ${value.length} characters long; the maximum is 64`);
  }
  if (/[\p{Cc}]/u.test(value)) {
    throw new PkiError(`${field} ${JSON.stringify(value)} contains a control character; remove it`);
  }
}

/** Checks DNS SAN values and returns them lowercased. */
export function checkDnsNames(values: readonly string[], field: string): string[] {
  if (!Array.isArray(values)) {
    throw new PkiError(`${field} must be an array of DNS names`);
  }

  return values.map((value, index) => {
    const labels = typeof value === "string" ? value.split(".") : [];
    const valid =
      typeof value === "string" && value.length <= 253 && labels.every((label) => DNS_LABEL.test(label));
    if (!valid) {
      throw new PkiError(
        `${field}[${index}] is ${JSON.stringify(value)}, not a valid DNS name; use letters, digits, hyphens and dots`,
      );
    }
    return value.toLowerCase();
  });
}

/** Checks IP SAN values (IPv4 or IPv6 literals). */
export function checkIpAddresses(values: readonly string[], field: string): string[] {
  if (!Array.isArray(values)) {
    throw new PkiError(`${field} must be an array of IP addresses`);
  }

  return values.map((value, index) => {
    if (typeof value !== "string" || isIP(value) === 0) {
      throw new PkiError(`${field}[${index}] is ${JSON.stringify(value)}, not an IPv4 or IPv6 address`);
    }
    return value;
  });
}
