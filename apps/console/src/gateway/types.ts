// Options and dependencies of the agent gateway.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { HostPlan } from "@tunnelfleet/mesh";
import type { Logger } from "pino";
import type { PrismaClient, Tx } from "../server/db";

/** Everything one host must run, as the gateway sends it in a bundle message. */
export interface HostBundle {
  /** DesiredState.generation the bundle was rendered for. */
  generation: number;
  bundleHash: string;
  plan: HostPlan;
  trustedCaPems: string[];
  leafCertPem: string | null;
  crlPems: string[];
}

/** An agent certificate signed during enrolment. */
export interface IssuedAgentCertificate {
  certPem: string;
  /** Lowercase hex serial, as stored in Certificate.serial. */
  serial: string;
}

/** Reason a host needs a new tunnel leaf. */
export type LeafNeed = "missing" | "renewal" | "rotation" | "membership-changed";

/**
 * Control-plane services the gateway calls. The server passes the real ones (backed by
 * the database and the CAs); each is an interface so the gateway stays testable.
 */
export interface GatewayServices {
  /** Renders the host's current bundle from the stored topology and certificates. */
  buildHostBundle(hostId: string): Promise<HostBundle>;
  /**
   * Renders the bundles of many hosts at once (one read of the topology for all). Hosts
   * that no longer exist are left out. Without it, the gateway builds host by host.
   */
  buildHostBundles?(hostIds: string[]): Promise<Map<string, HostBundle>>;
  /**
   * Signs a CSR for the host's tunnel key with its cluster CA, stores the leaf (older
   * active leaves become superseded) and bumps the host's generation. Throws on a CSR
   * whose key or names are not acceptable.
   */
  issueTunnelLeaf(hostId: string, csrPem: string): Promise<void>;
  /**
   * Signs an agent identity CSR with the gateway CA and stores the certificate, inside
   * the enrolment transaction `tx`.
   */
  issueAgentCertificate(
    tx: Tx,
    input: { hostId: string; hostName: string; csrPem: string },
  ): Promise<IssuedAgentCertificate>;
  /** Returns why the host needs a new tunnel leaf, or null when its active leaf is fine. */
  tunnelLeafNeed(hostId: string, now: Date): Promise<LeafNeed | null>;
  /** tunnelLeafNeed for many hosts at once; every host given gets an entry. */
  tunnelLeafNeeds?(hostIds: string[], now: Date): Promise<Map<string, LeafNeed | null>>;
}

/** PEM material of the gateway's HTTPS listener. */
export interface GatewayTlsMaterial {
  /** Server certificate (and any intermediates) signed by the gateway CA. */
  certPem: string;
  keyPem: string;
  /** Gateway CA: verifies agent client certificates and is served at /v1/ca. */
  caPem: string;
}

/** A source of change notifications (LISTEN on the changes channel). */
export interface ChangeFeed {
  /** Calls `onChange` for every notification until the returned function is called. */
  subscribe(onChange: (change: { hostIds: string[]; reason: string }) => void): Promise<() => Promise<void>>;
}

export interface GatewayOptions {
  prisma: PrismaClient;
  /** PostgreSQL URL for the dedicated LISTEN connection; ignored when `changeFeed` is set. */
  databaseUrl?: string;
  changeFeed?: ChangeFeed;
  listen?: { host?: string; port?: number };
  tlsMaterial: GatewayTlsMaterial;
  log: Logger;
  services: GatewayServices;
  /** Version of this control plane, for the agent version skew check. */
  serverVersion: string;
  /** Interval of the tunnel leaf renewal and authorisation check, in ms (default 60 s). */
  leafCheckIntervalMs?: number;
  /** Interval of the bundle rebuild of every session (fresh CRLs), in ms (default 1 h). */
  resyncIntervalMs?: number;
  /** Minimum interval between two heartbeat writes of one host, in ms (default 15 s). */
  heartbeatWriteIntervalMs?: number;
  /** Time an agent has to send hello after connecting, in ms (default 10 s). */
  helloTimeoutMs?: number;
  /**
   * Hosts whose bundles are built concurrently (default 8). Keep it below the Prisma
   * connection pool size, because every build uses one connection.
   */
  pushConcurrency?: number;
  /**
   * Extra HTTPS routes served before the gateway's own (the agent download and install
   * script). Returns true when it sent a response.
   */
  extraRoutes?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

export interface RunningGateway {
  port: number;
  /** Closes every session (1001 going away), stops listening and unsubscribes. */
  close(): Promise<void>;
}
