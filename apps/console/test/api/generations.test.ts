// Change propagation: each mutation bumps the generation of exactly the affected hosts,
// concurrent edits lose no bump, and a NOTIFY reaches a listener on another connection
// only when the change commits.
import { CHANGES_CHANNEL, type Listener, listen } from "@tunnelfleet/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/server/services/context";
import { callerFor, createUserActor, generations, type Harness, rowCounts, startHarness } from "./harness";

let harness: Harness;
let operator: Actor;

beforeAll(async () => {
  harness = await startHarness();
  operator = await createUserActor(harness, "operator");
});

afterAll(async () => {
  await harness?.close();
});

async function addHosts(clusterId: string, prefix: string, addresses: string[]) {
  const api = callerFor(harness, operator);
  const hostIds: string[] = [];
  for (const [index, address] of addresses.entries()) {
    const member = await api.members.add({ clusterId, hostName: `${prefix}-${index + 1}`, address });
    hostIds.push(member.hostId);
  }
  return hostIds;
}

describe("generation bumps", () => {
  it("bump exactly the affected hosts", async () => {
    const api = callerFor(harness, operator);
    const redis = await api.clusters.create({ name: "gen-redis", preset: "redis" });
    const zk = await api.clusters.create({ name: "gen-zk", preset: "zookeeper" });
    const [r1, r2] = await addHosts(redis.id, "gen-r", ["10.20.0.1", "10.20.0.2"]);
    const [z1] = await addHosts(zk.id, "gen-z", ["10.21.0.1"]);
    const all = [r1!, r2!, z1!];

    let before = await generations(harness, all);
    await api.members.add({ clusterId: redis.id, hostName: "gen-r-3", address: "10.20.0.3" });
    let after = await generations(harness, all);
    expect(after[r1!]).toBe(before[r1!]! + 1);
    expect(after[r2!]).toBe(before[r2!]! + 1);
    expect(after[z1!]).toBe(before[z1!]);

    before = after;
    await api.clusters.update({ id: zk.id, strict: true });
    after = await generations(harness, all);
    expect(after[z1!]).toBe(before[z1!]! + 1);
    expect(after[r1!]).toBe(before[r1!]);
    expect(after[r2!]).toBe(before[r2!]);

    before = after;
    await api.members.remove({ clusterId: redis.id, hostId: r2! });
    after = await generations(harness, all);
    expect(after[r1!]).toBe(before[r1!]! + 1);
    expect(after[r2!]).toBe(before[r2!]! + 1);
    expect(after[z1!]).toBe(before[z1!]);

    before = after;
    await api.certificateAuthorities.rotate({ clusterId: zk.id });
    after = await generations(harness, all);
    expect(after[z1!]).toBe(before[z1!]! + 1);
    expect(after[r1!]).toBe(before[r1!]);
  });

  it("user and token changes bump nothing", async () => {
    const admin = await createUserActor(harness, "admin");
    const before = (await rowCounts(harness)).generationSum;
    await callerFor(harness, admin).users.create({
      username: "no-bump",
      password: "long enough password",
      role: "viewer",
    });
    await callerFor(harness, admin).apiTokens.create({ name: "no-bump", role: "viewer" });
    expect((await rowCounts(harness)).generationSum).toBe(before);
  });

  it("concurrent edits lose no bump", async () => {
    const api = callerFor(harness, operator);
    const cluster = await api.clusters.create({ name: "gen-concurrent", preset: "postgres" });
    const [seed] = await addHosts(cluster.id, "gen-c", ["10.30.0.1"]);
    const start = (await generations(harness, [seed!]))[seed!]!;

    const count = 8;
    const results = await Promise.allSettled(
      Array.from({ length: count }, (_, index) =>
        api.members.add({
          clusterId: cluster.id,
          hostName: `gen-c-par-${index}`,
          address: `10.30.1.${index + 1}`,
        }),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    expect((await generations(harness, [seed!]))[seed!]).toBe(start + count);

    const strictToggles = await Promise.allSettled(
      Array.from({ length: 4 }, (_, index) =>
        api.clusters.update({ id: cluster.id, strict: index % 2 === 0 }),
      ),
    );
    expect(strictToggles.filter((result) => result.status === "rejected")).toEqual([]);
    expect((await generations(harness, [seed!]))[seed!]).toBe(start + count + 4);
  });
});

describe("change notifications", () => {
  let listener: Listener | undefined;

  afterAll(async () => {
    await listener?.close();
  });

  it("listener on another connection receives committed changes only", async () => {
    const received: { hostIds: string[]; reason: string }[] = [];
    listener = await listen(harness.db.url, CHANGES_CHANNEL, (payload) => {
      received.push(JSON.parse(payload) as { hostIds: string[]; reason: string });
    });

    const api = callerFor(harness, operator);
    const cluster = await api.clusters.create({ name: "notify-redis", preset: "redis" });
    const [first] = await addHosts(cluster.id, "notify", ["10.40.0.1"]);
    const second = await api.members.add({
      clusterId: cluster.id,
      hostName: "notify-2",
      address: "10.40.0.2",
    });

    // A rejected change (duplicate address) must not notify.
    await expect(
      api.members.add({ clusterId: cluster.id, hostName: "notify-3", address: "10.40.0.2" }),
    ).rejects.toThrow();

    await expect
      .poll(() => received.some((change) => change.hostIds.includes(second.hostId)), { timeout: 20_000 })
      .toBe(true);
    const last = received.find((change) => change.hostIds.includes(second.hostId))!;
    expect(last.reason).toBe("member.add");
    expect([...last.hostIds].sort()).toEqual([first!, second.hostId].sort());
    expect(received.filter((change) => change.reason === "member.add")).toHaveLength(2);
  });
});
