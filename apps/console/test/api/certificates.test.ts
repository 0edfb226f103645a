// CAs, certificates, join tokens, bundles, state and the audit log through the services
// and routers, against a real PostgreSQL and real X.509 (checked with the pki package).
import { X509Certificate } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { createCa, verifyChain } from "@tunnelfleet/pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHostBundle } from "../../src/server/services/bundle";
import { issueAgentCertificate, issueTunnelLeaf } from "../../src/server/services/certificates";
import type { Actor } from "../../src/server/services/context";
import { redeemJoinToken } from "../../src/server/services/join-tokens";
import {
  callerFor,
  clusterWithMembers,
  createUserActor,
  generations,
  type Harness,
  newTunnelCsr,
  rowCounts,
  startHarness,
} from "./harness";

let harness: Harness;
let operator: Actor;
let admin: Actor;
let viewer: Actor;

beforeAll(async () => {
  harness = await startHarness();
  operator = await createUserActor(harness, "operator");
  admin = await createUserActor(harness, "admin");
  viewer = await createUserActor(harness, "viewer");
});

afterAll(async () => {
  await harness?.close();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return (error as TRPCError).code;
}

describe("tunnel leaves and bundles", () => {
  it("leaf has IP and DNS SANs and chains", async () => {
    const { cluster, hostIds } = await clusterWithMembers(harness, operator, "leaf", [
      "10.60.0.1",
      "10.60.0.2",
    ]);
    const deps = harness.server.services;

    const leaf = await issueTunnelLeaf(deps, hostIds[0]!, await newTunnelCsr("leaf-1"));
    expect(leaf.sans).toEqual(["DNS:leaf-1", "IP:10.60.0.1"]);
    const x509 = new X509Certificate(leaf.certPem);
    expect(x509.subjectAltName).toContain("IP Address:10.60.0.1");
    expect(x509.subjectAltName).toContain("DNS:leaf-1");
    const lifetimeDays = (new Date(x509.validTo).getTime() - Date.now()) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(29);
    expect(lifetimeDays).toBeLessThanOrEqual(30.01);

    const [ca] = await callerFor(harness, viewer).certificateAuthorities.list({ clusterId: cluster.id });
    expect(await verifyChain(leaf.certPem, ca!.certPem)).toBe(true);

    const second = await issueTunnelLeaf(deps, hostIds[0]!, await newTunnelCsr("leaf-1"));
    const states = await harness.db.prisma.certificate.findMany({
      where: { hostId: hostIds[0]!, purpose: "tunnel" },
    });
    expect(states.find((row) => row.id === leaf.id)!.state).toBe("superseded");
    expect(states.find((row) => row.id === second.id)!.state).toBe("active");
  });

  it("rejects a malformed CSR naming the field", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "badcsr", ["10.61.0.1"]);
    const before = await harness.db.prisma.certificate.count();
    await expect(issueTunnelLeaf(harness.server.services, hostIds[0]!, "not a csr")).rejects.toMatchObject({
      name: "InputError",
      issues: [expect.objectContaining({ field: "csrPem" })],
    });
    expect(await harness.db.prisma.certificate.count()).toBe(before);
  });

  it("builds a bundle with plan, trust, leaf and CRL, and a stable hash", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "bundle", ["10.62.0.1", "10.62.0.2"]);
    const deps = harness.server.services;
    const empty = await buildHostBundle(deps.prisma, hostIds[0]!, { masterKey: deps.masterKey });
    expect(empty.leafCertPem).toBeNull();
    expect(empty.trustedCaPems).toHaveLength(1);
    expect(empty.crlPems).toHaveLength(1);
    expect(empty.crlPems[0]).toContain("BEGIN X509 CRL");
    expect(empty.plan.services.length).toBeGreaterThan(0);

    const again = await buildHostBundle(deps.prisma, hostIds[0]!, { masterKey: deps.masterKey });
    expect(again.bundleHash).toBe(empty.bundleHash);
    const allocations = await harness.db.prisma.portAllocation.count({ where: { hostId: hostIds[0]! } });
    expect(allocations).toBe(Object.keys(empty.plan.allocation).length);

    await issueTunnelLeaf(deps, hostIds[0]!, await newTunnelCsr("bundle-1"));
    const withLeaf = await buildHostBundle(deps.prisma, hostIds[0]!, { masterKey: deps.masterKey });
    expect(withLeaf.leafCertPem).toContain("BEGIN CERTIFICATE");
    expect(withLeaf.bundleHash).not.toBe(empty.bundleHash);
    const desired = await harness.db.prisma.desiredState.findUniqueOrThrow({
      where: { hostId: hostIds[0]! },
    });
    expect(desired.bundleHash).toBe(withLeaf.bundleHash);
    expect(withLeaf.generation).toBe(desired.generation);
  });

  it("revocation bumps members and lists the serial in the CRL", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "revoke", ["10.63.0.1", "10.63.0.2"]);
    const deps = harness.server.services;
    const leaf = await issueTunnelLeaf(deps, hostIds[1]!, await newTunnelCsr("revoke-2"));
    const before = await generations(harness, hostIds);

    const revoked = await callerFor(harness, operator).certificates.revoke({
      id: leaf.id,
      reason: "keyCompromise",
    });
    expect(revoked.state).toBe("revoked");
    expect(revoked.revocationReason).toBe("keyCompromise");
    const after = await generations(harness, hostIds);
    for (const hostId of hostIds) expect(after[hostId]).toBe(before[hostId]! + 1);

    const bundle = await buildHostBundle(deps.prisma, hostIds[0]!, { masterKey: deps.masterKey });
    const crlDer = Buffer.from(bundle.crlPems[0]!.replace(/-----[^-]+-----|\s/g, ""), "base64");
    expect(
      crlDer.includes(
        Buffer.from(leaf.serial.padStart(leaf.serial.length + (leaf.serial.length % 2), "0"), "hex"),
      ),
    ).toBe(true);
    expect(
      await codeOf(callerFor(harness, operator).certificates.revoke({ id: leaf.id, reason: "unspecified" })),
    ).toBe("CONFLICT");
    expect(
      await codeOf(callerFor(harness, viewer).certificates.revoke({ id: leaf.id, reason: "unspecified" })),
    ).toBe("FORBIDDEN");
  });

  it("lists certificates with filters", async () => {
    const api = callerFor(harness, viewer);
    const revoked = await api.certificates.list({ state: "revoked" });
    expect(revoked.length).toBeGreaterThan(0);
    expect(revoked.every((certificate) => certificate.state === "revoked")).toBe(true);
    const soon = await api.certificates.list({ expiresBefore: new Date(Date.now() + 60_000).toISOString() });
    expect(soon).toEqual([]);
  });
});

describe("CA rotation and import", () => {
  it("rotation keeps the old CA trusted until leaves move", async () => {
    const { cluster, hostIds } = await clusterWithMembers(harness, operator, "rotate", [
      "10.64.0.1",
      "10.64.0.2",
    ]);
    const deps = harness.server.services;
    await issueTunnelLeaf(deps, hostIds[0]!, await newTunnelCsr("rotate-1"));
    const api = callerFor(harness, operator);

    const fresh = await api.certificateAuthorities.rotate({ clusterId: cluster.id });
    const authorities = await api.certificateAuthorities.list({ clusterId: cluster.id });
    expect(authorities.find((ca) => ca.id === fresh.id)!.state).toBe("active");
    const old = authorities.find((ca) => ca.id !== fresh.id)!;
    expect(old.state).toBe("retiring");

    const bundle = await buildHostBundle(deps.prisma, hostIds[1]!, { masterKey: deps.masterKey });
    expect(bundle.trustedCaPems).toHaveLength(2);

    const pending = await api.certificateAuthorities.finishRotation({ clusterId: cluster.id });
    expect(pending.pending).toEqual([old.id]);

    const moved = await issueTunnelLeaf(deps, hostIds[0]!, await newTunnelCsr("rotate-1"));
    expect(moved.caId).toBe(fresh.id);
    const retired = await harness.db.prisma.certificateAuthority.findUniqueOrThrow({ where: { id: old.id } });
    expect(retired.state).toBe("retired");
    const after = await buildHostBundle(deps.prisma, hostIds[1]!, { masterKey: deps.masterKey });
    expect(after.trustedCaPems).toEqual([fresh.certPem]);
  });

  it("imports a valid CA and rejects a bad one", async () => {
    const { cluster } = await clusterWithMembers(harness, operator, "import", ["10.65.0.1"]);
    const api = callerFor(harness, operator);
    const external = await createCa({ commonName: "Operator CA", keyType: "ecdsa-p256" });
    const imported = await api.certificateAuthorities.import({
      clusterId: cluster.id,
      certPem: external.certPem,
      keyPem: external.keyPem,
    });
    expect(imported.imported).toBe(true);
    expect(imported.state).toBe("active");

    const other = await createCa({ commonName: "Other CA" });
    const before = await rowCounts(harness);
    const error = await callerFor(harness, operator)
      .certificateAuthorities.import({
        clusterId: cluster.id,
        certPem: external.certPem,
        keyPem: other.keyPem,
      })
      .catch((caught: unknown) => caught as TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect(JSON.stringify((error as TRPCError).cause)).toMatch(/key/i);
    expect(await rowCounts(harness)).toEqual(before);
  });
});

describe("join tokens", () => {
  it("creates, lists, redeems once and revokes", async () => {
    const { cluster, hostIds } = await clusterWithMembers(harness, operator, "join", ["10.66.0.1"]);
    const api = callerFor(harness, operator);
    const token = await api.joinTokens.create({
      clusterId: cluster.id,
      address: "10.66.0.2",
      ttlSeconds: 600,
    });
    expect(token.status).toBe("active");
    expect((await api.joinTokens.list({ clusterId: cluster.id })).map((row) => row.id)).toContain(token.id);
    const stored = await harness.db.prisma.joinToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(stored.tokenHash).not.toContain(token.secret);

    const before = await generations(harness, hostIds);
    const redeemed = await redeemJoinToken(harness.server.services, {
      secret: token.secret,
      proposedHostName: "join-new",
      sourceAddress: "127.0.0.1",
    });
    expect(redeemed.hostName).toBe("join-new");
    expect(redeemed.clusterId).toBe(cluster.id);
    expect((await generations(harness, hostIds))[hostIds[0]!]).toBe(before[hostIds[0]!]! + 1);

    const raced = await api.joinTokens.create({ hostName: "join-raced" });
    const attempts = await Promise.allSettled(
      [1, 2, 3].map(() => redeemJoinToken(harness.server.services, { secret: raced.secret })),
    );
    expect(attempts.filter((attempt) => attempt.status === "fulfilled")).toHaveLength(1);
    expect(await harness.db.prisma.host.count({ where: { name: "join-raced" } })).toBe(1);

    await expect(
      redeemJoinToken(harness.server.services, { secret: token.secret, proposedHostName: "again" }),
    ).rejects.toMatchObject({
      name: "AuthenticationError",
    });

    const agent = await issueAgentCertificate(
      harness.server.services,
      redeemed.hostId,
      await newTunnelCsr("join-new"),
    );
    expect(await verifyChain(agent.certPem, agent.caCertPem)).toBe(true);

    const spare = await api.joinTokens.create({});
    const revoked = await api.joinTokens.revoke({ id: spare.id });
    expect(revoked.status).toBe("revoked");
    await expect(
      redeemJoinToken(harness.server.services, { secret: spare.secret, proposedHostName: "spare" }),
    ).rejects.toMatchObject({
      name: "AuthenticationError",
    });
  });

  it("rejects a lifetime above 24 h and a lone address", async () => {
    const api = callerFor(harness, operator);
    const before = await harness.db.prisma.joinToken.count();
    expect(await codeOf(api.joinTokens.create({ ttlSeconds: 86_401 }))).toBe("BAD_REQUEST");
    expect(await codeOf(api.joinTokens.create({ address: "10.0.0.9" }))).toBe("BAD_REQUEST");
    expect(await harness.db.prisma.joinToken.count()).toBe(before);
  });
});

describe("hosts, state, users and audit", () => {
  it("deleting a host bumps only its former peers", async () => {
    const { cluster, hostIds } = await clusterWithMembers(harness, operator, "hostdel", [
      "10.67.0.1",
      "10.67.0.2",
      "10.67.0.3",
    ]);
    const api = callerFor(harness, operator);
    const leaf = await issueTunnelLeaf(harness.server.services, hostIds[2]!, await newTunnelCsr("hostdel-3"));
    const before = await generations(harness, hostIds);
    await api.hosts.delete({ id: hostIds[2]! });

    const revoked = await harness.db.prisma.certificate.findUniqueOrThrow({ where: { id: leaf.id } });
    expect(revoked.state).toBe("revoked");
    expect(revoked.hostId).toBeNull();
    const after = await generations(harness, hostIds);
    expect(after[hostIds[0]!]).toBe(before[hostIds[0]!]! + 1);
    expect(after[hostIds[1]!]).toBe(before[hostIds[1]!]! + 1);
    expect(after[hostIds[2]!]).toBeUndefined();
    expect((await api.clusters.get({ id: cluster.id })).members).toHaveLength(2);
  });

  it("state shows desired against observed", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "state", ["10.68.0.1"]);
    const desired = await harness.db.prisma.desiredState.findUniqueOrThrow({
      where: { hostId: hostIds[0]! },
    });
    await harness.db.prisma.observedState.create({
      data: { hostId: hostIds[0]!, generation: desired.generation, applyOk: true, connected: true },
    });
    const [state] = await callerFor(harness, viewer).state.list({ hostId: hostIds[0]! });
    expect(state!.inSync).toBe(true);
    await callerFor(harness, operator).clusters.update({
      id: (await harness.db.prisma.membership.findFirstOrThrow({ where: { hostId: hostIds[0]! } })).clusterId,
      strict: true,
    });
    const [stale] = await callerFor(harness, viewer).state.list({ hostId: hostIds[0]! });
    expect(stale!.inSync).toBe(false);
    expect(stale!.desired!.generation).toBe(desired.generation + 1);
  });

  it("state counts a matching bundle hash as in sync", async () => {
    const { hostIds } = await clusterWithMembers(harness, operator, "statehash", ["10.69.0.1"]);
    const hostId = hostIds[0]!;
    const desired = await harness.db.prisma.desiredState.update({
      where: { hostId },
      data: { generation: { increment: 1 }, bundleHash: "sha256:same" },
    });
    await harness.db.prisma.observedState.create({
      data: { hostId, generation: desired.generation - 1, bundleHash: "sha256:same", applyOk: true },
    });

    const [same] = await callerFor(harness, viewer).state.list({ hostId });
    expect(same!.inSync).toBe(true);

    await harness.db.prisma.observedState.update({ where: { hostId }, data: { bundleHash: "sha256:old" } });
    const [differs] = await callerFor(harness, viewer).state.list({ hostId });
    expect(differs!.inSync).toBe(false);
  });

  it("users router is admin-only and audited", async () => {
    expect(await codeOf(callerFor(harness, operator).users.list())).toBe("FORBIDDEN");
    const api = callerFor(harness, admin);
    const user = await api.users.create({
      username: "audited",
      password: "audited password",
      role: "viewer",
    });
    await api.users.update({ id: user.id, role: "operator" });
    await api.users.resetPassword({ id: user.id, password: "another password" });
    await api.users.update({ id: user.id, disabled: true });
    await api.users.delete({ id: user.id });

    const actions = (
      await harness.db.prisma.auditEvent.findMany({ where: { targetId: user.id }, orderBy: { id: "asc" } })
    ).map((event) => event.action);
    expect(actions).toEqual([
      "user.create",
      "user.set_role",
      "user.reset_password",
      "user.disable",
      "user.delete",
    ]);
    const audit = JSON.stringify(
      await harness.db.prisma.auditEvent.findMany({
        where: { targetId: user.id },
        select: { before: true, after: true },
      }),
    );
    expect(audit).not.toContain("another password");
    expect(audit).not.toContain("scrypt$");
  });

  it("audit pages with a cursor and filters", async () => {
    const api = callerFor(harness, viewer);
    const first = await api.audit.list({ limit: 3 });
    expect(first.events).toHaveLength(3);
    expect(first.nextCursor).not.toBeNull();
    const second = await api.audit.list({ limit: 3, cursor: first.nextCursor! });
    expect(Number(second.events[0]!.id)).toBeLessThan(Number(first.events[2]!.id));

    const byActor = await api.audit.list({ actor: operator.name, action: "cluster." });
    expect(byActor.events.length).toBeGreaterThan(0);
    expect(
      byActor.events.every((event) => event.actorId === operator.id && event.action.startsWith("cluster.")),
    ).toBe(true);

    const future = await api.audit.list({ from: new Date(Date.now() + 3600_000).toISOString() });
    expect(future.events).toEqual([]);
    expect(await codeOf(api.audit.list({ cursor: "abc" }))).toBe("BAD_REQUEST");
  });

  it("every mutation wrote an audit row", async () => {
    const actions = new Set(
      (await harness.db.prisma.auditEvent.findMany({ select: { action: true } })).map((row) => row.action),
    );
    for (const action of [
      "cluster.create",
      "cluster.update",
      "member.add",
      "host.delete",
      "certificate.issue",
      "certificate.revoke",
      "ca.rotate",
      "ca.import",
      "ca.finish_rotation",
      "join_token.create",
      "join_token.revoke",
      "host.join",
    ]) {
      expect(actions, action).toContain(action);
    }
  });
});
