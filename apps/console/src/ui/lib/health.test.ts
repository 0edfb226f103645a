import { describe, expect, it } from "vitest";
import { countLinks, failedStatClass, healthyStatClass, readHealth } from "./health";

const report = {
  stunnelAlive: true,
  rulesPresent: false,
  listenersUp: [{ address: "10.0.0.1", port: 9000, up: true }],
  servedCertificate: { serial: "0a", notAfter: "2027-01-01T00:00:00.000Z" },
  probes: [
    { clusterId: "c", peerHostId: "h2", address: "10.0.0.2", port: 9000, ok: true },
    { clusterId: "c", peerHostId: "h3", address: "10.0.0.3", port: 9000, ok: false, error: "timed out" },
  ],
};

describe("readHealth", () => {
  it("reads a full report", () => {
    const health = readHealth(report);
    expect(health?.stunnelAlive).toBe(true);
    expect(health?.rulesPresent).toBe(false);
    expect(health?.probes).toHaveLength(2);
    expect(health?.servedCertificate?.serial).toBe("0a");
  });

  it("returns null for a missing or malformed report", () => {
    expect(readHealth(null)).toBeNull();
    expect(readHealth("up")).toBeNull();
    expect(readHealth({ stunnelAlive: "yes", rulesPresent: true })).toBeNull();
  });

  it("drops malformed probes", () => {
    const health = readHealth({ ...report, probes: [{ ok: true }, report.probes[0]] });
    expect(health?.probes).toHaveLength(1);
  });
});

describe("countLinks", () => {
  it("counts ok and failing probes over hosts", () => {
    expect(countLinks([readHealth(report), null, readHealth(report)])).toEqual({ ok: 2, failing: 2 });
  });
});

describe("countLinks of one cluster", () => {
  it("skips probes of other clusters", () => {
    const other = { ...report, probes: report.probes.map((probe) => ({ ...probe, clusterId: "d" })) };
    expect(countLinks([readHealth(report), readHealth(other)], "c")).toEqual({ ok: 1, failing: 1 });
    expect(countLinks([readHealth(other)], "c")).toEqual({ ok: 0, failing: 0 });
  });
});

describe("healthyStatClass", () => {
  it("is green only for healthy counts without failures", () => {
    expect(healthyStatClass(3, 0)).toBe("stat ok");
  });

  it("is neutral for zero or when some failed", () => {
    expect(healthyStatClass(0, 0)).toBe("stat");
    expect(healthyStatClass(2, 1)).toBe("stat");
  });
});

describe("failedStatClass", () => {
  it("is red from the first failure", () => {
    expect(failedStatClass(0)).toBe("stat");
    expect(failedStatClass(1)).toBe("stat failing");
  });
});
