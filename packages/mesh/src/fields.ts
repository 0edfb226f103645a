// Single-field validators. Every name, id, address and port that reaches a stunnel.conf
// line or an iptables argument passes one of these first. The API reuses them on input.
import ipaddr from "ipaddr.js";
import type { ValidationIssue } from "./model";

/** Database ids: letters, digits, `_` and `-`, 1-64 characters, starting with a letter or digit. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Cluster names: letters, digits, `.`, `_` and `-`, 1-63 characters, starting and ending
 * with a letter or digit. No `/`, because stunnel service names join names with `/`.
 */
const NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** One DNS label: letters, digits and inner `-`, 1-63 characters. */
const LABEL_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Maximum host name length. DNS allows 253, but the name also goes into stunnel service
 * names and rule comments, and iptables caps a comment at 255 bytes.
 */
export const MAX_HOST_NAME_LENGTH = 120;

/** Dotted-quad IPv4 without leading zeros: the only IPv4 form we store and render. */
const IPV4_PATTERN = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Address ranges that cannot be a member's address, with the reason shown to the operator. */
const REJECTED_RANGES: Readonly<Record<string, string>> = {
  unspecified: "is the unspecified address",
  broadcast: "is the broadcast address",
  multicast: "is a multicast address",
  loopback: "is a loopback address, which peers cannot reach and which the local tunnels use",
  linkLocal: "is link-local, which needs an interface zone and is not routed",
  ipv4Mapped: "is an IPv4-mapped IPv6 address; give the IPv4 address itself",
};

export type AddressFamily = "ipv4" | "ipv6";

/** Outcome of `validateAddress`: the canonical form, or the reason it was rejected. */
export type AddressCheck =
  | { ok: true; address: string; family: AddressFamily }
  | { ok: false; issue: ValidationIssue };

function issue(field: string, value: unknown, message: string): ValidationIssue {
  return { field, value, message: `${field} ${JSON.stringify(value) ?? String(value)} ${message}` };
}

/** Checks a database id (cluster id, host id). */
export function validateId(field: string, value: unknown): ValidationIssue | undefined {
  if (typeof value !== "string" || !ID_PATTERN.test(value)) {
    return issue(
      field,
      value,
      "is not a valid id: use 1-64 letters, digits, '_' or '-', starting with a letter or digit",
    );
  }
  return undefined;
}

/** Checks a cluster name against the grammar that is safe in config lines and rule comments. */
export function validateName(field: string, value: unknown): ValidationIssue | undefined {
  if (typeof value !== "string" || !NAME_PATTERN.test(value)) {
    return issue(
      field,
      value,
      "is not a valid name: use 1-63 letters, digits, '.', '_' or '-', starting and ending with a letter or digit",
    );
  }
  return undefined;
}

/** Checks a host name: DNS labels joined by dots, at most MAX_HOST_NAME_LENGTH characters. */
export function validateHostName(field: string, value: unknown): ValidationIssue | undefined {
  const fix = `use DNS labels of letters, digits and inner '-' joined by '.', at most ${MAX_HOST_NAME_LENGTH} characters`;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_HOST_NAME_LENGTH) {
    return issue(field, value, `is not a valid host name: ${fix}`);
  }
  if (!value.split(".").every((label) => LABEL_PATTERN.test(label))) {
    return issue(field, value, `is not a valid host name: ${fix}`);
  }
  return undefined;
}

/** Checks a TCP port: an integer from 1 to 65535. */
export function validatePort(field: string, value: unknown): ValidationIssue | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
    return issue(field, value, "is not a valid TCP port: use an integer from 1 to 65535");
  }
  return undefined;
}

/**
 * Parses a member address and returns its canonical form: dotted-quad IPv4, or IPv6 in
 * RFC 5952 form (lower case, longest zero run compressed). Rejects what a peer cannot
 * reach or what would clash with the tunnels: unspecified, broadcast, multicast,
 * loopback, link-local, IPv4-mapped and 240.0.0.0/4 addresses, zone ids, and IPv4 forms
 * other than four decimal parts (`10.1`, `0x0a.0.0.1`, `010.0.0.1`).
 */
export function validateAddress(field: string, value: unknown): AddressCheck {
  if (typeof value !== "string") {
    return { ok: false, issue: issue(field, value, "is not an IP address: give an IPv4 or IPv6 address") };
  }

  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  if (IPV4_PATTERN.test(value)) {
    parsed = ipaddr.IPv4.parse(value);
  } else if (!value.includes("%") && ipaddr.IPv6.isValid(value)) {
    parsed = ipaddr.IPv6.parse(value);
  } else {
    return {
      ok: false,
      issue: issue(
        field,
        value,
        "is not an IP address: give an IPv4 address as four decimal parts (10.0.0.1) or an IPv6 address without a zone (fd00::1)",
      ),
    };
  }

  const range = parsed.range();
  const reason = REJECTED_RANGES[range];
  if (reason !== undefined) {
    return { ok: false, issue: issue(field, value, `${reason}: give the address the application uses`) };
  }
  if (parsed.kind() === "ipv4" && parsed.match(ipaddr.IPv4.parse("240.0.0.0"), 4)) {
    return {
      ok: false,
      issue: issue(
        field,
        value,
        "is in the reserved range 240.0.0.0/4: give the address the application uses",
      ),
    };
  }

  if (parsed.kind() === "ipv4") {
    return { ok: true, address: parsed.toString(), family: "ipv4" };
  }
  return { ok: true, address: (parsed as ipaddr.IPv6).toRFC5952String(), family: "ipv6" };
}

/** Returns the family of an address that `validateAddress` accepted. */
export function addressFamily(address: string): AddressFamily {
  return address.includes(":") ? "ipv6" : "ipv4";
}
