import { describe, expect, it } from "vitest";
import {
  assertValidTopology,
  MeshValidationError,
  type Topology,
  validateAddress,
  validateClusterSpec,
  validateHostName,
  validateId,
  validateName,
  validatePort,
  validateTopology,
} from "../src/index";
import { cluster, longestNamesCase, singleCluster } from "./fixtures";

const HOSTILE = [
  "",
  "a b",
  "a\nb",
  "a\rb",
  "a[b",
  "a]b",
  "a=b",
  "a;b",
  "a#b",
  'a"b',
  "a'b",
  "a$b",
  "a`b",
  "a|b",
  "a&b",
  "a/b",
  "a\\b",
  "a*b",
  "a(b",
  "-a",
  "a-",
  "ä",
];

describe("validateName", () => {
  it("accepts safe names", () => {
    for (const name of ["grid", "a", "Prod.cache_1-eu", "x".repeat(63)]) {
      expect(validateName("cluster.name", name)).toBeUndefined();
    }
  });

  it("rejects unsafe names", () => {
    for (const name of [...HOSTILE, "x".repeat(64), 42, null, undefined]) {
      const issue = validateName("cluster.name", name);
      expect(issue, JSON.stringify(name)).toBeDefined();
      expect(issue!.field).toBe("cluster.name");
      expect(issue!.value).toBe(name);
    }
  });

  it("message names field, value and fix", () => {
    const issue = validateName("clusters[1].name", "a;b")!;
    expect(issue.message).toContain("clusters[1].name");
    expect(issue.message).toContain('"a;b"');
    expect(issue.message).toContain("use 1-63 letters");
  });
});

describe("validateHostName", () => {
  it("accepts DNS names", () => {
    for (const name of ["node-1", "app-1.example.internal", "A1.b2", `${"a".repeat(63)}.b`]) {
      expect(validateHostName("hosts[0].name", name)).toBeUndefined();
    }
  });

  it("rejects other names", () => {
    for (const name of [
      ...HOSTILE,
      "node_1",
      "a..b",
      ".a",
      "a.",
      "a.-b",
      "x".repeat(64),
      `${"a.".repeat(60)}a`,
      7,
    ]) {
      expect(validateHostName("hosts[0].name", name), JSON.stringify(name)).toBeDefined();
    }
  });
});

describe("validateId", () => {
  it("accepts cuid and uuid shapes", () => {
    for (const id of ["c1", "clx2k9q0b0000abcd", "5f1c2a8e-4b7d-4f0e-9c7a-1d2e3f4a5b6c", "h_1"]) {
      expect(validateId("hosts[0].id", id)).toBeUndefined();
    }
  });

  it("rejects other ids", () => {
    for (const id of ["", "a b", "a.b", "a/b", "a\nb", "_a", "x".repeat(65), 1]) {
      expect(validateId("hosts[0].id", id), JSON.stringify(id)).toBeDefined();
    }
  });
});

describe("validatePort", () => {
  it("accepts 1 to 65535", () => {
    expect(validatePort("p", 1)).toBeUndefined();
    expect(validatePort("p", 65535)).toBeUndefined();
  });

  it("rejects out of range and non-integers", () => {
    for (const port of [0, -1, 65536, 1.5, Number.NaN, "80", null]) {
      const issue = validatePort("clusters[0].appPorts[0]", port);
      expect(issue, String(port)).toBeDefined();
      expect(issue!.message).toContain("clusters[0].appPorts[0]");
    }
  });
});

describe("validateAddress", () => {
  it("returns canonical forms", () => {
    expect(validateAddress("a", "10.0.0.1")).toEqual({ ok: true, address: "10.0.0.1", family: "ipv4" });
    expect(validateAddress("a", "FD00:0::0:1")).toEqual({ ok: true, address: "fd00::1", family: "ipv6" });
    expect(validateAddress("a", "2001:0db8:0000:0000:0000:0000:0000:0001")).toEqual({
      ok: true,
      address: "2001:db8::1",
      family: "ipv6",
    });
  });

  it("rejects unusable addresses", () => {
    const rejected = [
      "0.0.0.0",
      "255.255.255.255",
      "224.0.0.1",
      "127.0.0.1",
      "127.8.0.1",
      "169.254.1.1",
      "240.0.0.1",
      "::",
      "::1",
      "ff02::1",
      "fe80::1",
      "fe80::1%eth0",
      "::ffff:10.0.0.1",
      "10.1",
      "010.0.0.1",
      "10.0.0.01",
      "0x0a.0.0.1",
      "10.0.0.256",
      " 10.0.0.1",
      "10.0.0.1\n",
      "10.0.0.1;",
      "[fd00::1]",
      "host.example",
      "",
      42,
    ];
    for (const address of rejected) {
      const result = validateAddress("memberships[0].address", address);
      expect(result.ok, JSON.stringify(address)).toBe(false);
      if (!result.ok) expect(result.issue.field).toBe("memberships[0].address");
    }
  });

  it("explains IPv4-mapped rejection", () => {
    const result = validateAddress("a", "::ffff:10.0.0.1");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issue.message).toContain("IPv4-mapped");
  });

  it("canonicalises embedded IPv4 notation", () => {
    expect(validateAddress("a", "64:ff9b::10.0.0.1")).toEqual({
      ok: true,
      address: "64:ff9b::a00:1",
      family: "ipv6",
    });
  });

  it("explains loopback rejection", () => {
    const result = validateAddress("memberships[3].address", "127.0.0.1");
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issue.message).toContain("memberships[3].address");
      expect(result.issue.message).toContain('"127.0.0.1"');
      expect(result.issue.message).toContain("loopback");
    }
  });
});

describe("validateClusterSpec", () => {
  it("accepts every preset with defaults", () => {
    for (const preset of [
      "hazelcast",
      "redis",
      "rabbitmq",
      "zookeeper",
      "elasticsearch",
      "postgres",
    ] as const) {
      expect(validateClusterSpec(cluster("c1", "x", preset))).toEqual([]);
    }
    expect(validateClusterSpec(cluster("c1", "x", "custom", { appPorts: [7000] }))).toEqual([]);
  });

  it("rejects a custom cluster without ports", () => {
    const issues = validateClusterSpec(cluster("c1", "x", "custom"));
    expect(issues.map((issue) => issue.field)).toEqual(["cluster.appPorts"]);
  });

  it("rejects inbound port equal to app port", () => {
    const issues = validateClusterSpec(
      cluster("c1", "x", "custom", { appPorts: [7000, 7001], inboundPortBase: 6999 }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe("cluster.inboundPortBase");
    expect(issues[0]!.message).toContain("inbound port 7000");
  });

  it("rejects inbound ports in outbound range", () => {
    const issues = validateClusterSpec(cluster("c1", "x", "redis", { inboundPortBase: 27999 }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain("inbound port 28000");
  });

  it("rejects inbound ports past 65535", () => {
    const issues = validateClusterSpec(cluster("c1", "x", "hazelcast", { inboundPortBase: 65534 }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain("at most 65533");
  });

  it("rejects duplicate and invalid app ports", () => {
    const issues = validateClusterSpec(
      cluster("c1", "x", "custom", { appPorts: [7000, 7000, 70000] }),
      "clusters[2]",
    );
    expect(issues.map((issue) => issue.field).sort()).toEqual([
      "clusters[2].appPorts[1]",
      "clusters[2].appPorts[2]",
    ]);
  });

  it("rejects too many app ports", () => {
    const appPorts = Array.from({ length: 17 }, (_, index) => 7000 + index);
    expect(
      validateClusterSpec(cluster("c1", "x", "custom", { appPorts })).map((issue) => issue.field),
    ).toEqual(["cluster.appPorts"]);
  });

  it("rejects bad TLS policy and flags", () => {
    const spec = {
      ...cluster("c1", "x", "redis"),
      preset: "mysql",
      tls: { keyType: "dsa-1024", leafLifetimeDays: 0, minTlsVersion: "TLSv1.1" },
      strict: "yes",
    };
    expect(
      validateClusterSpec(spec)
        .map((issue) => issue.field)
        .sort(),
    ).toEqual([
      "cluster.preset",
      "cluster.strict",
      "cluster.tls.keyType",
      "cluster.tls.leafLifetimeDays",
      "cluster.tls.minTlsVersion",
    ]);
  });

  it("rejects non-objects", () => {
    expect(validateClusterSpec(null)).toHaveLength(1);
    expect(validateClusterSpec([1])).toHaveLength(1);
  });
});

function fields(topology: unknown): string[] {
  return validateTopology(topology).map((issue) => issue.field);
}

describe("validateTopology", () => {
  const base = (): Topology =>
    singleCluster(cluster("c1", "grid", "hazelcast"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);

  it("accepts a valid topology", () => {
    expect(validateTopology(base())).toEqual([]);
  });

  it("accepts the longest names", () => {
    const { topology } = longestNamesCase();
    expect(validateTopology(topology)).toEqual([]);
    expect(topology.hosts[0]!.name).toHaveLength(120);
    expect(topology.clusters[0]!.name).toHaveLength(63);
    expect(topology.clusters[0]!.id).toHaveLength(64);
  });

  it("rejects a duplicate member", () => {
    const topology = base();
    topology.memberships.push({ clusterId: "c1", hostId: "node-id-1", address: "10.0.0.9" });
    expect(fields(topology)).toEqual(["memberships[3].hostId"]);
  });

  it("rejects a duplicate address in a cluster", () => {
    const topology = base();
    topology.memberships[2]!.address = "10.0.0.1";
    expect(fields(topology)).toEqual(["memberships[2].address"]);
  });

  it("rejects an address shared by two hosts", () => {
    const topology = base();
    topology.clusters.push(cluster("c2", "cache", "redis"));
    topology.memberships.push({ clusterId: "c2", hostId: "node-id-2", address: "10.0.0.1" });
    expect(fields(topology)).toEqual(["memberships[3].address"]);
  });

  it("rejects a non-canonical address", () => {
    const topology = singleCluster(cluster("c1", "grid", "redis"), ["10.0.0.1", "FD00::2"]);
    const issues = validateTopology(topology);
    expect(issues.map((issue) => issue.field)).toEqual(["memberships[1].address"]);
    expect(issues[0]!.message).toContain("write it as fd00::2");
  });

  it("rejects unknown cluster and host ids", () => {
    const topology = base();
    topology.memberships.push({ clusterId: "nope", hostId: "missing", address: "10.0.0.9" });
    expect(fields(topology)).toEqual(["memberships[3].clusterId", "memberships[3].hostId"]);
  });

  it("rejects duplicate cluster and host ids and names", () => {
    const topology = base();
    topology.clusters.push(cluster("c1", "GRID", "redis"));
    topology.hosts.push({ id: "node-id-1", name: "NODE-2" });
    expect(fields(topology).sort()).toEqual([
      "clusters[1].id",
      "clusters[1].name",
      "hosts[3].id",
      "hosts[3].name",
    ]);
  });

  it("rejects hostile names in a topology", () => {
    const topology = base();
    topology.clusters[0]!.name = "grid]\n[evil";
    topology.hosts[1]!.name = "node;rm -rf";
    expect(fields(topology)).toEqual([
      "clusters[0].name",
      "hosts[1].name",
      "memberships[0].clusterId",
      "memberships[1].clusterId",
      "memberships[2].clusterId",
    ]);
  });

  it("rejects inbound ports shared by two clusters on a host", () => {
    const topology = base();
    topology.clusters.push(cluster("c2", "grid-b", "hazelcast", { appPorts: [5801] }));
    topology.memberships.push({ clusterId: "c2", hostId: "node-id-1", address: "10.0.1.1" });
    const issues = validateTopology(topology);
    expect(issues.map((issue) => issue.field)).toEqual(["memberships[3].clusterId"]);
    expect(issues[0]!.message).toContain("inbound port 19100");
  });

  it("rejects inbound port equal to another cluster's app port", () => {
    const topology = base();
    topology.clusters.push(cluster("c2", "side", "custom", { appPorts: [19101] }));
    topology.memberships.push({ clusterId: "c2", hostId: "node-id-2", address: "10.0.1.2" });
    const issues = validateTopology(topology);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain("inbound port 19101");
  });

  it("rejects one app port on one address twice", () => {
    const topology = base();
    topology.clusters.push(cluster("c2", "grid-b", "custom", { appPorts: [5701], inboundPortBase: 19800 }));
    topology.memberships.push({ clusterId: "c2", hostId: "node-id-1", address: "10.0.0.1" });
    const issues = validateTopology(topology);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toContain("app port 5701");
  });

  it("accepts one app port on two addresses", () => {
    const topology = base();
    topology.clusters.push(cluster("c2", "grid-b", "custom", { appPorts: [5701], inboundPortBase: 19800 }));
    topology.memberships.push({ clusterId: "c2", hostId: "node-id-1", address: "10.0.1.1" });
    expect(validateTopology(topology)).toEqual([]);
  });

  it("rejects malformed shapes", () => {
    expect(fields(null)).toEqual(["topology"]);
    expect(fields({ clusters: [], hosts: {} })).toEqual(["hosts", "memberships"]);
    expect(fields({ clusters: [3], hosts: ["h"], memberships: [null] })).toEqual([
      "clusters[0]",
      "hosts[0]",
      "memberships[0]",
    ]);
  });

  it("assertValidTopology throws with issues", () => {
    const topology = base();
    topology.memberships[0]!.address = "127.0.0.1";
    let caught: unknown;
    try {
      assertValidTopology(topology);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MeshValidationError);
    expect((caught as MeshValidationError).issues.map((issue) => issue.field)).toEqual([
      "memberships[0].address",
    ]);
    expect((caught as MeshValidationError).message).toContain("loopback");
  });
});
