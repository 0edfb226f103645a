// Property tests: whatever validation accepts renders only safe text, invalid input is
// rejected rather than changed, allocation is stable and rendering is deterministic.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allocateLocalPorts,
  bundleHash,
  type ClusterSpec,
  MeshValidationError,
  planHost,
  renderIptablesRestore,
  renderStunnelConf,
  type Topology,
  validateTopology,
} from "../src/index";
import { cluster, GOLDEN_PATHS } from "./fixtures";

// A fixed seed keeps every run identical; change it locally to explore other inputs.
fc.configureGlobal({ seed: 20261204 });

const HOSTILE_PARTS = [
  "\n",
  "\r",
  "[",
  "]",
  "=",
  ";",
  "#",
  '"',
  "'",
  " ",
  "$",
  "`",
  "|",
  "&",
  "<",
  ">",
  "(",
  ")",
  "\\",
  "*",
  "?",
  "!",
  "~",
  "{",
  "}",
  "/",
  "%",
  "\t",
  "\0",
];

const safeName = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,8}[a-z0-9]$/);
const hostileText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.tuple(safeName, fc.constantFrom(...HOSTILE_PARTS), safeName).map(([a, bad, b]) => `${a}${bad}${b}`),
);
/** Mostly valid names, sometimes hostile text. */
const name = fc.oneof({ weight: 6, arbitrary: safeName }, { weight: 1, arbitrary: hostileText });
const safeHostName = fc.stringMatching(/^[a-z0-9]{1,6}(-[a-z0-9]{1,4})?(\.[a-z0-9]{1,5})?$/);
const hostName = fc.oneof({ weight: 6, arbitrary: safeHostName }, { weight: 1, arbitrary: hostileText });
/** Member address of host `hostIndex` in cluster `clusterIndex`, in the chosen form: IPv4, IPv6 or hostile text. */
const addressForm = fc.oneof(
  { weight: 8, arbitrary: fc.constant("ipv4") },
  { weight: 4, arbitrary: fc.constant("ipv6") },
  { weight: 1, arbitrary: hostileText },
);

function memberAddress(form: string, clusterIndex: number, hostIndex: number): string {
  if (form === "ipv4") return `10.9.${clusterIndex}.${hostIndex + 1}`;
  if (form === "ipv6") return `fd09::${clusterIndex + 1}:${hostIndex + 1}`;
  return form;
}

const clusterArb = (index: number, presets: ClusterSpec["preset"][]): fc.Arbitrary<ClusterSpec> =>
  fc
    .record({
      name,
      preset: fc.constantFrom(...presets),
      strict: fc.boolean(),
      minTlsVersion: fc.constantFrom("TLSv1.2", "TLSv1.3" as const),
    })
    .map(({ name: clusterName, preset, strict, minTlsVersion }) =>
      cluster(`c${index}`, clusterName, preset, {
        strict,
        inboundPortBase: 20000 + index * 100,
        tls: { keyType: "ecdsa-p256", leafLifetimeDays: 30, minTlsVersion },
      }),
    );

const topologyArb: fc.Arbitrary<Topology> = fc
  .tuple(
    fc.tuple(clusterArb(0, ["hazelcast", "zookeeper"]), clusterArb(1, ["redis", "postgres"])),
    fc.array(
      fc.record({
        id: fc.oneof({ weight: 8, arbitrary: fc.constant("") }, { weight: 1, arbitrary: hostileText }),
        name: hostName,
      }),
      {
        minLength: 1,
        maxLength: 5,
      },
    ),
    fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 4 }), addressForm), {
      maxLength: 10,
      selector: ([clusterIndex, hostIndex]) => `${clusterIndex}/${hostIndex}`,
    }),
  )
  .map(([clusters, hosts, memberships]) => {
    const hostSpecs = hosts.map((host, index) => ({
      id: host.id === "" ? `h${index}` : host.id,
      name: host.name,
    }));
    return {
      clusters,
      hosts: hostSpecs,
      memberships: memberships
        .filter(([, hostIndex]) => hostIndex < hostSpecs.length)
        .map(([clusterIndex, hostIndex, form]) => ({
          clusterId: clusters[clusterIndex]!.id,
          hostId: hostSpecs[hostIndex]!.id,
          address: memberAddress(form, clusterIndex, hostIndex),
        })),
    };
  });

const VALUE = /^[A-Za-z0-9._/:-]+$/;
const STUNNEL_LINES = [
  /^$/,
  /^; [A-Za-z0-9 .:,()/_-]*$/,
  /^\[[A-Za-z0-9._/-]+\]$/,
  /^[A-Za-z]+ = [A-Za-z0-9._/:-]+$/,
];

/** Throws unless every line of a stunnel.conf is blank, a comment, a section or `option = value` of safe characters. */
function assertSafeStunnel(text: string): void {
  for (const line of text.slice(0, -1).split("\n")) {
    if (!STUNNEL_LINES.some((pattern) => pattern.test(line)))
      throw new Error(`unsafe stunnel line ${JSON.stringify(line)}`);
  }
}

/** Splits an iptables-restore rule line into arguments, keeping double-quoted ones whole. */
function splitArguments(line: string): string[] {
  return line.match(/"[^"]*"|\S+/g) ?? [];
}

/** Throws unless every line of iptables-restore text is a known header or a rule of safe arguments. */
function assertSafeRules(text: string): void {
  for (const line of text.slice(0, -1).split("\n")) {
    if (/^# [A-Za-z0-9 .:,()/_-]*$/.test(line) || /^\*(nat|filter)$/.test(line) || line === "COMMIT")
      continue;
    if (/^:TUNNELFLEET-(INPUT|OUTPUT) - \[0:0\]$/.test(line)) continue;
    if (!line.startsWith("-A TUNNELFLEET-")) throw new Error(`unexpected rules line ${JSON.stringify(line)}`);
    for (const argument of splitArguments(line)) {
      const safe =
        VALUE.test(argument) ||
        argument === "!" ||
        /^"tunnelfleet [A-Za-z0-9 _-]+"$/.test(argument) ||
        /^\[::1\]:\d+$/.test(argument);
      if (!safe)
        throw new Error(`unsafe iptables argument ${JSON.stringify(argument)} in ${JSON.stringify(line)}`);
    }
  }
}

function renderAll(topology: Topology): string[] {
  const texts: string[] = [];
  const hostIds = topology.hosts.map((host) => host.id).sort();
  for (const hostId of hostIds) {
    const plan = planHost(topology, hostId);
    if (plan.services.length > 0) texts.push(renderStunnelConf(plan, GOLDEN_PATHS));
    texts.push(renderIptablesRestore(plan, "ipv4"), renderIptablesRestore(plan, "ipv6"));
  }
  return texts;
}

describe("properties", () => {
  it("accepted input renders only safe text", () => {
    let accepted = 0;
    fc.assert(
      fc.property(topologyArb, (topology) => {
        if (validateTopology(topology).length > 0) return;
        accepted += 1;
        for (const host of topology.hosts) {
          const plan = planHost(topology, host.id);
          if (plan.services.length > 0) assertSafeStunnel(renderStunnelConf(plan, GOLDEN_PATHS));
          assertSafeRules(renderIptablesRestore(plan, "ipv4"));
          assertSafeRules(renderIptablesRestore(plan, "ipv6"));
        }
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it("safety checks catch injected text", () => {
    expect(() => assertSafeStunnel("[a]b]\n")).toThrow();
    expect(() => assertSafeStunnel("connect = 10.0.0.1:1\nfoo = 1;2\n")).toThrow();
    expect(() =>
      assertSafeRules(
        '-A TUNNELFLEET-OUTPUT -d 10.0.0.1/32 -m comment --comment "tunnelfleet x;y" -j DROP\n',
      ),
    ).toThrow();
  });

  it("invalid input is rejected, never changed", () => {
    const fieldsArb = fc.constantFrom(
      "clusters.name",
      "clusters.id",
      "hosts.name",
      "hosts.id",
      "memberships.address",
    );
    fc.assert(
      fc.property(fieldsArb, fc.constantFrom(...HOSTILE_PARTS), fc.nat(), (field, bad, seed) => {
        const topology: Topology = {
          clusters: [cluster("c1", "grid", "hazelcast")],
          hosts: [
            { id: "h1", name: "node-1" },
            { id: "h2", name: "node-2" },
          ],
          memberships: [
            { clusterId: "c1", hostId: "h1", address: "10.9.0.1" },
            { clusterId: "c1", hostId: "h2", address: "10.9.0.2" },
          ],
        };
        const [list, key] = field.split(".") as [keyof Topology, string];
        const items = topology[list] as unknown as Record<string, string>[];
        const target = items[seed % items.length]!;
        const value = target[key]!;
        const position = seed % (value.length + 1);
        target[key] = `${value.slice(0, position)}${bad}${value.slice(position)}`;

        const snapshot = structuredClone(topology);
        const issues = validateTopology(topology);
        expect(issues.length).toBeGreaterThan(0);
        expect(issues.some((issue) => issue.field.endsWith(`.${key}`) || issue.field.endsWith("Id"))).toBe(
          true,
        );
        expect(() => planHost(topology, "h1")).toThrow(MeshValidationError);
        expect(topology).toEqual(snapshot);
      }),
      { numRuns: 300 },
    );
  });

  it("allocation survives adding and removing keys", () => {
    const keyArb = fc.stringMatching(/^[a-z]{1,3}\/[a-z]{1,3}\/[0-9]{1,4}$/);
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 40 }), keyArb, fc.nat(), (keys, added, removeIndex) => {
        const previous = allocateLocalPorts(keys);
        const withAdded = allocateLocalPorts([added, ...keys].sort(), previous);
        for (const key of keys) expect(withAdded[key]).toBe(previous[key]);

        if (keys.length === 0) return;
        const removed = keys[removeIndex % keys.length]!;
        const without = allocateLocalPorts(
          keys.filter((key) => key !== removed),
          previous,
        );
        for (const key of keys) if (key !== removed) expect(without[key]).toBe(previous[key]);
        expect(without[removed]).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("planned ports survive membership changes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.nat(), fc.nat(), (size, joinAt, leaveAt) => {
        const spec = cluster("c1", "grid", "hazelcast");
        const hosts = Array.from({ length: size + 1 }, (_, index) => ({
          id: `h${index}`,
          name: `node-${index}`,
        }));
        const memberships = hosts.map((host, index) => ({
          clusterId: "c1",
          hostId: host.id,
          address: `10.9.1.${index + 1}`,
        }));
        const joiner = 1 + (joinAt % size);
        const leaver = 1 + (leaveAt % size);
        const without = memberships.filter((_, index) => index !== joiner);
        const before = planHost({ clusters: [spec], hosts, memberships: without }, "h0");

        const joined = planHost({ clusters: [spec], hosts, memberships }, "h0", before.allocation);
        for (const [key, port] of Object.entries(before.allocation))
          expect(joined.allocation[key]).toBe(port);

        const left = planHost(
          { clusters: [spec], hosts, memberships: memberships.filter((_, index) => index !== leaver) },
          "h0",
          joined.allocation,
        );
        for (const [key, port] of Object.entries(left.allocation)) expect(joined.allocation[key]).toBe(port);
        expect(Object.keys(left.allocation).some((key) => key.startsWith(`c1/h${leaver}/`))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("rendering ignores list order", () => {
    fc.assert(
      fc.property(topologyArb, fc.nat(), (topology, seed) => {
        if (validateTopology(topology).length > 0) return;
        const rotate = <T>(items: T[]) => {
          const at = items.length === 0 ? 0 : seed % items.length;
          return [...items.slice(at), ...items.slice(0, at)].reverse();
        };
        const shuffled: Topology = {
          clusters: rotate(topology.clusters),
          hosts: rotate(topology.hosts),
          memberships: rotate(topology.memberships),
        };
        expect(renderAll(shuffled)).toEqual(renderAll(topology));
        for (const host of topology.hosts) {
          const pems = { ca: "CA", cert: host.id };
          expect(bundleHash({ plan: planHost(shuffled, host.id), pems })).toBe(
            bundleHash({ plan: planHost(topology, host.id), pems }),
          );
        }
      }),
      { numRuns: 200 },
    );
  });
});
