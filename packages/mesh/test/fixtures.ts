// Topologies shared by the unit, golden, property and system tests.
import {
  type ClusterPreset,
  type ClusterSpec,
  defaultInboundPortBase,
  defaultTlsPolicy,
  type PortAllocation,
  PRESET_PORTS,
  type StunnelPaths,
  type Topology,
} from "../src/index";

export function cluster(
  id: string,
  name: string,
  preset: ClusterPreset,
  overrides: Partial<ClusterSpec> = {},
): ClusterSpec {
  return {
    id,
    name,
    preset,
    appPorts: [...PRESET_PORTS[preset]],
    inboundPortBase: defaultInboundPortBase(preset),
    tls: { ...defaultTlsPolicy },
    strict: false,
    ...overrides,
  };
}

/** Builds a topology of one cluster whose members are hosts `<prefix>-1`, `<prefix>-2`, ... at the given addresses. */
export function singleCluster(spec: ClusterSpec, addresses: string[], prefix = "node"): Topology {
  const hosts = addresses.map((_, index) => ({
    id: `${prefix}-id-${index + 1}`,
    name: `${prefix}-${index + 1}`,
  }));
  return {
    clusters: [spec],
    hosts,
    memberships: addresses.map((address, index) => ({
      clusterId: spec.id,
      hostId: hosts[index]!.id,
      address,
    })),
  };
}

export interface GoldenCase {
  /** File stem under test/golden. */
  name: string;
  topology: Topology;
  hostId: string;
  previousAllocation?: PortAllocation;
  /** Per-cluster credential files, as in StunnelPaths.clusters. */
  clusterPaths?: StunnelPaths["clusters"];
}

function twoClusters(): Topology {
  const redis = cluster("c-redis", "sessions", "redis");
  const hazelcast = cluster("c-hz", "grid", "hazelcast");
  const hosts = [
    { id: "h1", name: "app-1.example.internal" },
    { id: "h2", name: "app-2.example.internal" },
    { id: "h3", name: "app-3.example.internal" },
  ];
  return {
    clusters: [redis, hazelcast],
    hosts,
    memberships: [
      { clusterId: "c-redis", hostId: "h1", address: "10.77.1.1" },
      { clusterId: "c-redis", hostId: "h2", address: "10.77.1.2" },
      { clusterId: "c-hz", hostId: "h1", address: "10.77.2.1" },
      { clusterId: "c-hz", hostId: "h3", address: "10.77.2.3" },
    ],
  };
}

/** Every golden file pair: the stunnel.conf and iptables text of one host of one topology. */
export const GOLDEN_CASES: GoldenCase[] = [
  {
    name: "redis-2-members",
    topology: singleCluster(cluster("c-redis", "cache", "redis"), ["10.77.0.1", "10.77.0.2"]),
    hostId: "node-id-1",
  },
  {
    name: "elasticsearch-3-members",
    topology: singleCluster(cluster("c-es", "search", "elasticsearch"), [
      "10.77.3.1",
      "10.77.3.2",
      "10.77.3.3",
    ]),
    hostId: "node-id-2",
  },
  {
    name: "hazelcast-5-members",
    topology: singleCluster(cluster("c-hz", "grid", "hazelcast"), [
      "10.77.4.1",
      "10.77.4.2",
      "10.77.4.3",
      "10.77.4.4",
      "10.77.4.5",
    ]),
    hostId: "node-id-3",
  },
  {
    name: "zookeeper-3-members-strict",
    topology: singleCluster(cluster("c-zk", "coordination", "zookeeper", { strict: true }), [
      "10.77.5.1",
      "10.77.5.2",
      "10.77.5.3",
    ]),
    hostId: "node-id-1",
  },
  {
    name: "host-in-two-clusters",
    topology: twoClusters(),
    hostId: "h1",
  },
  {
    name: "host-in-two-clusters-separate-cas",
    topology: twoClusters(),
    hostId: "h1",
    clusterPaths: {
      "c-hz": {
        cert: "/var/lib/tunnelfleet/current/c-hz/leaf.pem",
        key: "/var/lib/tunnelfleet/current/c-hz/leaf.key",
        caFile: "/var/lib/tunnelfleet/current/c-hz/ca.pem",
        crlFile: "/var/lib/tunnelfleet/current/c-hz/crl.pem",
      },
    },
  },
  {
    name: "ipv6-3-members-strict",
    topology: singleCluster(
      cluster("c-pg", "ledger", "postgres", {
        strict: true,
        tls: { ...defaultTlsPolicy, minTlsVersion: "TLSv1.3" },
      }),
      ["fd77::1", "fd77::2", "fd77::3"],
    ),
    hostId: "node-id-1",
  },
  {
    name: "custom-with-previous-allocation",
    topology: singleCluster(cluster("c-app", "queue", "custom", { appPorts: [7000, 7001] }), [
      "10.77.6.1",
      "10.77.6.2",
      "10.77.6.3",
    ]),
    hostId: "node-id-1",
    previousAllocation: {
      "c-app/node-id-3/7000": 28100,
      "c-app/node-id-3/7001": 28101,
      "c-app/gone/7000": 28000,
    },
  },
];

/** Fixed node paths for golden files; system tests render with temp paths instead. */
export const GOLDEN_PATHS: StunnelPaths = {
  cert: "/var/lib/tunnelfleet/current/leaf.pem",
  key: "/var/lib/tunnelfleet/current/leaf.key",
  caFile: "/var/lib/tunnelfleet/current/ca.pem",
  crlFile: "/var/lib/tunnelfleet/current/crl.pem",
  pidFile: "/run/tunnelfleet/stunnel.pid",
  logFile: "/var/log/tunnelfleet/stunnel.log",
};

/** A host whose ids and names have the maximum lengths that validation accepts. */
export function longestNamesCase(): GoldenCase {
  const label = (char: string) => char.repeat(58);
  const hostName = (index: number) => `${label("a")}.${label("b")}.n${index}`;
  const id = (char: string) => char.repeat(64);
  const spec = cluster(id("c"), "x".repeat(63), "hazelcast", { strict: true });
  const hosts = [1, 2].map((index) => ({ id: id(String(index)), name: hostName(index) }));
  return {
    name: "longest-names",
    topology: {
      clusters: [spec],
      hosts,
      memberships: hosts.map((host, index) => ({
        clusterId: spec.id,
        hostId: host.id,
        address: `10.77.9.${index + 1}`,
      })),
    },
    hostId: hosts[0]!.id,
  };
}
