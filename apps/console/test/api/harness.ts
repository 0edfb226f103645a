// Shared set-up of the API tests. Each test file gets a migrated database of its own and
// a server (API only, no UI, no gateway) on 127.0.0.1 with a free port. The helpers act
// as users of each role, in-process or over HTTP.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@tunnelfleet/db/testing";
import { createCsr } from "@tunnelfleet/pki";
import pino from "pino";
import { hashPassword } from "../../src/server/auth/password";
import type { Actor, Role } from "../../src/server/services/context";
import { type RunningServer, startServer } from "../../src/server/start";
import { CSRF_HEADER, CSRF_HEADER_VALUE } from "../../src/server/trpc/csrf";
import { createCallerContext } from "../../src/server/trpc/init";
import { createCaller } from "../../src/server/trpc/router";

export const TEST_GATEWAY_URL = "https://gateway.tunnelfleet.test:8443";

export interface Harness {
  db: TestDatabase;
  server: RunningServer;
  close(): Promise<void>;
}

export async function startHarness(
  options: { loginRateLimit?: { maxFailures: number; windowMs: number }; adminPassword?: string } = {},
) {
  const db = await createTestDatabase();
  const server = await startServer({
    databaseUrl: db.url,
    host: "127.0.0.1",
    port: 0,
    masterKey: randomBytes(32),
    gatewayUrl: TEST_GATEWAY_URL,
    logger: pino({ level: "silent" }),
    loginRateLimit: options.loginRateLimit,
    adminPassword: options.adminPassword,
  });
  return {
    db,
    server,
    async close() {
      await server.close();
      await db.drop();
    },
  } satisfies Harness;
}

/** Inserts a user directly and returns the Actor an in-process caller acts as. */
export async function createUserActor(
  harness: Harness,
  role: Role,
  username = `${role}-${randomBytes(3).toString("hex")}`,
) {
  const user = await harness.db.prisma.user.create({
    data: { username, passwordHash: await hashPassword("correct horse battery"), role },
  });
  const actor: Actor = {
    type: "user",
    id: user.id,
    name: username,
    role,
    userId: user.id,
    sourceAddress: "127.0.0.1",
  };
  return actor;
}

/** Creates an in-process tRPC caller acting as `actor` (null for anonymous). */
export function callerFor(harness: Harness, actor: Actor | null) {
  return createCaller(createCallerContext(harness.server.services, actor));
}

/** Generations of the given hosts, by host id. */
export async function generations(harness: Harness, hostIds: string[]): Promise<Record<string, number>> {
  const rows = await harness.db.prisma.desiredState.findMany({ where: { hostId: { in: hostIds } } });
  return Object.fromEntries(rows.map((row) => [row.hostId, row.generation]));
}

/** Creates a CSR for a fresh P-256 tunnel key. */
export function newTunnelCsr(commonName: string): Promise<string> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return createCsr({ commonName, keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString() });
}

/** Creates a redis cluster with one new host per address, named `<name>-1`, `<name>-2`, ... */
export async function clusterWithMembers(harness: Harness, actor: Actor, name: string, addresses: string[]) {
  const api = callerFor(harness, actor);
  const cluster = await api.clusters.create({ name, preset: "redis" });
  const hostIds: string[] = [];
  for (const [index, address] of addresses.entries()) {
    hostIds.push(
      (await api.members.add({ clusterId: cluster.id, hostName: `${name}-${index + 1}`, address })).hostId,
    );
  }
  return { cluster, hostIds };
}

/** Counts rows of the tables every mutation may touch, to prove that a rejected one wrote nothing. */
export async function rowCounts(harness: Harness) {
  const prisma = harness.db.prisma;
  return {
    clusters: await prisma.cluster.count(),
    hosts: await prisma.host.count(),
    memberships: await prisma.membership.count(),
    authorities: await prisma.certificateAuthority.count(),
    audit: await prisma.auditEvent.count(),
    generationSum: (await prisma.desiredState.aggregate({ _sum: { generation: true } }))._sum.generation ?? 0,
  };
}

export interface HttpResult {
  status: number;
  body: unknown;
  headers: Headers;
}

/** Sends a JSON request to the test server with optional bearer token, cookie and CSRF header. */
export async function request(
  harness: Harness,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; cookie?: string; csrf?: boolean; origin?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers[CSRF_HEADER] = CSRF_HEADER_VALUE;
  if (options.origin) headers.origin = options.origin;

  const response = await fetch(`${harness.server.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (for example /metrics): keep the text.
  }
  return { status: response.status, body, headers: response.headers };
}

/** Body of a tRPC mutation over HTTP (no transformer wrapping is needed for plain JSON input). */
export function trpcBody(input: unknown): unknown {
  return { json: input };
}
