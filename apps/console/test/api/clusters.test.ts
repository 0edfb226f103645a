// Clusters and members through the tRPC router, against a real PostgreSQL: presets and
// defaults, the cluster CA, audit rows, rejected input that writes nothing.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/server/services/context";
import { callerFor, createUserActor, type Harness, rowCounts, startHarness } from "./harness";

let harness: Harness;
let operator: Actor;
let viewer: Actor;

beforeAll(async () => {
  harness = await startHarness();
  operator = await createUserActor(harness, "operator");
  viewer = await createUserActor(harness, "viewer");
});

afterAll(async () => {
  await harness?.close();
});

async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("clusters router", () => {
  it("creates a preset cluster with defaults and a CA", async () => {
    const api = callerFor(harness, operator);
    const cluster = await api.clusters.create({ name: "hz-defaults", preset: "hazelcast" });

    expect(cluster.appPorts).toEqual([5701, 5702, 5703]);
    expect(cluster.inboundPortBase).toBe(19100);
    expect(cluster.tls).toEqual({ keyType: "ecdsa-p256", leafLifetimeDays: 30, minTlsVersion: "TLSv1.2" });
    expect(cluster.strict).toBe(false);

    const authorities = await api.certificateAuthorities.list({ clusterId: cluster.id });
    expect(authorities).toHaveLength(1);
    expect(authorities[0]!.state).toBe("active");
    expect(authorities[0]!.spkiHash).toMatch(/^sha256:[0-9a-f]{64}$/);

    const audit = await harness.db.prisma.auditEvent.findMany({
      where: { action: "cluster.create", targetId: cluster.id },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorId).toBe(operator.id);
    expect(audit[0]!.sourceAddress).toBe("127.0.0.1");
  });

  it("stores the CA key sealed, never as PEM", async () => {
    const rows = await harness.db.prisma.certificateAuthority.findMany();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.encryptedKey).not.toContain("PRIVATE KEY");
      expect(row.encryptedKey.startsWith("v1:")).toBe(true);
    }
  });

  it("creates a custom cluster with its policy", async () => {
    const api = callerFor(harness, operator);
    const cluster = await api.clusters.create({
      name: "custom-app",
      preset: "custom",
      appPorts: [7000, 7001],
      inboundPortBase: 27000,
      tls: { keyType: "ecdsa-p384", leafLifetimeDays: 10, minTlsVersion: "TLSv1.3" },
      strict: true,
    });
    expect(cluster.appPorts).toEqual([7000, 7001]);
    expect(cluster.tls.keyType).toBe("ecdsa-p384");
    expect(cluster.strict).toBe(true);

    const authority = await harness.db.prisma.certificateAuthority.findFirstOrThrow({
      where: { clusterId: cluster.id },
    });
    expect(authority.keyType).toBe("ecdsa_p384");
  });

  it("lists, gets, updates and deletes", async () => {
    const api = callerFor(harness, operator);
    const created = await api.clusters.create({ name: "redis-crud", preset: "redis" });

    const listed = await callerFor(harness, viewer).clusters.list();
    expect(listed.map((cluster) => cluster.name)).toContain("redis-crud");

    const fetched = await api.clusters.get({ id: created.id });
    expect(fetched.appPorts).toEqual([6379, 16379]);

    const updated = await api.clusters.update({ id: created.id, strict: true, tls: { leafLifetimeDays: 7 } });
    expect(updated.strict).toBe(true);
    expect(updated.tls.leafLifetimeDays).toBe(7);
    const updateAudit = await harness.db.prisma.auditEvent.findFirstOrThrow({
      where: { action: "cluster.update", targetId: created.id },
    });
    expect((updateAudit.before as { strict: boolean }).strict).toBe(false);
    expect((updateAudit.after as { strict: boolean }).strict).toBe(true);

    await api.clusters.delete({ id: created.id });
    const error = await rejection(api.clusters.get({ id: created.id }));
    expect(error.code).toBe("NOT_FOUND");
    expect(
      await harness.db.prisma.auditEvent.count({ where: { action: "cluster.delete", targetId: created.id } }),
    ).toBe(1);
  });

  it("rejects invalid input and writes nothing", async () => {
    const api = callerFor(harness, operator);
    const before = await rowCounts(harness);

    const cases: { input: Parameters<typeof api.clusters.create>[0]; field: string }[] = [
      { input: { name: "bad name\n[x]", preset: "redis" }, field: "name" },
      { input: { name: "ports", preset: "custom", appPorts: [0] }, field: "appPorts[0]" },
      { input: { name: "ports2", preset: "custom", appPorts: [70000] }, field: "appPorts[0]" },
      { input: { name: "no-ports", preset: "custom" }, field: "appPorts" },
      { input: { name: "dup", preset: "custom", appPorts: [80, 80] }, field: "appPorts" },
      {
        input: { name: "life", preset: "redis", tls: { leafLifetimeDays: 0 } },
        field: "tls.leafLifetimeDays",
      },
      { input: { name: "base", preset: "redis", inboundPortBase: 65535 }, field: "inboundPortBase" },
    ];
    for (const { input, field } of cases) {
      const error = await rejection(api.clusters.create(input));
      expect(error.code, JSON.stringify(input)).toBe("BAD_REQUEST");
      const issues = (error.cause as { issues?: { field: string }[] }).issues ?? [];
      expect(
        issues.some((issue) => issue.field === field || issue.field.endsWith(field)),
        `${JSON.stringify(input)} -> ${JSON.stringify(issues)}`,
      ).toBe(true);
    }

    expect(await rowCounts(harness)).toEqual(before);
  });

  it("rejects an unknown key", async () => {
    const api = callerFor(harness, operator);
    const before = await rowCounts(harness);
    const input = { name: "typo", preset: "redis", stirct: true } as unknown as Parameters<
      typeof api.clusters.create
    >[0];

    const error = await rejection(api.clusters.create(input));

    expect(error.code).toBe("BAD_REQUEST");
    expect(JSON.stringify(error.cause ?? error.message)).toContain("stirct");
    expect(await rowCounts(harness)).toEqual(before);
  });

  it("rejects a duplicate name with CONFLICT", async () => {
    const api = callerFor(harness, operator);
    await api.clusters.create({ name: "pg-dup", preset: "postgres" });
    const before = await rowCounts(harness);

    const error = await rejection(api.clusters.create({ name: "pg-dup", preset: "postgres" }));
    expect(error.code).toBe("CONFLICT");
    expect(await rowCounts(harness)).toEqual(before);
  });

  it("rejects a host in a second cluster", async () => {
    const api = callerFor(harness, operator);
    const first = await api.clusters.create({ name: "one-cluster-a", preset: "redis" });
    const second = await api.clusters.create({ name: "one-cluster-b", preset: "postgres" });
    const member = await api.members.add({ clusterId: first.id, hostName: "shared-1", address: "10.71.0.1" });
    const before = await rowCounts(harness);

    const error = await rejection(
      api.members.add({ clusterId: second.id, hostId: member.hostId, address: "10.71.0.1" }),
    );

    expect(error.code).toBe("CONFLICT");
    expect(error.message).toContain("one-cluster-a");
    expect(await rowCounts(harness)).toEqual(before);
  });

  it("viewer cannot create, update or delete", async () => {
    const api = callerFor(harness, viewer);
    const target = await callerFor(harness, operator).clusters.create({
      name: "es-viewer",
      preset: "elasticsearch",
    });
    const before = await rowCounts(harness);

    expect((await rejection(api.clusters.create({ name: "nope", preset: "redis" }))).code).toBe("FORBIDDEN");
    expect((await rejection(api.clusters.update({ id: target.id, strict: true }))).code).toBe("FORBIDDEN");
    expect((await rejection(api.clusters.delete({ id: target.id }))).code).toBe("FORBIDDEN");
    expect(
      (await rejection(api.members.add({ clusterId: target.id, hostName: "h", address: "10.9.0.1" }))).code,
    ).toBe("FORBIDDEN");
    expect(await rowCounts(harness)).toEqual(before);
  });

  it("anonymous caller is rejected", async () => {
    const error = await rejection(callerFor(harness, null).clusters.list());
    expect(error.code).toBe("UNAUTHORIZED");
  });
});
