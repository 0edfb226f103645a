// Choices the cluster form offers. They mirror the API's enums; the API validates anyway.

export const PRESETS = [
  "hazelcast",
  "redis",
  "rabbitmq",
  "zookeeper",
  "elasticsearch",
  "postgres",
  "custom",
] as const;
export type Preset = (typeof PRESETS)[number];

export const KEY_TYPES = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"] as const;
export type KeyTypeOption = (typeof KEY_TYPES)[number];

export const TLS_VERSIONS = ["TLSv1.2", "TLSv1.3"] as const;
export type TlsVersionOption = (typeof TLS_VERSIONS)[number];

export const ROLES = ["admin", "operator", "viewer"] as const;

/** Parses "5701, 5702 5703" into port numbers; returns null when a part is not an integer. */
export function parsePorts(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter((part) => part.length > 0);
  const ports = parts.map((part) => (/^\d+$/.test(part) ? Number(part) : Number.NaN));
  return ports.some((port) => Number.isNaN(port)) ? null : ports;
}

/** RFC 5280 revocation reasons the API accepts, by their CRL names. */
export const REVOCATION_REASONS = [
  "unspecified",
  "keyCompromise",
  "superseded",
  "affiliationChanged",
  "cessationOfOperation",
  "privilegeWithdrawn",
  "cACompromise",
] as const;
export type RevocationReasonOption = (typeof REVOCATION_REASONS)[number];
