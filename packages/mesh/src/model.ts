// Domain types of the mesh: the topology the control plane stores, and the per-host plan
// that the renderers turn into stunnel.conf and iptables-restore text. Pure data, no I/O.

/** Application presets and their default protected (plaintext) ports. */
export type ClusterPreset =
  | "hazelcast"
  | "redis"
  | "rabbitmq"
  | "zookeeper"
  | "elasticsearch"
  | "postgres"
  | "custom";

export type KeyType = "ecdsa-p256" | "ecdsa-p384" | "rsa-2048" | "rsa-3072" | "rsa-4096";

export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/** Certificate and handshake policy of one cluster. */
export interface TlsPolicy {
  keyType: KeyType;
  /** Lifetime of issued leaf certificates, in days. */
  leafLifetimeDays: number;
  /** Lowest TLS version stunnel accepts (sslVersionMin). */
  minTlsVersion: TlsVersion;
}

/** One clustered application whose member-to-member traffic is tunnelled. */
export interface ClusterSpec {
  /** Stable database id; safe grammar (letters, digits, `-`, `_`). */
  id: string;
  /** Operator-facing name; safe grammar, used in stunnel service names and rule comments. */
  name: string;
  preset: ClusterPreset;
  /** Plaintext ports the application listens on and connects to (protected ports). */
  appPorts: number[];
  /**
   * First inbound TLS port: the inbound service for appPorts[i] accepts on
   * inboundPortBase + i on every member.
   */
  inboundPortBase: number;
  tls: TlsPolicy;
  /**
   * Strict mode adds the filter rule that drops non-loopback connections to the app
   * ports and the egress guard that rejects plaintext to members' app ports.
   */
  strict: boolean;
}

/** One machine with one agent. */
export interface HostSpec {
  id: string;
  /** Host name; safe DNS-like grammar. Becomes the leaf's DNS SAN. */
  name: string;
}

/** A host's membership in a cluster, with the address the application uses for it. */
export interface MembershipSpec {
  clusterId: string;
  hostId: string;
  /** IPv4 or IPv6 address, canonical form. */
  address: string;
}

export interface Topology {
  clusters: ClusterSpec[];
  hosts: HostSpec[];
  memberships: MembershipSpec[];
}

/**
 * Persisted local-port allocation of one host: allocation key (see
 * `outboundAllocationKey`) to the loopback port its outbound client service accepts on.
 * Kept across plans so that adding or removing a member never renumbers other tunnels.
 */
export type PortAllocation = Record<string, number>;

/** An inbound TLS server: peers connect here, stunnel forwards to the local app port. */
export interface InboundService {
  kind: "inbound";
  /** stunnel section name, unique within the host's config. */
  name: string;
  clusterId: string;
  acceptAddress: string;
  acceptPort: number;
  connectAddress: string;
  connectPort: number;
  /** Lowest TLS version of this service's cluster; the renderer falls back to the plan's. */
  minTlsVersion?: TlsVersion;
}

/** An outbound TLS client: the app's DNATed connection to a peer enters here. */
export interface OutboundService {
  kind: "outbound";
  name: string;
  clusterId: string;
  peerHostId: string;
  /** Always a loopback address: plaintext listeners never face the network. */
  acceptAddress: string;
  acceptPort: number;
  /** The peer's membership address; also the checkIP value. */
  connectAddress: string;
  /** The peer's inbound TLS port for this app port. */
  connectPort: number;
  /** App port on the peer that this tunnel carries. */
  appPort: number;
  /** Lowest TLS version of this service's cluster; the renderer falls back to the plan's. */
  minTlsVersion?: TlsVersion;
}

export type StunnelService = InboundService | OutboundService;

/** nat OUTPUT rule: the app's connection to peer:appPort goes to the local tunnel. */
export interface DnatRule {
  clusterId: string;
  peerHostId: string;
  destination: string;
  appPort: number;
  toAddress: string;
  toPort: number;
}

/** Strict mode, filter INPUT: drop connections to a local app port not arriving on lo. */
export interface IngressGuardRule {
  clusterId: string;
  address: string;
  appPort: number;
}

/** Strict mode, filter OUTPUT: reject plaintext to a member's app port that escaped DNAT. */
export interface EgressGuardRule {
  clusterId: string;
  destination: string;
  appPort: number;
}

/** A peer link the agent probes over TLS and reports in heartbeats. */
export interface PeerLink {
  clusterId: string;
  peerHostId: string;
  address: string;
  port: number;
}

/** Everything one host must run. Deterministic: sorted, no timestamps. */
export interface HostPlan {
  hostId: string;
  hostName: string;
  services: StunnelService[];
  dnat: DnatRule[];
  ingressGuards: IngressGuardRule[];
  egressGuards: EgressGuardRule[];
  links: PeerLink[];
  /** Lowest TLS version over the host's clusters' policies. */
  minTlsVersion: TlsVersion;
  /** Allocation to persist for the next plan. */
  allocation: PortAllocation;
}

/** Files stunnel reads, as paths on the node. The agent chooses them. */
export interface StunnelPaths {
  cert: string;
  key: string;
  caFile: string;
  crlFile?: string;
  pidFile: string;
  logFile?: string;
  /**
   * Credentials of single clusters by cluster id, for a host whose clusters have
   * separate CAs. A service of a listed cluster uses these instead of the defaults
   * above, so it trusts only its own cluster's CA.
   */
  clusters?: Record<string, ClusterCredentialPaths>;
}

/** Leaf, key, CA and CRL files of one cluster on a node. */
export interface ClusterCredentialPaths {
  cert: string;
  key: string;
  caFile: string;
  /** Give it whenever the defaults name a CRL: a service without its own CRLfile inherits that one. */
  crlFile?: string;
}

/** One rejected input value. `field` is a dotted path such as `memberships[2].address`. */
export interface ValidationIssue {
  field: string;
  value: unknown;
  message: string;
}
