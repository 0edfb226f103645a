// The whole agent <-> control-plane wire protocol: the WebSocket messages of an agent
// session at /v1/agent, and the HTTPS enrolment contract served on the same port.
// Every frame is one JSON object with a `type` field. Both sides validate every frame
// with these schemas before acting on it.

import type { HostPlan } from "@tunnelfleet/mesh";
import { z } from "zod";

/**
 * Version of the message set below. Bumped on any change an older peer cannot parse;
 * the gateway closes a session whose hello carries another value.
 */
export const PROTOCOL_VERSION = 1;

/**
 * Largest WebSocket frame either side accepts, in bytes (4 MiB). The largest frame is a
 * bundle. Estimate: a host in a 1,000-member cluster with 3 protected ports carries about
 * 3,000 outbound services (~300 bytes of JSON each), 3,000 DNAT rules (~200 bytes),
 * 1,000 probe links (~150 bytes) and allocation entries (~80 bytes): about 1.9 MB, plus
 * CA and CRL PEMs (a CRL grows by ~40 bytes per revoked serial). 4 MiB leaves twice that
 * room while bounding the memory one misbehaving peer can make the other buffer.
 */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** URL paths on the gateway's HTTPS port. */
export const AGENT_SESSION_PATH = "/v1/agent";
export const ENROL_PATH = "/v1/enrol";
export const GATEWAY_CA_PATH = "/v1/ca";

/** Default TCP port of the gateway (HTTPS enrolment and the agent WebSocket). */
export const DEFAULT_GATEWAY_PORT = 8443;

/**
 * WebSocket close codes the gateway uses. 1008 (policy violation) and 1009 (message too
 * big) are the RFC 6455 codes; 4000-4999 are reserved for applications.
 */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  messageTooBig: 1009,
  protocolError: 4000,
  unsupportedVersion: 4001,
  unauthorized: 4003,
  replaced: 4004,
} as const;

// ---------------------------------------------------------------------------------------
// Shared field grammars

const MAX_PEM_CHARS = 64 * 1024;
const MAX_CRL_PEM_CHARS = 1024 * 1024;

const port = z.number().int().min(1).max(65535);
const address = z.union([z.ipv4(), z.ipv6()]);
const id = z.string().min(1).max(128);
const nonNegativeInt = z.number().int().min(0);
const tlsVersion = z.enum(["TLSv1.2", "TLSv1.3"]);

/** A semantic version such as 1.4.2 or 1.4.2-rc.1. */
export const semverSchema = z
  .string()
  .max(64)
  .regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/, "expected a version such as 1.4.2");

/**
 * Digest of a rendered bundle, compared as an opaque string (the control plane writes
 * "sha256:<hex>"). Letters, digits and `:_+/=-`, 8 to 200 characters.
 */
export const bundleHashSchema = z
  .string()
  .regex(/^[A-Za-z0-9:_+/=-]{8,200}$/, "expected a digest such as sha256:<hex>");

/** Host name: DNS labels of letters, digits and `-`, dot-separated, at most 253 characters. */
export const hostNameSchema = z
  .string()
  .max(253)
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    "expected a DNS name of letters, digits, '-' and '.'",
  );

function pem(label: string, maxChars: number) {
  return z
    .string()
    .max(maxChars)
    .refine((text) => text.includes(`-----BEGIN ${label}-----`) && text.includes(`-----END ${label}-----`), {
      message: `expected a PEM block of type ${label}`,
    });
}

const certificatePem = pem("CERTIFICATE", MAX_PEM_CHARS);
const csrPem = pem("CERTIFICATE REQUEST", MAX_PEM_CHARS);
const crlPem = pem("X509 CRL", MAX_CRL_PEM_CHARS);

// ---------------------------------------------------------------------------------------
// Host plan (the shape of HostPlan in @tunnelfleet/mesh, checked structurally)

const inboundServiceSchema = z.strictObject({
  kind: z.literal("inbound"),
  name: z.string().min(1).max(200),
  clusterId: id,
  acceptAddress: address,
  acceptPort: port,
  connectAddress: address,
  connectPort: port,
  minTlsVersion: tlsVersion.optional(),
});

const outboundServiceSchema = z.strictObject({
  kind: z.literal("outbound"),
  name: z.string().min(1).max(200),
  clusterId: id,
  peerHostId: id,
  acceptAddress: address,
  acceptPort: port,
  connectAddress: address,
  connectPort: port,
  appPort: port,
  minTlsVersion: tlsVersion.optional(),
});

const dnatRuleSchema = z.strictObject({
  clusterId: id,
  peerHostId: id,
  destination: address,
  appPort: port,
  toAddress: address,
  toPort: port,
});

const ingressGuardRuleSchema = z.strictObject({ clusterId: id, address, appPort: port });
const egressGuardRuleSchema = z.strictObject({ clusterId: id, destination: address, appPort: port });
const peerLinkSchema = z.strictObject({ clusterId: id, peerHostId: id, address, port });

const hostPlanObject = z.strictObject({
  hostId: id,
  hostName: hostNameSchema,
  services: z.array(z.discriminatedUnion("kind", [inboundServiceSchema, outboundServiceSchema])),
  dnat: z.array(dnatRuleSchema),
  ingressGuards: z.array(ingressGuardRuleSchema),
  egressGuards: z.array(egressGuardRuleSchema),
  links: z.array(peerLinkSchema),
  minTlsVersion: tlsVersion,
  allocation: z.record(z.string().max(400), port),
});

export const hostPlanSchema: z.ZodType<HostPlan> = hostPlanObject;

// Compile-time guard: the schema and HostPlan must describe exactly the same shape, so a
// field added to the mesh model without a schema change fails the type check here.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const planSchemaMatchesModel: Equals<z.infer<typeof hostPlanObject>, HostPlan> = true;
void planSchemaMatchesModel;

// ---------------------------------------------------------------------------------------
// Agent -> gateway

/** First message of every session: who the agent is and what it last applied. */
export const helloSchema = z.strictObject({
  type: z.literal("hello"),
  protocolVersion: z.number().int(),
  agentVersion: semverSchema,
  /** `stunnel -version` of the node, e.g. "5.68". */
  stunnelVersion: z.string().max(64),
  opensslVersion: z.string().max(64),
  netfilterBackend: z.enum(["nft", "legacy", "unknown"]),
  /** Generation of the last bundle applied successfully; 0 when nothing was applied yet. */
  appliedGeneration: nonNegativeInt,
  /** Hash of that bundle; null when nothing was applied yet. */
  appliedBundleHash: bundleHashSchema.nullable(),
});

/** Result of applying one bundle. */
export const ackSchema = z.strictObject({
  type: z.literal("ack"),
  generation: nonNegativeInt,
  bundleHash: bundleHashSchema,
  ok: z.boolean(),
  /** Failure description when ok is false. Shown to operators, so it must not contain key material. */
  error: z.string().max(4096).optional(),
  durationMs: nonNegativeInt,
});

const listenerStatusSchema = z.strictObject({ address, port, up: z.boolean() });

const probeResultSchema = z.strictObject({
  clusterId: id,
  peerHostId: id,
  address,
  port,
  ok: z.boolean(),
  error: z.string().max(1024).optional(),
  latencyMs: z.number().min(0).optional(),
});

/** Data-plane health of the node, sent periodically. */
export const healthSchema = z.strictObject({
  stunnelAlive: z.boolean(),
  listenersUp: z.array(listenerStatusSchema),
  rulesPresent: z.boolean(),
  /** The tunnel leaf stunnel currently serves; null when none is installed. */
  servedCertificate: z.strictObject({ serial: z.string().max(128), notAfter: z.iso.datetime() }).nullable(),
  probes: z.array(probeResultSchema),
});

export const heartbeatSchema = z.strictObject({
  type: z.literal("heartbeat"),
  health: healthSchema,
});

/** A certificate signing request for the node's tunnel key, sent in reply to a csrRequest. */
export const csrSchema = z.strictObject({
  type: z.literal("csr"),
  purpose: z.literal("tunnel"),
  csrPem,
  requestId: id,
});

export const agentMessageSchema = z.discriminatedUnion("type", [
  helloSchema,
  ackSchema,
  heartbeatSchema,
  csrSchema,
]);

// ---------------------------------------------------------------------------------------
// Gateway -> agent

/** Sent once after an accepted hello. */
export const welcomeSchema = z.strictObject({
  type: z.literal("welcome"),
  hostId: id,
  hostName: hostNameSchema,
  serverVersion: semverSchema,
});

/** Everything the host must run. The agent applies it and replies with an ack. */
export const bundleSchema = z.strictObject({
  type: z.literal("bundle"),
  generation: nonNegativeInt,
  bundleHash: bundleHashSchema,
  plan: hostPlanSchema,
  /** CA certificates the host's stunnel trusts (the active and any retiring CA). */
  trustedCaPems: z.array(certificatePem),
  /** The host's tunnel leaf; null until the first CSR was signed. */
  leafCertPem: certificatePem.nullable(),
  crlPems: z.array(crlPem),
});

/** Asks the agent to generate a new tunnel key and send a CSR for it. */
export const csrRequestSchema = z.strictObject({
  type: z.literal("csrRequest"),
  requestId: id,
  purpose: z.literal("tunnel"),
  reason: z.enum(["missing", "renewal", "rotation", "membership-changed"]),
});

/** Error codes the gateway sends before closing a session. */
export const gatewayErrorCodeSchema = z.enum([
  "malformed-json",
  "unknown-type",
  "bad-version",
  "oversized",
  "invalid-field",
  "unsupported-agent-version",
  "hello-required",
  "unexpected-ack",
  "unknown-csr-request",
  "csr-rejected",
  "replaced-by-newer-session",
  "unauthorized",
  "internal",
]);

/** Sent right before the gateway closes the session. */
export const gatewayErrorSchema = z.strictObject({
  type: z.literal("error"),
  code: gatewayErrorCodeSchema,
  message: z.string().max(4096),
});

export const gatewayMessageSchema = z.discriminatedUnion("type", [
  welcomeSchema,
  bundleSchema,
  csrRequestSchema,
  gatewayErrorSchema,
]);

export type Hello = z.infer<typeof helloSchema>;
export type Ack = z.infer<typeof ackSchema>;
export type Health = z.infer<typeof healthSchema>;
export type Heartbeat = z.infer<typeof heartbeatSchema>;
export type Csr = z.infer<typeof csrSchema>;
export type AgentMessage = z.infer<typeof agentMessageSchema>;
export type Welcome = z.infer<typeof welcomeSchema>;
export type Bundle = z.infer<typeof bundleSchema>;
export type CsrRequest = z.infer<typeof csrRequestSchema>;
export type GatewayErrorCode = z.infer<typeof gatewayErrorCodeSchema>;
export type GatewayError = z.infer<typeof gatewayErrorSchema>;
export type GatewayMessage = z.infer<typeof gatewayMessageSchema>;

// ---------------------------------------------------------------------------------------
// Enrolment over HTTPS (no client certificate needed)

/**
 * POST /v1/enrol body. The agent generated its key pair locally and sends only the CSR
 * for its gateway identity. The token is single-use and expires.
 * Responses: 200 enrolResponse; 400 (invalid body or CSR), 401 (unknown, expired, revoked
 * or already used token), 409 (host name taken), each with an errorResponse body.
 */
export const enrolRequestSchema = z.strictObject({
  token: z.string().min(16).max(256),
  /** Used when the token does not fix the host name. */
  hostName: hostNameSchema.optional(),
  agentCsrPem: csrPem,
});

export const enrolResponseSchema = z.strictObject({
  hostId: id,
  hostName: hostNameSchema,
  /** Client certificate for the WebSocket session, signed by the gateway CA. */
  agentCertPem: certificatePem,
  gatewayCaPem: certificatePem,
});

/**
 * GET /v1/ca response body (no authentication). The agent checks the certificate's SPKI hash
 * against the `--ca-hash` the operator gave it before it trusts this CA for anything.
 */
export const gatewayCaResponseSchema = z.strictObject({ caPem: certificatePem });

/** Body of every non-2xx response of the enrolment endpoints. */
export const errorResponseSchema = z.strictObject({ error: z.string().max(4096) });

export type EnrolRequest = z.infer<typeof enrolRequestSchema>;
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;
export type GatewayCaResponse = z.infer<typeof gatewayCaResponseSchema>;
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
