import { describe, expect, it } from "vitest";
import { createAgent } from "../../src/agent";
import { agentPaths } from "../../src/paths";
import { renewalCheck, renewalDue } from "../../src/renewal";
import { FakeNode } from "../support/fake-node";
import { makeCa, makeLeaf } from "../support/pki";

const DAY_MS = 86_400_000;

describe("renewalDue", () => {
  it("falls at two thirds of the lifetime", () => {
    const notBefore = new Date("2026-01-01T00:00:00Z");
    const notAfter = new Date(notBefore.getTime() + 30 * DAY_MS);
    expect(renewalDue(notBefore, notAfter).toISOString()).toBe("2026-01-21T00:00:00.000Z");
  });
});

describe("renewalCheck", () => {
  async function nodeServing(lifetimeDays: number) {
    const paths = agentPaths("/state", "/run/tf");
    const node = new FakeNode(paths.pidFile, paths.logFile);
    const ca = await makeCa();
    const leaf = await makeLeaf(ca, "a", ["10.213.0.1"], { lifetimeDays });
    node.executor.symlinks.set(paths.currentLink, "generations/1-abc");
    node.executor.files.set("/state/generations/1-abc/cert.pem", { data: leaf.certPem, mode: 0o644 });
    const agent = createAgent({ executor: node.executor, stateDir: "/state", runDir: "/run/tf" });
    const requests: string[] = [];
    const sender = { sendTunnelCsr: async (requestId: string) => void requests.push(requestId) };
    return { agent, node, paths, leaf, requests, sender };
  }

  it("sends a CSR past two thirds of the lifetime", async () => {
    const { agent, leaf, requests, sender } = await nodeServing(30);

    const sent = await renewalCheck(agent, sender, new Date(Date.now() + 21 * DAY_MS));

    expect(sent).toBe(true);
    expect(requests).toEqual([`renewal-${leaf.serial}`]);
  });

  it("waits before two thirds of the lifetime", async () => {
    const { agent, requests, sender } = await nodeServing(30);

    const sent = await renewalCheck(agent, sender, new Date(Date.now() + 10 * DAY_MS));

    expect(sent).toBe(false);
    expect(requests).toEqual([]);
  });

  it("waits while a renewal key is pending", async () => {
    const { agent, node, paths, requests, sender } = await nodeServing(30);
    node.executor.files.set(paths.tunnelNextKey, { data: "pending", mode: 0o600 });

    const sent = await renewalCheck(agent, sender, new Date(Date.now() + 25 * DAY_MS));

    expect(sent).toBe(false);
    expect(requests).toEqual([]);
  });
});
