// Validity windows and serial numbers shared by CA, leaf and CRL issuance.
import { randomBytes } from "node:crypto";
import { PkiError } from "./errors";

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How far notBefore is set before the issuing time, in milliseconds. A member whose clock
 * lags the control plane's by up to this much still accepts a freshly issued certificate.
 * One hour covers a VM resumed from suspend or a host with a late NTP sync, and it costs
 * little on a 30-day leaf.
 */
export const CLOCK_SKEW_BACKDATE_MS = 60 * 60 * 1000;

/** Longest RFC 5280 serial: 20 octets. */
const MAX_SERIAL_OCTETS = 20;

/** Checks that a lifetime in days is a positive number no larger than `maxDays`. */
export function checkLifetimeDays(value: number, field: string, maxDays: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > maxDays) {
    throw new PkiError(
      `${field} is ${String(value)}; use a number of days greater than 0 and at most ${maxDays}`,
    );
  }
}

/** Checks an optional `now` option and returns it, or the current time. */
export function resolveNow(now: Date | undefined): Date {
  if (now === undefined) return new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new PkiError(`now is ${String(now)}; pass a valid Date`);
  }
  return now;
}

/**
 * Returns a random positive serial of 128 bits as lowercase hex. The DER encoding adds a
 * leading zero octet when the top bit is set, so the INTEGER stays positive.
 */
export function randomSerialHex(): string {
  let bytes = randomBytes(16);
  while (bytes.every((byte) => byte === 0)) bytes = randomBytes(16);
  return bytes.toString("hex").replace(/^(00)+/, "");
}

/**
 * Normalizes a serial given as hex (any case, optional colons as `openssl x509 -serial`
 * prints them) to lowercase hex without leading zero octets.
 */
export function normalizeSerialHex(serial: string, field: string): string {
  const hex = typeof serial === "string" ? serial.replace(/:/g, "").toLowerCase() : "";
  if (!/^[0-9a-f]+$/.test(hex)) {
    throw new PkiError(`${field} is "${String(serial)}"; use a hexadecimal serial such as "1a2b3c"`);
  }

  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  const trimmed = even.replace(/^(00)+/, "");
  if (trimmed.length === 0) {
    throw new PkiError(`${field} is zero; a certificate serial must be a positive number`);
  }
  if (trimmed.length / 2 > MAX_SERIAL_OCTETS) {
    throw new PkiError(`${field} is ${trimmed.length / 2} octets long; RFC 5280 allows at most 20`);
  }
  return trimmed;
}
