import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Agent, createAgent } from "../../src/agent";
import type { AgentBundle } from "../../src/apply/applier";
import { checkAndRepairDrift } from "../../src/drift";
import { agentPaths } from "../../src/paths";
import { FakeNode } from "../support/fake-node";
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from "../support/pki";
import { planFor, redisTopology, type TestMember } from "../support/topology";

const A: TestMember = { id: "host-a", name: "a", address: "10.213.0.1" };
const B: TestMember = { id: "host-b", name: "b", address: "10.213.0.2" };
const C: TestMember = { id: "host-c", name: "c", address: "10.213.0.3" };

let ca: TestCa;
let leaf: TestLeaf;

beforeAll(async () => {
  ca = await makeCa();
  leaf = await makeLeaf(ca, "a", [A.address]);
});

const paths = agentPaths("/state", "/run/tf");
let node: FakeNode;
let agent: Agent;

function bundle(
  generation: number,
  members: TestMember[],
  overrides: Partial<AgentBundle> = {},
): AgentBundle {
  return {
    generation,
    bundleHash: `sha256:${String(generation).padStart(64, "0")}`,
    plan: planFor(redisTopology(members), A.id, undefined),
    trustedCaPems: [ca.certPem],
    leafCertPem: leaf.certPem,
    crlPems: [],
    ...overrides,
  };
}

function indexOf(journal: string[], prefix: string, from = 0): number {
  return journal.findIndex((entry, index) => index >= from && entry.startsWith(prefix));
}

beforeEach(() => {
  node = new FakeNode(paths.pidFile, paths.logFile);
  node.executor.files.set(paths.tunnelKey, { data: leaf.keyPem, mode: 0o600 });
  agent = createAgent({ executor: node.executor, stateDir: paths.stateDir, runDir: paths.runDir });
});

describe("Applier", () => {
  it("applies the first bundle in order: stage, switch, start, rules", async () => {
    const result = await agent.applier.apply(bundle(1, [A, B]));

    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const journal = node.executor.journal;
    const staged = indexOf(journal, "write /state/generations/1-");
    const switched = indexOf(journal, "symlink /state/current");
    const started = indexOf(journal, "run stunnel /state/stunnel.conf");
    const rules = indexOf(journal, "run iptables-nft-restore --noflush");
    const recorded = indexOf(journal, "write /state/state.json");
    expect(staged).toBeGreaterThanOrEqual(0);
    expect(switched).toBeGreaterThan(staged);
    expect(started).toBeGreaterThan(switched);
    expect(rules).toBeGreaterThan(started);
    expect(recorded).toBeGreaterThan(rules);
  });

  it("writes the tunnel key 0600 and generation dirs 0700", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    const target = node.executor.symlinks.get(paths.currentLink)!;

    expect(node.executor.files.get(`/state/${target}/key.pem`)?.mode).toBe(0o600);
    expect(node.executor.files.get(`/state/${target}/key.pem`)?.data).toBe(leaf.keyPem);
    expect(node.executor.directories.get(`/state/${target}`)).toBe(0o700);
    expect(node.executor.directories.get("/state")).toBe(0o700);
  });

  it("reloads with SIGHUP when a member is added", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    const pid = node.stunnelPid()!;

    const result = await agent.applier.apply(bundle(2, [A, B, C]));

    expect(result.ok).toBe(true);
    expect(result.restarted).toBe(false);
    expect(result.stunnelPid).toBe(pid);
    expect(node.executor.journal).toContain(`signal SIGHUP ${pid}`);
    expect(node.restores.at(-1)).toContain("-d 10.213.0.3/32");
  });

  it("restarts when a restart-only option changed", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    const pid = node.stunnelPid()!;
    const target = node.executor.symlinks.get(paths.currentLink)!;
    const conf = node.executor.files.get(`/state/${target}/stunnel.conf`)!;
    conf.data = conf.data.replace("foreground = no", "foreground = no\nsetuid = stunnel4");

    const result = await agent.applier.apply(bundle(2, [A, B, C]));

    expect(result.ok).toBe(true);
    expect(result.restarted).toBe(true);
    expect(node.executor.journal).toContain(`signal SIGTERM ${pid}`);
    expect(result.stunnelPid).not.toBe(pid);
  });

  it("rolls back a reload stunnel cannot parse", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    const good = node.executor.symlinks.get(paths.currentLink);
    const restoresBefore = node.restores.length;
    node.knobs.failReloadParse = true;

    const result = await agent.applier.apply(bundle(2, [A, B, C]));

    expect(result.ok).toBe(false);
    expect(result.failedStep).toBe("stunnel");
    expect(result.error).toContain("Failed to reload the configuration file");
    expect(result.rolledBack).toBe(true);
    expect(node.executor.symlinks.get(paths.currentLink)).toBe(good);
    expect(node.restores.length).toBe(restoresBefore);
  });

  it("rolls back a reload whose new service cannot bind", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    const good = node.executor.symlinks.get(paths.currentLink);
    const pid = node.stunnelPid()!;
    node.unownedAddresses.add("10.213.0.9");
    const moved: TestMember = { ...A, address: "10.213.0.9" };
    const restoresBefore = node.restores.length;

    const result = await agent.applier.apply(
      bundle(2, [moved, B], { plan: planFor(redisTopology([moved, B]), A.id, undefined) }),
    );

    expect(result.ok).toBe(false);
    expect(result.failedStep).toBe("stunnel");
    expect(result.error).toContain("Binding service [redis/in/6379] failed");
    expect(result.rolledBack).toBe(true);
    expect(node.executor.symlinks.get(paths.currentLink)).toBe(good);
    expect(node.stunnelPid()).toBe(pid);
    expect(node.executor.listening).toContainEqual({ address: A.address, port: 16400 });
    expect(node.restores.length).toBe(restoresBefore);
  });

  it("keeps the old redirects when the new rules fail", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    const good = node.executor.symlinks.get(paths.currentLink);
    const pid = node.stunnelPid()!;
    const rulesBefore = [...node.chains.get("nat/TUNNELFLEET-OUTPUT")!];
    node.knobs.failRestore = true;

    const result = await agent.applier.apply(bundle(2, [A, B, C]));

    expect(result.ok).toBe(false);
    expect(result.failedStep).toBe("netfilter");
    expect(result.rolledBack).toBe(true);
    expect(node.chains.get("nat/TUNNELFLEET-OUTPUT")).toEqual(rulesBefore);
    expect(node.executor.symlinks.get(paths.currentLink)).toBe(good);
    const hups = node.executor.journal.filter((entry) => entry === `signal SIGHUP ${pid}`);
    expect(hups).toHaveLength(2);
    expect(node.executor.listening).not.toContainEqual(expect.objectContaining({ port: 28001 }));
  });

  it("stops stunnel when the first bundle fails", async () => {
    node.knobs.failRestore = true;

    const result = await agent.applier.apply(bundle(1, [A, B]));

    expect(result.ok).toBe(false);
    expect(result.rolledBack).toBe(true);
    expect(node.stunnelPid()).toBeUndefined();
    expect(node.executor.symlinks.has(paths.currentLink)).toBe(false);
  });

  it("rejects a taken accept port before changing anything", async () => {
    node.setForeignSockets([{ address: "0.0.0.0", port: 16400 }]);

    const result = await agent.applier.apply(bundle(1, [A, B]));

    expect(result.ok).toBe(false);
    expect(result.failedStep).toBe("preflight");
    expect(result.error).toContain("10.213.0.1:16400");
    expect(
      node.executor.journal.some((entry) => entry.startsWith("write") || entry.startsWith("symlink")),
    ).toBe(false);
  });

  it("accepts ports its own stunnel already holds", async () => {
    await agent.applier.apply(bundle(1, [A, B]));

    const result = await agent.applier.apply(bundle(2, [A, B, C]));

    expect(result.ok).toBe(true);
  });

  it("rejects a leaf no local key matches", async () => {
    node.executor.files.delete(paths.tunnelKey);

    const result = await agent.applier.apply(bundle(1, [A, B]));

    expect(result.failedStep).toBe("preflight");
    expect(result.error).toContain("no tunnel key on this node matches");
  });

  it("rejects a leaf from another CA", async () => {
    const otherCa = await makeCa("Other CA");

    const result = await agent.applier.apply(bundle(1, [A, B], { trustedCaPems: [otherCa.certPem] }));

    expect(result.failedStep).toBe("preflight");
    expect(result.error).toContain("does not chain to any trusted CA");
  });

  it("rejects an expired leaf", async () => {
    const issuedAt = new Date(Date.now() - 3 * 86_400_000);
    const oldCa = await makeCa("Old CA", issuedAt);
    const old = await makeLeaf(oldCa, "a", [A.address], {
      keyPem: leaf.keyPem,
      lifetimeDays: 1,
      now: issuedAt,
    });

    const result = await agent.applier.apply(
      bundle(1, [A, B], { leafCertPem: old.certPem, trustedCaPems: [oldCa.certPem] }),
    );

    expect(result.failedStep).toBe("preflight");
    expect(result.error).toContain("not now");
  });

  it("rejects a plan with IPv6 rules", async () => {
    const v6: TestMember = { id: "host-b", name: "b", address: "fd00::2" };
    const plan = planFor(redisTopology([{ ...A, address: "fd00::1" }, v6]), A.id, undefined);

    const result = await agent.applier.apply(bundle(1, [A, B], { plan }));

    expect(result.failedStep).toBe("preflight");
    expect(result.error).toContain("IPv6 rules (for fd00::2)");
    expect(node.executor.journal.some((entry) => entry.startsWith("write"))).toBe(false);
  });

  it("rejects an invalid bundle naming the field", async () => {
    const broken = { ...bundle(1, [A, B]), trustedCaPems: ["not a pem"] };

    const result = await agent.applier.apply(broken);

    expect(result.failedStep).toBe("validate");
    expect(result.error).toContain("trustedCaPems.0");
  });

  it("promotes the renewal key once its leaf applies", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    const renewed = await makeLeaf(ca, "a", [A.address]);
    node.executor.files.set(paths.tunnelNextKey, { data: renewed.keyPem, mode: 0o600 });

    const result = await agent.applier.apply(bundle(2, [A, B], { leafCertPem: renewed.certPem }));

    expect(result.ok).toBe(true);
    expect(node.executor.files.get(paths.tunnelKey)?.data).toBe(renewed.keyPem);
    expect(node.executor.files.has(paths.tunnelNextKey)).toBe(false);
  });
});

describe("drift repair", () => {
  it("re-applies a flushed chain", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    node.chains.set("nat/TUNNELFLEET-OUTPUT", []);

    const report = await checkAndRepairDrift(agent);

    expect(report.found).toContain("nat TUNNELFLEET-OUTPUT: rules-altered");
    expect(report.failed).toEqual([]);
    expect(node.chains.get("nat/TUNNELFLEET-OUTPUT")?.join("\n")).toContain(
      "--to-destination 127.0.0.1:28000",
    );
  });

  it("restarts a dead stunnel", async () => {
    await agent.applier.apply(bundle(1, [A, B]));
    node.executor.processes.clear();

    const report = await checkAndRepairDrift(agent);

    expect(report.found).toContain("stunnel not running");
    expect(node.stunnelPid()).toBeDefined();
  });

  it("finds nothing on an intact node", async () => {
    await agent.applier.apply(bundle(1, [A, B]));

    const report = await checkAndRepairDrift(agent);

    expect(report.found).toEqual([]);
  });
});
