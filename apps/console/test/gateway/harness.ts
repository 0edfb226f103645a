// Test harness of the gateway: a fresh migrated database, the gateway CA and server
// certificate, a running gateway on a free loopback port, and helpers that enrol
// simulated agents through the real HTTPS endpoint.

import { randomBytes } from "node:crypto";
import { request } from "node:https";
import { createTestDatabase, type TestDatabase } from "@tunnelfleet/db/testing";
import { createCsr, exportPrivateKeyPem, generateKeyPair } from "@tunnelfleet/pki";
import { ENROL_PATH, type EnrolResponse } from "@tunnelfleet/protocol";
import pino from "pino";
import { startGateway } from "../../src/gateway/gateway";
import { createGatewayServices } from "../../src/gateway/services";
import type { GatewayOptions, RunningGateway } from "../../src/gateway/types";
import { createCluster } from "../../src/server/services/clusters";
import { type ServiceDeps, SYSTEM_ACTOR } from "../../src/server/services/context";
import { ensureGatewayAuthority, issueGatewayServerCertificate } from "../../src/server/services/gateway-pki";
import { createJoinToken } from "../../src/server/services/join-tokens";
import { addMember } from "../../src/server/services/members";
import { SimAgent, type SimAgentOptions } from "./sim-agent";

export const SERVER_VERSION = "0.1.0";

export interface Harness {
  db: TestDatabase;
  deps: ServiceDeps;
  caPem: string;
  gateways: RunningGateway[];
  /** Starts one more gateway instance on the same database. */
  startGateway(overrides?: Partial<GatewayOptions>): Promise<RunningGateway>;
  urlOf(gateway: RunningGateway): string;
  agents: SimAgent[];
  close(): Promise<void>;
}

const log = pino({ level: process.env.GATEWAY_TEST_LOG ?? "silent" });

export async function createHarness(): Promise<Harness> {
  const db = await createTestDatabase();
  const masterKey = randomBytes(32);
  const deps: ServiceDeps = {
    prisma: db.prisma,
    masterKey,
    logger: log,
    gatewayUrl: "https://127.0.0.1:8443",
  };
  await ensureGatewayAuthority(deps);
  const server = await issueGatewayServerCertificate(deps, {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  const services = createGatewayServices({ prisma: db.prisma, masterKey });

  const harness: Harness = {
    db,
    deps,
    caPem: server.caCertPem,
    gateways: [],
    agents: [],
    async startGateway(overrides = {}) {
      const gateway = await startGateway({
        prisma: db.prisma,
        databaseUrl: db.url,
        listen: { host: "127.0.0.1", port: 0 },
        tlsMaterial: { certPem: server.certPem, keyPem: server.keyPem, caPem: server.caCertPem },
        log,
        services,
        serverVersion: SERVER_VERSION,
        ...overrides,
      });
      harness.gateways.push(gateway);
      return gateway;
    },
    urlOf(gateway) {
      return `wss://127.0.0.1:${gateway.port}`;
    },
    async close() {
      for (const agent of harness.agents) agent.terminate();
      for (const gateway of harness.gateways) await gateway.close();
      await db.drop();
    },
  };
  return harness;
}

/** Creates a cluster with its CA; clusters sharing a host need presets with different inbound ports. */
export async function createTestCluster(
  harness: Harness,
  name: string,
  preset: "redis" | "zookeeper" | "hazelcast" = "redis",
): Promise<string> {
  const cluster = await createCluster(harness.deps, SYSTEM_ACTOR, { name, preset });
  return cluster.id;
}

export async function addTestMember(harness: Harness, clusterId: string, hostId: string, address: string) {
  await addMember(harness.deps, SYSTEM_ACTOR, { clusterId, hostId, address });
}

export async function createToken(
  harness: Harness,
  input: { hostName?: string; clusterId?: string; address?: string } = {},
): Promise<string> {
  const token = await createJoinToken(harness.deps, SYSTEM_ACTOR, input);
  return token.secret;
}

/** POSTs JSON to the gateway over HTTPS, trusting only the gateway CA. */
export function postJson(
  harness: Harness,
  gateway: RunningGateway,
  path: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: gateway.port,
        path,
        method: "POST",
        ca: harness.caPem,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, body: raw ? JSON.parse(raw) : null });
        });
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

export interface EnrolledAgent {
  hostId: string;
  hostName: string;
  certPem: string;
  keyPem: string;
}

/** Generates an agent key, enrols it with `token` and returns its identity. */
export async function enrol(
  harness: Harness,
  gateway: RunningGateway,
  token: string,
  hostName?: string,
): Promise<EnrolledAgent> {
  const keyPair = await generateKeyPair("ecdsa-p256");
  const keyPem = await exportPrivateKeyPem(keyPair.privateKey);
  const agentCsrPem = await createCsr({ commonName: hostName ?? "agent", keyPem });
  const response = await postJson(harness, gateway, ENROL_PATH, { token, hostName, agentCsrPem });
  if (response.status !== 200) {
    throw new Error(`enrolment failed with ${response.status}: ${JSON.stringify(response.body)}`);
  }
  const body = response.body as EnrolResponse;
  return { hostId: body.hostId, hostName: body.hostName, certPem: body.agentCertPem, keyPem };
}

/** Creates a simulated agent for `identity` that replies to csrRequests with a CSR for a fresh key. */
export function simAgent(
  harness: Harness,
  gateway: RunningGateway,
  identity: EnrolledAgent,
  options: Partial<SimAgentOptions> = {},
): SimAgent {
  const agent = new SimAgent({
    url: harness.urlOf(gateway),
    caPem: harness.caPem,
    certPem: identity.certPem,
    keyPem: identity.keyPem,
    createCsr: async () => {
      const keyPair = await generateKeyPair("ecdsa-p256");
      return createCsr({ commonName: identity.hostName, keyPair });
    },
    ...options,
  });
  harness.agents.push(agent);
  return agent;
}

/** Returns a host name unique within the test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** Polls `check` every 50 ms until it returns a value other than undefined/false. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
