// Start-up: the first admin from TUNNELFLEET_ADMIN_PASSWORD, the gateway CA created once
// however often and however concurrently servers start on one database.
import { randomBytes } from "node:crypto";
import { createTestDatabase } from "@tunnelfleet/db/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/server/auth/password";
import { ensureGatewayAuthority } from "../../src/server/services/gateway-pki";
import { startServer } from "../../src/server/start";
import { type Harness, request, startHarness } from "./harness";

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ adminPassword: "bootstrap admin password" });
});

afterAll(async () => {
  await harness?.close();
});

describe("server start-up", () => {
  it("creates admin from the configured password", async () => {
    const users = await harness.db.prisma.user.findMany();
    expect(users.map((user) => [user.username, user.role])).toEqual([["admin", "admin"]]);
    expect(await verifyPassword("bootstrap admin password", users[0]!.passwordHash)).toBe(true);

    const status = await request(harness, "GET", "/api/v1/auth/status");
    expect(status.body).toEqual({ setupRequired: false, authenticated: false });
  });

  it("a second start reuses the gateway CA and the admin", async () => {
    const second = await startServer({
      databaseUrl: harness.db.url,
      host: "127.0.0.1",
      port: 0,
      masterKey: harness.server.services.masterKey,
      adminPassword: "another password entirely",
      logger: pino({ level: "silent" }),
    });
    try {
      const health = await fetch(`${second.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await second.close();
    }
    expect(await harness.db.prisma.certificateAuthority.count({ where: { purpose: "gateway" } })).toBe(1);
    expect(await harness.db.prisma.user.count()).toBe(1);
  });

  it("a too short admin password stops the start", async () => {
    const empty = await createTestDatabase();
    try {
      const start = startServer({
        databaseUrl: empty.url,
        host: "127.0.0.1",
        port: 0,
        masterKey: randomBytes(32),
        adminPassword: "short",
        logger: pino({ level: "silent" }),
      });
      await expect(start).rejects.toThrow(/TUNNELFLEET_ADMIN_PASSWORD is invalid/);
      expect(await empty.prisma.user.count()).toBe(0);
    } finally {
      await empty.drop();
    }
  });

  it("concurrent gateway CA creation yields one CA", async () => {
    await harness.db.prisma.certificateAuthority.updateMany({
      where: { purpose: "gateway" },
      data: { state: "retired" },
    });
    const deps = { prisma: harness.db.prisma, masterKey: randomBytes(32) };
    const results = await Promise.all([
      ensureGatewayAuthority(deps),
      ensureGatewayAuthority(deps),
      ensureGatewayAuthority(deps),
    ]);
    expect(new Set(results.map((result) => result.id)).size).toBe(1);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(
      await harness.db.prisma.certificateAuthority.count({ where: { purpose: "gateway", state: "active" } }),
    ).toBe(1);
  });
});
