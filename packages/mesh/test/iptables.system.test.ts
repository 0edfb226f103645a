// Feeds every rendered ruleset to the real iptables-restore and ip6tables-restore
// (Debian 12, nf_tables backend) inside scratch network namespaces, never the root one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  iptablesJumpRules,
  planHost,
  renderIptablesRemoval,
  renderIptablesRestore,
  type Topology,
} from "../src/index";
import { cluster, GOLDEN_CASES, longestNamesCase, singleCluster } from "./fixtures";
import { Namespace, stop, waitForStderr } from "./system-support";

const FAMILIES = [
  { family: "ipv4", iptables: "iptables", restore: "iptables-restore", save: "iptables-save" },
  { family: "ipv6", iptables: "ip6tables", restore: "ip6tables-restore", save: "ip6tables-save" },
] as const;

/** iptables-save output without its timestamped comment lines and packet counters. */
function saved(namespace: Namespace, save: string): string {
  return namespace
    .exec(save, [])
    .stdout.split("\n")
    .filter((line) => !line.startsWith("#"))
    .map((line) => line.replace(/\[\d+:\d+\]$/, "[0:0]"))
    .join("\n");
}

/** Adds rules of "the operator" so every table exists before install, as on a real server. */
function addOperatorRules(namespace: Namespace, iptables: string): void {
  namespace.exec(iptables, [
    "-t",
    "nat",
    "-A",
    "OUTPUT",
    "-p",
    "tcp",
    "--dport",
    "8080",
    "-m",
    "comment",
    "--comment",
    "operator",
    "-j",
    "RETURN",
  ]);
  namespace.exec(iptables, [
    "-A",
    "INPUT",
    "-p",
    "tcp",
    "--dport",
    "22",
    "-m",
    "comment",
    "--comment",
    "operator",
    "-j",
    "ACCEPT",
  ]);
  namespace.exec(iptables, [
    "-A",
    "OUTPUT",
    "-p",
    "tcp",
    "--dport",
    "53",
    "-m",
    "comment",
    "--comment",
    "operator",
    "-j",
    "ACCEPT",
  ]);
}

function ensureJumps(namespace: Namespace, iptables: string): void {
  for (const jump of iptablesJumpRules()) {
    if (namespace.exec(iptables, jump.check, { allowFailure: true }).status !== 0)
      namespace.exec(iptables, jump.insert);
  }
}

function removeAll(namespace: Namespace, iptables: string, restore: string): void {
  for (const jump of iptablesJumpRules()) {
    while (namespace.exec(iptables, jump.check, { allowFailure: true }).status === 0)
      namespace.exec(iptables, jump.delete);
  }
  namespace.exec(restore, ["--noflush"], { input: renderIptablesRemoval() });
}

describe("rendered rules in iptables", () => {
  let namespace: Namespace;

  beforeAll(() => {
    namespace = new Namespace();
    for (const { iptables } of FAMILIES) addOperatorRules(namespace, iptables);
  });

  afterAll(() => {
    namespace?.delete();
  });

  for (const testCase of [...GOLDEN_CASES, longestNamesCase()]) {
    for (const { family, iptables, restore, save } of FAMILIES) {
      it(`${testCase.name} ${family} applies and removes`, () => {
        const plan = planHost(testCase.topology, testCase.hostId, testCase.previousAllocation);
        const text = renderIptablesRestore(plan, family);
        const before = saved(namespace, save);

        namespace.exec(restore, ["--test", "--noflush"], { input: text });
        expect(saved(namespace, save)).toBe(before);

        namespace.exec(restore, ["--noflush"], { input: text });
        ensureJumps(namespace, iptables);
        namespace.exec(restore, ["--noflush"], { input: text });
        ensureJumps(namespace, iptables);
        const applied = saved(namespace, save);
        const appliedLines = applied.split("\n");
        for (const line of text.split("\n").filter((rule) => rule.startsWith("-A "))) {
          expect(
            appliedLines.filter((savedLine) => savedLine === line),
            line,
          ).toHaveLength(1);
        }
        expect(appliedLines).toContain(":TUNNELFLEET-OUTPUT - [0:0]");
        expect(appliedLines).toContain(":TUNNELFLEET-INPUT - [0:0]");
        expect(appliedLines.filter((line) => line.includes('"tunnelfleet jump"'))).toEqual([
          '-A INPUT -m comment --comment "tunnelfleet jump" -j TUNNELFLEET-INPUT',
          '-A OUTPUT -m comment --comment "tunnelfleet jump" -j TUNNELFLEET-OUTPUT',
          '-A OUTPUT -m comment --comment "tunnelfleet jump" -j TUNNELFLEET-OUTPUT',
        ]);
        const ruleCount = text.split("\n").filter((line) => line.startsWith("-A ")).length;
        expect(appliedLines.filter((line) => line.includes('--comment "tunnelfleet ')).length).toBe(
          ruleCount + 3,
        );

        removeAll(namespace, iptables, restore);
        expect(saved(namespace, save)).toBe(before);
      });
    }
  }

  it("jumps come before operator rules", () => {
    namespace.exec("iptables-restore", ["--noflush"], { input: renderIptablesRemoval() });
    namespace.exec("iptables-restore", ["--noflush"], {
      input: renderIptablesRestore(planHost(GOLDEN_CASES[0]!.topology, GOLDEN_CASES[0]!.hostId)),
    });
    ensureJumps(namespace, "iptables");
    try {
      const lines = saved(namespace, "iptables-save").split("\n");
      const input = lines.filter((line) => line.startsWith("-A INPUT "));
      expect(input[0]).toContain("-j TUNNELFLEET-INPUT");
      expect(input[1]).toContain("--comment operator");
    } finally {
      removeAll(namespace, "iptables", "iptables-restore");
    }
  });

  it("removal fails while a jump remains", () => {
    const before = saved(namespace, "iptables-save");
    namespace.exec("iptables-restore", ["--noflush"], {
      input: renderIptablesRestore(planHost(GOLDEN_CASES[0]!.topology, GOLDEN_CASES[0]!.hostId)),
    });
    ensureJumps(namespace, "iptables");
    const installed = saved(namespace, "iptables-save");
    try {
      const result = namespace.exec("iptables-restore", ["--noflush"], {
        input: renderIptablesRemoval(),
        allowFailure: true,
      });
      expect(result.status).not.toBe(0);
      expect(saved(namespace, "iptables-save")).toBe(installed);
    } finally {
      removeAll(namespace, "iptables", "iptables-restore");
    }
    expect(saved(namespace, "iptables-save")).toBe(before);
  });
});

/** A node script run inside a namespace: connects to address:port and prints what it received, or how it failed. */
const PROBE = `
const net = require("node:net");
const [host, port] = process.argv.slice(1);
const socket = net.connect({ host, port: Number(port), timeout: 3000 });
let received = "";
socket.on("data", (data) => { received += data; });
socket.on("end", () => console.log("data:" + received));
socket.on("timeout", () => { console.log("timeout"); socket.destroy(); });
socket.on("error", (error) => console.log(error.code));
`;

/** A node script run inside a namespace: on address:port, replies to every connection with a fixed word and closes it. */
const RESPONDER = `
const net = require("node:net");
const [host, port, word] = process.argv.slice(1);
net.createServer((socket) => socket.end(word)).listen(Number(port), host, () => console.error("listening"));
`;

const GUARD_FAMILIES = [
  { own: "10.79.0.1", peer: "10.79.0.2", prefix: "24", ...FAMILIES[0] },
  { own: "fd79::1", peer: "fd79::2", prefix: "64", ...FAMILIES[1] },
] as const;

for (const { family, own, peer, prefix, iptables, restore } of GUARD_FAMILIES) {
  describe(`strict-mode guards with ${family} traffic`, () => {
    // Host 1 and host 2 are two namespaces joined by a veth pair. Host 1 applies its rules;
    // plain TCP responders stand in for host 1's outbound service and for the apps.
    const topology: Topology = singleCluster(
      cluster("c-guard", "guarded", "custom", { appPorts: [7000], strict: true }),
      [own, peer],
    );
    let host1: Namespace;
    let host2: Namespace;
    const children: ReturnType<Namespace["spawn"]>[] = [];

    async function respond(namespace: Namespace, address: string, port: number, word: string): Promise<void> {
      const child = namespace.spawn("node", ["-e", RESPONDER, address, String(port), word]);
      children.push(child);
      await waitForStderr(child, /listening/);
    }

    async function probe(namespace: Namespace, address: string, port: number): Promise<string> {
      return (await namespace.execAsync("node", ["-e", PROBE, address, String(port)])).stdout.trim();
    }

    beforeAll(async () => {
      host1 = new Namespace();
      host2 = new Namespace();
      host1.exec("ip", ["link", "add", "tf-h1", "type", "veth", "peer", "name", "tf-h2"]);
      host1.exec("ip", ["link", "set", "tf-h2", "netns", host2.name]);
      // nodad: an IPv6 address is usable at once instead of after duplicate address detection.
      const flags = family === "ipv6" ? ["nodad"] : [];
      host1.exec("ip", ["addr", "add", `${own}/${prefix}`, "dev", "tf-h1", ...flags]);
      host2.exec("ip", ["addr", "add", `${peer}/${prefix}`, "dev", "tf-h2", ...flags]);
      host1.exec("ip", ["link", "set", "tf-h1", "up"]);
      host2.exec("ip", ["link", "set", "tf-h2", "up"]);

      const plan = planHost(topology, "node-id-1");
      host1.exec(restore, ["--noflush"], { input: renderIptablesRestore(plan, family) });
      ensureJumps(host1, iptables);
      await respond(host1, plan.dnat[0]!.toAddress, plan.dnat[0]!.toPort, "tunnel");
      await respond(host1, own, 7000, "app-1");
      await respond(host2, peer, 7000, "app-2");
    });

    afterAll(async () => {
      await Promise.all(children.map((child) => stop(child)));
      host1?.delete();
      host2?.delete();
    });

    it("ingress guard drops network only", async () => {
      expect(await probe(host1, own, 7000)).toBe("data:app-1");
      expect(await probe(host2, own, 7000)).toBe("timeout");
    });

    it("egress guard rejects only escaped plaintext", async () => {
      expect(await probe(host1, peer, 7000)).toBe("data:tunnel");

      // Without the DNAT rule the app's connection would leave in clear: the guard resets it.
      host1.exec(iptables, ["-t", "nat", "-F", "TUNNELFLEET-OUTPUT"]);
      expect(await probe(host1, peer, 7000)).toBe("ECONNREFUSED");

      // Without the guard as well, the plaintext reaches the peer's app.
      host1.exec(iptables, ["-F", "TUNNELFLEET-OUTPUT"]);
      expect(await probe(host1, peer, 7000)).toBe("data:app-2");
    });
  });
}
