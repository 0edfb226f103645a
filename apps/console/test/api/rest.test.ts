// The REST API over real HTTP on 127.0.0.1 with an API token. The flow creates a cluster,
// adds members and reads a host's rendered config. Other tests cover the error shape,
// the OpenAPI document, /healthz and /metrics.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSecret, sha256Hex } from "../../src/server/auth/secrets";
import { createUserActor, type Harness, request, startHarness } from "./harness";

let harness: Harness;
let operatorToken: string;
let viewerToken: string;

async function tokenFor(role: "operator" | "viewer"): Promise<string> {
  const actor = await createUserActor(harness, role);
  const secret = generateSecret("tfa_");
  await harness.db.prisma.apiToken.create({
    data: {
      name: `${role}-${randomBytes(2).toString("hex")}`,
      tokenHash: sha256Hex(secret),
      prefix: secret.slice(0, 12),
      role,
      createdById: actor.userId!,
    },
  });
  return secret;
}

beforeAll(async () => {
  harness = await startHarness();
  operatorToken = await tokenFor("operator");
  viewerToken = await tokenFor("viewer");
});

afterAll(async () => {
  await harness?.close();
});

describe("REST flow", () => {
  it("creates a cluster, adds members and renders a host's config", async () => {
    const cluster = await request(harness, "POST", "/api/v1/clusters", {
      token: operatorToken,
      body: { name: "rest-redis", preset: "redis", strict: true },
    });
    expect(cluster.status).toBe(200);
    const clusterId = (cluster.body as { id: string }).id;

    const first = await request(harness, "POST", `/api/v1/clusters/${clusterId}/members`, {
      token: operatorToken,
      body: { hostName: "rest-node-1", address: "10.50.0.1" },
    });
    expect(first.status).toBe(200);
    const second = await request(harness, "POST", `/api/v1/clusters/${clusterId}/members`, {
      token: operatorToken,
      body: { hostName: "rest-node-2", address: "10.50.0.2" },
    });
    expect(second.status).toBe(200);
    const hostId = (first.body as { hostId: string }).hostId;

    const config = await request(harness, "GET", `/api/v1/hosts/${hostId}/config`, { token: viewerToken });
    expect(config.status).toBe(200);
    const preview = config.body as { stunnelConf: string; iptablesRules: string; hostName: string };
    expect(preview.hostName).toBe("rest-node-1");
    expect(preview.stunnelConf).toContain("accept = 10.50.0.1:19200");
    expect(preview.stunnelConf).toContain("connect = 10.50.0.2:19200");
    expect(preview.stunnelConf).toContain("checkIP = 10.50.0.2");
    expect(preview.stunnelConf).toContain("/etc/tunnelfleet/current/");
    expect(preview.iptablesRules).toContain("-d 10.50.0.2/32");
    expect(preview.iptablesRules).toContain("--dport 6379");
    expect(preview.iptablesRules).not.toContain("-d 10.50.0.1/32 -p tcp -m tcp --dport 6379 -j DNAT");

    const host = await request(harness, "GET", `/api/v1/hosts/${hostId}`, { token: viewerToken });
    expect(host.status).toBe(200);
    expect((host.body as { desired: { generation: number } }).desired.generation).toBeGreaterThan(1);

    const fetched = await request(harness, "GET", `/api/v1/clusters/${clusterId}`, { token: viewerToken });
    expect((fetched.body as { members: unknown[] }).members).toHaveLength(2);
  });

  it("rejects bad input with 400 and field issues", async () => {
    const before = await harness.db.prisma.cluster.count();
    const response = await request(harness, "POST", "/api/v1/clusters", {
      token: operatorToken,
      body: { name: "bad;name", preset: "redis" },
    });
    expect(response.status).toBe(400);
    const body = response.body as {
      error: string;
      issues: { field: string; value: unknown; message: string }[];
    };
    expect(typeof body.error).toBe("string");
    expect(body.issues[0]!.field).toBe("name");
    expect(body.issues[0]!.value).toBe("bad;name");
    expect(await harness.db.prisma.cluster.count()).toBe(before);

    const schema = await request(harness, "POST", "/api/v1/clusters", {
      token: operatorToken,
      body: { name: "x", preset: "nosuch" },
    });
    expect(schema.status).toBe(400);
    expect((schema.body as { issues: { field: string }[] }).issues.map((issue) => issue.field)).toContain(
      "preset",
    );
  });

  it("rejects a bad member address naming the field", async () => {
    const cluster = await request(harness, "POST", "/api/v1/clusters", {
      token: operatorToken,
      body: { name: "rest-addr", preset: "postgres" },
    });
    const clusterId = (cluster.body as { id: string }).id;
    const hostsBefore = await harness.db.prisma.host.count();
    for (const address of ["127.0.0.1", "10.1", "fe80::1", "10.0.0.1; rm -rf /"]) {
      const response = await request(harness, "POST", `/api/v1/clusters/${clusterId}/members`, {
        token: operatorToken,
        body: { hostName: "rest-addr-1", address },
      });
      expect(response.status, address).toBe(400);
      expect((response.body as { issues: { field: string }[] }).issues[0]!.field).toBe("address");
    }
    expect(await harness.db.prisma.host.count()).toBe(hostsBefore);
  });

  it("enforces roles and credentials", async () => {
    const denied = await request(harness, "POST", "/api/v1/clusters", {
      token: viewerToken,
      body: { name: "rest-viewer", preset: "redis" },
    });
    expect(denied.status).toBe(403);
    expect((denied.body as { code: string }).code).toBe("FORBIDDEN");

    const anonymous = await request(harness, "GET", "/api/v1/clusters");
    expect(anonymous.status).toBe(401);
  });

  it("cookie sessions need the CSRF header on REST too", async () => {
    const actor = await createUserActor(harness, "operator");
    const login = await request(harness, "POST", "/api/trpc/auth.login", {
      body: { json: { username: actor.name, password: "correct horse battery" } },
      csrf: true,
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;

    expect((await request(harness, "GET", "/api/v1/clusters", { cookie })).status).toBe(200);
    const body = { name: "rest-cookie", preset: "redis" };
    const blocked = await request(harness, "POST", "/api/v1/clusters", { cookie, body });
    expect(blocked.status).toBe(403);
    expect(await harness.db.prisma.cluster.count({ where: { name: "rest-cookie" } })).toBe(0);
    expect((await request(harness, "POST", "/api/v1/clusters", { cookie, body, csrf: true })).status).toBe(
      200,
    );
  });

  it("creates a join token with the command", async () => {
    const response = await request(harness, "POST", "/api/v1/join-tokens", {
      token: operatorToken,
      body: { hostName: "rest-joiner" },
    });
    expect(response.status).toBe(200);
    const body = response.body as { command: string; secret: string; expiresAt: string };
    expect(body.command).toMatch(
      /^tunnelfleet-agent join --server https:\/\/gateway\.tunnelfleet\.test:8443 --token tfj_\S+ --ca-hash sha256:[0-9a-f]{64}$/,
    );
    expect(body.command).toContain(body.secret);
    const lifetime = new Date(body.expiresAt).getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(3500_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
  });

  it("serves the OpenAPI document", async () => {
    const response = await request(harness, "GET", "/api/v1/openapi.json");
    expect(response.status).toBe(200);
    const document = response.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi.startsWith("3.")).toBe(true);
    expect(Object.keys(document.paths["/clusters"] ?? {})).toEqual(expect.arrayContaining(["get", "post"]));
    expect(document.paths["/clusters/{clusterId}/members"]?.post).toBeDefined();
    expect(document.paths["/hosts/{hostId}/config"]?.get).toBeDefined();
  });
});

describe("operational endpoints", () => {
  it("healthz reports the database", async () => {
    const response = await request(harness, "GET", "/healthz");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok", database: "ok" });
  });

  it("metrics expose HTTP and inventory series", async () => {
    await request(harness, "GET", "/healthz");
    const response = await request(harness, "GET", "/metrics");
    expect(response.status).toBe(200);
    const text = response.body as string;
    expect(text).toContain("tunnelfleet_http_requests_total{");
    expect(text).toMatch(/tunnelfleet_clusters \d+/);
    expect(text).toContain("process_cpu_seconds_total");
  });

  it("unknown paths get 404 without a UI", async () => {
    const response = await request(harness, "GET", "/nowhere");
    expect(response.status).toBe(404);
  });
});
