// Authentication over real HTTP: first-run setup, login with a session cookie, CSRF,
// role checks, API tokens as bearer credentials, and login throttling.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, request, startHarness, trpcBody } from "./harness";

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ loginRateLimit: { maxFailures: 3, windowMs: 60_000 } });
});

afterAll(async () => {
  await harness?.close();
});

const ADMIN_PASSWORD = "admin password 123";

function sessionCookie(headers: Headers): string {
  const cookie = headers.getSetCookie().find((value) => value.startsWith("tunnelfleet_session="));
  expect(cookie, "Set-Cookie with the session").toBeDefined();
  return cookie!.split(";")[0]!;
}

function trpcError(body: unknown) {
  return (
    body as { error: { json: { message: string; data: { code: string; issues: { field: string }[] } } } }
  ).error.json;
}

function trpcData<T>(body: unknown): T {
  return (body as { result: { data: { json: T } } }).result.data.json;
}

async function query(path: string, options: { cookie?: string; token?: string } = {}) {
  return request(harness, "GET", `/api/trpc/${path}`, options);
}

async function mutate(
  path: string,
  input: unknown,
  options: { cookie?: string; token?: string; csrf?: boolean } = {},
) {
  return request(harness, "POST", `/api/trpc/${path}`, { body: trpcBody(input), csrf: true, ...options });
}

let adminCookie = "";

describe("first-run setup", () => {
  it("reports setup required before any user", async () => {
    const status = await query("auth.status");
    expect(status.status).toBe(200);
    expect(trpcData<{ setupRequired: boolean }>(status.body).setupRequired).toBe(true);
  });

  it("rejects setup without the CSRF header", async () => {
    const response = await mutate(
      "auth.setup",
      { username: "root", password: ADMIN_PASSWORD },
      { csrf: false },
    );
    expect(response.status).toBe(403);
    expect(await harness.db.prisma.user.count()).toBe(0);
  });

  it("rejects a short password naming the field", async () => {
    const response = await mutate("auth.setup", { username: "root", password: "short" });
    expect(response.status).toBe(400);
    expect(trpcError(response.body).data.issues.map((issue) => issue.field)).toContain("password");
    expect(await harness.db.prisma.user.count()).toBe(0);
  });

  it("creates exactly one admin under concurrent setups", async () => {
    const attempts = await Promise.all(
      ["root", "root2", "root3"].map((username) =>
        mutate("auth.setup", { username, password: ADMIN_PASSWORD }),
      ),
    );
    const ok = attempts.filter((attempt) => attempt.status === 200);
    expect(ok).toHaveLength(1);
    expect(attempts.filter((attempt) => attempt.status === 409)).toHaveLength(2);
    expect(await harness.db.prisma.user.count()).toBe(1);

    adminCookie = sessionCookie(ok[0]!.headers);
    const cookieHeader = ok[0]!.headers.getSetCookie()[0]!;
    expect(cookieHeader).toContain("HttpOnly");
    expect(cookieHeader).toContain("SameSite=Strict");
  });

  it("stores only hashes of passwords and sessions", async () => {
    const user = await harness.db.prisma.user.findFirstOrThrow();
    expect(user.passwordHash.startsWith("scrypt$32768$8$1$")).toBe(true);
    expect(user.passwordHash).not.toContain(ADMIN_PASSWORD);
    const token = adminCookie.split("=")[1]!;
    const sessions = await harness.db.prisma.session.findMany();
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) expect(session.tokenHash).not.toBe(token);
  });
});

describe("sessions and CSRF", () => {
  it("me returns the logged-in admin", async () => {
    const response = await query("auth.me", { cookie: adminCookie });
    expect(response.status).toBe(200);
    expect(trpcData<{ role: string }>(response.body).role).toBe("admin");
  });

  it("cookie mutation without CSRF header is rejected", async () => {
    const response = await mutate(
      "clusters.create",
      { name: "csrf", preset: "redis" },
      { cookie: adminCookie, csrf: false },
    );
    expect(response.status).toBe(403);
    expect(await harness.db.prisma.cluster.count({ where: { name: "csrf" } })).toBe(0);
  });

  it("cookie mutation from another origin is rejected", async () => {
    const response = await request(harness, "POST", "/api/trpc/clusters.create", {
      body: trpcBody({ name: "cross-site", preset: "redis" }),
      cookie: adminCookie,
      csrf: true,
      origin: "https://evil.example",
    });
    expect(response.status).toBe(403);
    expect(await harness.db.prisma.cluster.count({ where: { name: "cross-site" } })).toBe(0);
  });

  it("login with a wrong password fails and then throttles", async () => {
    await mutate(
      "users.create",
      { username: "throttled", password: "throttled password", role: "viewer" },
      {
        cookie: adminCookie,
      },
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await mutate("auth.login", { username: "throttled", password: "wrong password!" });
      expect(response.status).toBe(401);
    }
    const blocked = await mutate("auth.login", { username: "throttled", password: "throttled password" });
    expect(blocked.status).toBe(429);
  });

  it("logout ends the session", async () => {
    await mutate(
      "users.create",
      { username: "leaver", password: "leaver password", role: "viewer" },
      {
        cookie: adminCookie,
      },
    );
    const login = await mutate("auth.login", { username: "leaver", password: "leaver password" });
    expect(login.status).toBe(200);
    const cookie = sessionCookie(login.headers);

    expect((await query("auth.me", { cookie })).status).toBe(200);
    expect((await mutate("auth.logout", null, { cookie })).status).toBe(200);
    expect((await query("auth.me", { cookie })).status).toBe(401);
  });
});

describe("roles and API tokens", () => {
  let viewerCookie = "";

  beforeAll(async () => {
    await mutate(
      "users.create",
      { username: "watcher", password: "watcher password", role: "viewer" },
      {
        cookie: adminCookie,
      },
    );
    const login = await mutate("auth.login", { username: "watcher", password: "watcher password" });
    viewerCookie = sessionCookie(login.headers);
  });

  it("viewer can read but not mutate", async () => {
    expect((await query("clusters.list", { cookie: viewerCookie })).status).toBe(200);
    const response = await mutate(
      "clusters.create",
      { name: "by-viewer", preset: "redis" },
      { cookie: viewerCookie },
    );
    expect(response.status).toBe(403);
    expect((await mutate("users.list", {}, { cookie: viewerCookie })).status).not.toBe(200);
    expect((await query("users.list", { cookie: viewerCookie })).status).toBe(403);
  });

  it("viewer cannot create an operator token", async () => {
    const response = await mutate(
      "apiTokens.create",
      { name: "escalate", role: "operator" },
      { cookie: viewerCookie },
    );
    expect(response.status).toBe(403);
    expect(await harness.db.prisma.apiToken.count({ where: { name: "escalate" } })).toBe(0);
  });

  it("viewer token cannot mutate, and cannot mint a higher token", async () => {
    const created = await mutate(
      "apiTokens.create",
      { name: "viewer-token", role: "viewer" },
      { cookie: viewerCookie },
    );
    expect(created.status).toBe(200);
    const { secret, prefix } = trpcData<{ secret: string; prefix: string }>(created.body);
    expect(secret.startsWith(prefix)).toBe(true);

    const stored = await harness.db.prisma.apiToken.findFirstOrThrow({ where: { name: "viewer-token" } });
    expect(stored.tokenHash).not.toContain(secret);

    expect((await query("clusters.list", { token: secret })).status).toBe(200);
    expect(
      (await mutate("clusters.create", { name: "by-token", preset: "redis" }, { token: secret, csrf: false }))
        .status,
    ).toBe(403);
    const minted = await mutate(
      "apiTokens.create",
      { name: "minted", role: "admin" },
      { token: secret, csrf: false },
    );
    expect(minted.status).toBe(403);
  });

  it("admin's operator token acts as operator, not admin", async () => {
    const created = await mutate(
      "apiTokens.create",
      { name: "ops", role: "operator" },
      { cookie: adminCookie },
    );
    const { secret, id } = trpcData<{ secret: string; id: string }>(created.body);

    // Bearer requests need no CSRF header.
    const cluster = await mutate(
      "clusters.create",
      { name: "by-ops-token", preset: "redis" },
      { token: secret, csrf: false },
    );
    expect(cluster.status).toBe(200);
    expect((await query("users.list", { token: secret })).status).toBe(403);

    const audit = await harness.db.prisma.auditEvent.findFirstOrThrow({
      where: { action: "cluster.create" },
    });
    expect(audit.actorType).toBe("api_token");
    expect(audit.actorId).toBe(id);

    expect((await mutate("apiTokens.revoke", { id }, { cookie: adminCookie })).status).toBe(200);
    expect((await query("clusters.list", { token: secret })).status).toBe(401);
  });

  it("expired and unknown tokens are rejected", async () => {
    const created = await mutate(
      "apiTokens.create",
      { name: "short", role: "viewer", expiresInDays: 1 },
      {
        cookie: adminCookie,
      },
    );
    const { secret, id } = trpcData<{ secret: string; id: string }>(created.body);
    await harness.db.prisma.apiToken.update({
      where: { id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await query("clusters.list", { token: secret })).status).toBe(401);
    expect((await query("clusters.list", { token: "tfa_unknown" })).status).toBe(401);
  });

  it("demoting a user lowers their tokens", async () => {
    await mutate(
      "users.create",
      { username: "demoted", password: "demoted password", role: "operator" },
      {
        cookie: adminCookie,
      },
    );
    const login = await mutate("auth.login", { username: "demoted", password: "demoted password" });
    const cookie = sessionCookie(login.headers);
    const created = await mutate("apiTokens.create", { name: "demoted-token", role: "operator" }, { cookie });
    const { secret } = trpcData<{ secret: string }>(created.body);

    const user = await harness.db.prisma.user.findUniqueOrThrow({ where: { username: "demoted" } });
    expect(
      (await mutate("users.update", { id: user.id, role: "viewer" }, { cookie: adminCookie })).status,
    ).toBe(200);
    const response = await mutate(
      "clusters.create",
      { name: "by-demoted", preset: "redis" },
      { token: secret, csrf: false },
    );
    expect(response.status).toBe(403);
  });

  it("last admin cannot be demoted or disabled", async () => {
    const admin = await harness.db.prisma.user.findFirstOrThrow({ where: { role: "admin" } });
    expect(
      (await mutate("users.update", { id: admin.id, role: "viewer" }, { cookie: adminCookie })).status,
    ).toBe(409);
    expect(
      (await mutate("users.update", { id: admin.id, disabled: true }, { cookie: adminCookie })).status,
    ).toBe(409);
  });
});
