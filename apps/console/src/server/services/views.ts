// Shapes that services return and the API sends: plain JSON (dates as ISO strings), no
// secret, no private key. The zod schemas double as tRPC output validators and as the
// response schemas of the OpenAPI document.
import { z } from "zod";
import { KEY_TYPES, TLS_VERSIONS } from "./topology";

export const roleSchema = z.enum(["admin", "operator", "viewer"]);
export const presetSchema = z.enum([
  "hazelcast",
  "redis",
  "rabbitmq",
  "zookeeper",
  "elasticsearch",
  "postgres",
  "custom",
]);
export const keyTypeSchema = z.enum(KEY_TYPES);
export const tlsVersionSchema = z.enum(TLS_VERSIONS);

const isoDate = z.string().describe("ISO 8601 time");

export const tlsPolicyView = z.object({
  keyType: keyTypeSchema,
  leafLifetimeDays: z.number().int(),
  minTlsVersion: tlsVersionSchema,
});

export const memberView = z.object({
  hostId: z.string(),
  hostName: z.string(),
  address: z.string(),
  createdAt: isoDate,
});
export type MemberView = z.infer<typeof memberView>;

export const clusterView = z.object({
  id: z.string(),
  name: z.string(),
  preset: presetSchema,
  appPorts: z.array(z.number().int()),
  inboundPortBase: z.number().int(),
  tls: tlsPolicyView,
  strict: z.boolean(),
  members: z.array(memberView),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type ClusterView = z.infer<typeof clusterView>;

export const desiredStateView = z.object({
  generation: z.number().int(),
  bundleHash: z.string().nullable(),
  updatedAt: isoDate,
});

export const observedStateView = z.object({
  generation: z.number().int().nullable(),
  bundleHash: z.string().nullable(),
  appliedAt: isoDate.nullable(),
  applyOk: z.boolean().nullable(),
  applyError: z.string().nullable(),
  applyDurationMs: z.number().int().nullable(),
  agentVersion: z.string().nullable(),
  stunnelVersion: z.string().nullable(),
  opensslVersion: z.string().nullable(),
  netfilterBackend: z.string().nullable(),
  health: z.unknown().nullable(),
  connected: z.boolean(),
  lastSeenAt: isoDate.nullable(),
  sourceAddress: z.string().nullable(),
});

export const hostMembershipView = z.object({
  clusterId: z.string(),
  clusterName: z.string(),
  address: z.string(),
});

export const hostView = z.object({
  id: z.string(),
  name: z.string(),
  memberships: z.array(hostMembershipView),
  desired: desiredStateView.nullable(),
  observed: observedStateView.nullable(),
  /** True when the agent reports the desired generation applied without error. */
  inSync: z.boolean(),
  createdAt: isoDate,
});
export type HostView = z.infer<typeof hostView>;

export const hostStateView = z.object({
  hostId: z.string(),
  hostName: z.string(),
  desired: desiredStateView.nullable(),
  observed: observedStateView.nullable(),
  inSync: z.boolean(),
});
export type HostStateView = z.infer<typeof hostStateView>;

export const joinTokenView = z.object({
  id: z.string(),
  hostName: z.string().nullable(),
  clusterId: z.string().nullable(),
  address: z.string().nullable(),
  createdAt: isoDate,
  expiresAt: isoDate,
  usedAt: isoDate.nullable(),
  usedByHostId: z.string().nullable(),
  revokedAt: isoDate.nullable(),
  /** active, used, revoked or expired. */
  status: z.enum(["active", "used", "revoked", "expired"]),
});
export type JoinTokenView = z.infer<typeof joinTokenView>;

export const createdJoinTokenView = joinTokenView.extend({
  /** The secret; shown only in this response. */
  secret: z.string(),
  /** One-line command to run on the new host. */
  command: z.string(),
  /**
   * One-line command for a host without the agent: checks the gateway CA against the pin,
   * downloads and verifies the agent, installs it, joins and starts it (renderJoinCommand).
   */
  installCommand: z.string(),
});
export type CreatedJoinTokenView = z.infer<typeof createdJoinTokenView>;

export const authorityView = z.object({
  id: z.string(),
  purpose: z.enum(["cluster", "gateway"]),
  clusterId: z.string().nullable(),
  state: z.enum(["active", "retiring", "retired"]),
  imported: z.boolean(),
  subject: z.string(),
  keyType: keyTypeSchema,
  certPem: z.string(),
  spkiHash: z.string(),
  notBefore: isoDate,
  notAfter: isoDate,
  createdAt: isoDate,
});
export type AuthorityView = z.infer<typeof authorityView>;

export const certificateView = z.object({
  id: z.string(),
  caId: z.string(),
  clusterId: z.string().nullable(),
  hostId: z.string().nullable(),
  hostName: z.string().nullable(),
  purpose: z.enum(["tunnel", "agent", "gateway"]),
  serial: z.string(),
  subject: z.string(),
  sans: z.array(z.string()),
  notBefore: isoDate,
  notAfter: isoDate,
  state: z.enum(["active", "superseded", "revoked"]),
  revokedAt: isoDate.nullable(),
  revocationReason: z.string().nullable(),
  createdAt: isoDate,
});
export type CertificateView = z.infer<typeof certificateView>;

export const auditEventView = z.object({
  id: z.string(),
  at: isoDate,
  actorType: z.enum(["user", "api_token", "agent", "system"]),
  actorId: z.string().nullable(),
  actorName: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  sourceAddress: z.string().nullable(),
});
export type AuditEventView = z.infer<typeof auditEventView>;

export const auditPageView = z.object({
  events: z.array(auditEventView),
  /** Pass as `cursor` to get the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export const userView = z.object({
  id: z.string(),
  username: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
  createdAt: isoDate,
});
export type UserView = z.infer<typeof userView>;

export const apiTokenView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: roleSchema,
  createdById: z.string(),
  createdByName: z.string(),
  createdAt: isoDate,
  expiresAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
  lastUsedAt: isoDate.nullable(),
});
export type ApiTokenView = z.infer<typeof apiTokenView>;

export const createdApiTokenView = apiTokenView.extend({
  /** The bearer secret; shown only in this response. */
  secret: z.string(),
});

export const configPreviewView = z.object({
  hostId: z.string(),
  hostName: z.string(),
  generation: z.number().int().nullable(),
  stunnelConf: z.string(),
  /** iptables-restore input for IPv4. */
  iptablesRules: z.string(),
  /** ip6tables-restore input, when the host has IPv6 peers or addresses. */
  ip6tablesRules: z.string().nullable(),
});
export type ConfigPreviewView = z.infer<typeof configPreviewView>;

export const meView = z.object({
  actorType: z.enum(["user", "api_token"]),
  userId: z.string(),
  username: z.string(),
  role: roleSchema,
  tokenId: z.string().nullable(),
});

export function iso(date: Date): string;
export function iso(date: Date | null): string | null;
export function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
