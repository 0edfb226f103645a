// Defaults the console offers when an operator creates a cluster: the plaintext ports of
// each application preset, the first inbound TLS port, and the certificate policy.
import type { ClusterPreset, TlsPolicy } from "./model";

/**
 * Plaintext ports each preset protects, in the order their inbound TLS ports are numbered.
 * A custom cluster has none: the operator lists its ports.
 */
export const PRESET_PORTS: Readonly<Record<ClusterPreset, readonly number[]>> = Object.freeze({
  hazelcast: Object.freeze([5701, 5702, 5703]),
  redis: Object.freeze([6379, 16379]),
  rabbitmq: Object.freeze([4369, 25672]),
  zookeeper: Object.freeze([2181, 2888, 3888]),
  elasticsearch: Object.freeze([9300]),
  postgres: Object.freeze([5432]),
  custom: Object.freeze([]),
});

/**
 * First inbound TLS port of each preset. Every preset gets its own block in 19100-19999,
 * so clusters of different presets on one host do not clash by default, and no block
 * contains a preset's plaintext port or the outbound loopback range.
 */
const INBOUND_PORT_BASES: Readonly<Record<ClusterPreset, number>> = Object.freeze({
  hazelcast: 19100,
  redis: 19200,
  rabbitmq: 19300,
  zookeeper: 19400,
  elasticsearch: 19500,
  postgres: 19600,
  custom: 19900,
});

/** Returns the default first inbound TLS port of a preset. */
export function defaultInboundPortBase(preset: ClusterPreset): number {
  return INBOUND_PORT_BASES[preset];
}

/** Certificate policy of a new cluster: ECDSA P-256 leaves for 30 days, TLS 1.2 or newer. */
export const defaultTlsPolicy: Readonly<TlsPolicy> = Object.freeze({
  keyType: "ecdsa-p256",
  leafLifetimeDays: 30,
  minTlsVersion: "TLSv1.2",
});
