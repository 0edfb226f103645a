import { describe, expect, it } from "vitest";
import {
  type HostPlan,
  iptablesJumpRules,
  MeshValidationError,
  planHost,
  renderIptablesRestore,
  renderStunnelConf,
} from "../src/index";
import { cluster, GOLDEN_PATHS, singleCluster } from "./fixtures";

const mixed = () =>
  planHost(singleCluster(cluster("c1", "cache", "redis"), ["10.0.0.1", "fd00::2", "10.0.0.3"]), "node-id-1");

describe("renderStunnelConf", () => {
  it("rejects unsafe paths", () => {
    for (const cert of [
      "relative/leaf.pem",
      "/tmp/a b.pem",
      "/tmp/a\nconnect = 1.2.3.4:1",
      "/tmp/a;b",
      "/tmp/[x]",
      "",
    ]) {
      let caught: unknown;
      try {
        renderStunnelConf(mixed(), { ...GOLDEN_PATHS, cert });
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(cert)).toBeInstanceOf(MeshValidationError);
      expect((caught as MeshValidationError).issues[0]!.field).toBe("paths.cert");
    }
  });

  it("rejects a plan without services", () => {
    const plan: HostPlan = { ...mixed(), services: [] };
    expect(() => renderStunnelConf(plan, GOLDEN_PATHS)).toThrow(/plan.services/);
  });

  it("gives listed clusters their own credentials", () => {
    const plan = mixed();
    const credentials = { cert: "/c1/leaf.pem", key: "/c1/leaf.key", caFile: "/c1/ca.pem" };
    const text = renderStunnelConf(plan, { ...GOLDEN_PATHS, clusters: { c1: credentials } });
    expect(text.match(/^cert = \/c1\/leaf\.pem$/gm)).toHaveLength(plan.services.length);
    expect(text.match(/^CAfile = \/c1\/ca\.pem$/gm)).toHaveLength(plan.services.length);
    expect(text.match(/^CRLfile = /gm)).toHaveLength(1);
  });

  it("ignores inherited cluster keys", () => {
    const topology = singleCluster(cluster("constructor", "odd", "redis"), ["10.0.0.1", "10.0.0.2"]);
    const text = renderStunnelConf(planHost(topology, "node-id-1"), { ...GOLDEN_PATHS, clusters: {} });
    expect(text).not.toContain("undefined");
    expect(text.match(/^cert = /gm)).toHaveLength(1);
  });

  it("rejects unsafe cluster credential paths", () => {
    const clusters = { c1: { cert: "/ok.pem", key: "/ok.key", caFile: "/a b.pem", crlFile: "x" } };
    let caught: unknown;
    try {
      renderStunnelConf(mixed(), { ...GOLDEN_PATHS, clusters });
    } catch (error) {
      caught = error;
    }
    expect((caught as MeshValidationError).issues.map((issue) => issue.field)).toEqual([
      "paths.clusters.c1.caFile",
      "paths.clusters.c1.crlFile",
    ]);
  });

  it("omits CRLfile and output when absent", () => {
    const text = renderStunnelConf(mixed(), { ...GOLDEN_PATHS, crlFile: undefined, logFile: undefined });
    expect(text).not.toContain("CRLfile");
    expect(text).not.toContain("output =");
  });

  it("foreground logs to stderr", () => {
    const text = renderStunnelConf(mixed(), GOLDEN_PATHS, { foreground: true });
    expect(text).toContain("\nforeground = yes\n");
    expect(text).not.toContain("output =");
  });

  it("writes IPv6 endpoints without brackets", () => {
    const text = renderStunnelConf(mixed(), GOLDEN_PATHS);
    expect(text).toContain(
      "\naccept = ::1:28000\nconnect = fd00::2:19200\nverifyChain = yes\ncheckIP = fd00::2\n",
    );
  });

  it("falls back to the plan TLS version", () => {
    const plan = mixed();
    plan.minTlsVersion = "TLSv1.3";
    for (const service of plan.services) delete service.minTlsVersion;
    const text = renderStunnelConf(plan, GOLDEN_PATHS);
    expect(text.match(/sslVersionMin = TLSv1\.3/g)).toHaveLength(plan.services.length);
  });

  it("never emits numeric verify", () => {
    expect(renderStunnelConf(mixed(), GOLDEN_PATHS)).not.toMatch(/^verify\s*=/m);
  });
});

describe("renderIptablesRestore", () => {
  it("splits rules by family", () => {
    const ipv4 = renderIptablesRestore(mixed(), "ipv4");
    const ipv6 = renderIptablesRestore(mixed(), "ipv6");
    expect(ipv4).toContain("-d 10.0.0.3/32");
    expect(ipv4).not.toContain("fd00::2");
    expect(ipv6).toContain("-d fd00::2/128");
    expect(ipv6).toContain("--to-destination [::1]:");
    expect(ipv6).not.toContain("10.0.0.3");
  });

  it("tags every rule with a comment", () => {
    const topology = singleCluster(cluster("c1", "cache", "redis", { strict: true }), [
      "10.0.0.1",
      "10.0.0.2",
    ]);
    const text = renderIptablesRestore(planHost(topology, "node-id-1"));
    const rules = text.split("\n").filter((line) => line.startsWith("-A "));
    expect(rules).toHaveLength(6);
    for (const rule of rules) expect(rule).toMatch(/-m comment --comment "tunnelfleet cluster c1 /);
  });
});

describe("iptablesJumpRules", () => {
  it("lists check, insert and delete arguments", () => {
    expect(iptablesJumpRules()[0]).toEqual({
      table: "nat",
      chain: "OUTPUT",
      target: "TUNNELFLEET-OUTPUT",
      check: [
        "-t",
        "nat",
        "-C",
        "OUTPUT",
        "-m",
        "comment",
        "--comment",
        "tunnelfleet jump",
        "-j",
        "TUNNELFLEET-OUTPUT",
      ],
      insert: [
        "-t",
        "nat",
        "-I",
        "OUTPUT",
        "1",
        "-m",
        "comment",
        "--comment",
        "tunnelfleet jump",
        "-j",
        "TUNNELFLEET-OUTPUT",
      ],
      delete: [
        "-t",
        "nat",
        "-D",
        "OUTPUT",
        "-m",
        "comment",
        "--comment",
        "tunnelfleet jump",
        "-j",
        "TUNNELFLEET-OUTPUT",
      ],
    });
    expect(iptablesJumpRules().map((jump) => `${jump.table} ${jump.chain} ${jump.target}`)).toEqual([
      "nat OUTPUT TUNNELFLEET-OUTPUT",
      "filter INPUT TUNNELFLEET-INPUT",
      "filter OUTPUT TUNNELFLEET-OUTPUT",
    ]);
  });
});
