// Benchmark of the node agent, in network namespaces it creates and removes:
// 1. time from bundle received to ack (the applier's duration) for 3, 50 and 200 stunnel
//    services, for the first apply (stunnel start) and for a reload that adds a member;
// 2. the bare SIGHUP-to-confirmed time of stunnel with 201 services;
// 3. new-connection rate and bulk throughput between two namespaces: plaintext, through
//    the generated config (ECDSA P-256, TLS 1.3) via DNAT and straight to the local
//    stunnel, and through the classic hand-made recipe (RSA-4096, numeric `verify = 2`),
//    printed side by side with ratios;
// 4. the resident memory of an idle agent process.
// Run: npx tsx bench/agent.ts (as root). Prints figures only and exits 0 whatever they are.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Agent, createAgent } from "../apps/agent/src/agent";
import { NodeExecutor } from "../apps/agent/src/executor/node-executor";
import { parseAcceptAddresses } from "../apps/agent/src/stunnel/config";
import { uninstall } from "../apps/agent/src/uninstall";
import { NetnsLab, waitFor } from "../apps/agent/test/support/netns";
import { issueTunnelLeaf, makeCa, type TestCa } from "../apps/agent/test/support/pki";
import { type HostPlan, planHost, type Topology } from "../packages/mesh/src/index";

const SERVICE_COUNTS = [3, 50, 200];
const CONNECT_MAX = 300;
const CONNECT_SECONDS = 3;
const BULK_MEGABYTES = 64;
const BULK_SECONDS = 20;
const ROUNDS = 3;
const loadScript = join(import.meta.dirname, "_agent-load.mjs");
const idleScript = join(import.meta.dirname, "_agent-idle.ts");

const lab = new NetnsLab();
const workDir = mkdtempSync(join(tmpdir(), "tf-agent-bench-"));
const agents: Agent[] = [];
const classicPidFiles: string[] = [];

interface Member {
  id: string;
  name: string;
  address: string;
}

function topology(members: Member[], appPorts: number[]): Topology {
  return {
    clusters: [
      {
        id: "bench",
        name: "bench",
        preset: "custom",
        appPorts,
        inboundPortBase: 16400,
        tls: { keyType: "ecdsa-p256", leafLifetimeDays: 30, minTlsVersion: "TLSv1.3" },
        strict: false,
      },
    ],
    hosts: members.map((member) => ({ id: member.id, name: member.name })),
    memberships: members.map((member) => ({
      clusterId: "bench",
      hostId: member.id,
      address: member.address,
    })),
  };
}

function plan(members: Member[], hostId: string, appPorts: number[], previous?: HostPlan): HostPlan {
  return planHost(topology(members, appPorts), hostId, previous?.allocation ?? {});
}

async function makeAgent(namespace: string, label: string, member: Member, ca: TestCa) {
  const agent = createAgent({
    executor: new NodeExecutor({ netns: namespace }),
    stateDir: join(workDir, label, "state"),
    runDir: join(workDir, label, "run"),
  });
  agents.push(agent);
  const leafCertPem = await issueTunnelLeaf(agent, ca, member.name, member.address);
  return { agent, leafCertPem };
}

function bundle(generation: number, hostPlan: HostPlan, ca: TestCa, leafCertPem: string) {
  return {
    generation,
    bundleHash: `sha256:bench-${generation}-${hostPlan.services.length}`,
    plan: hostPlan,
    trustedCaPems: [ca.certPem],
    leafCertPem,
    crlPems: [],
  };
}

async function benchApply(ca: TestCa): Promise<void> {
  console.log("\n-- bundle received to ack (applier duration)");
  console.log("services  first apply (start)  reload adding a member");
  for (const count of SERVICE_COUNTS) {
    const host = lab.addHost(`x${count}`, "10.213.0.10");
    const self: Member = { id: "self", name: "self", address: "10.213.0.10" };
    const peers: Member[] = Array.from({ length: count }, (_, index) => ({
      id: `peer-${index}`,
      name: `peer-${index}`,
      address: `10.213.1.${index + 1}`,
    }));
    const { agent, leafCertPem } = await makeAgent(host.name, `apply-${count}`, self, ca);

    // count services = 1 inbound + (count - 1) outbound.
    const first = plan([self, ...peers.slice(0, count - 1)], "self", [6379]);
    const started = await agent.applier.apply(bundle(1, first, ca, leafCertPem));
    const second = plan([self, ...peers.slice(0, count)], "self", [6379], first);
    const reloaded = await agent.applier.apply(bundle(2, second, ca, leafCertPem));
    if (!started.ok || !reloaded.ok) throw new Error(`apply failed: ${started.error ?? reloaded.error}`);
    console.log(
      `${String(count).padStart(8)}  ${`${started.durationMs} ms`.padStart(19)}  ${`${reloaded.durationMs} ms`.padStart(22)}`,
    );

    if (count === SERVICE_COUNTS.at(-1)) await benchBareReload(agent);
    await uninstall(agent);
  }
}

async function benchBareReload(agent: Agent): Promise<void> {
  const live = await agent.applier.liveGeneration();
  const pid = await agent.stunnel.readPid();
  if (!live || !pid) return;
  const accepts = parseAcceptAddresses(live.conf);
  const timings: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const offset = await agent.stunnel.logOffset();
    const started = performance.now();
    await agent.stunnel.reload(pid);
    await agent.stunnel.confirm(pid, accepts, offset);
    timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  console.log(
    `\n-- stunnel SIGHUP to confirmed (log + ${accepts.length} listeners), ${accepts.length} services, 5 rounds: median ${timings[2]!.toFixed(0)} ms, min ${timings[0]!.toFixed(0)} ms`,
  );
}

function inNamespace(namespace: string, args: string[], timeoutMs = 60_000): string {
  return execFileSync("ip", ["netns", "exec", namespace, ...args], { encoding: "utf8", timeout: timeoutMs });
}

function measure(namespace: string, connectTarget: [string, number], bulkTarget: [string, number]) {
  const connect = JSON.parse(
    inNamespace(namespace, [
      process.execPath,
      loadScript,
      "connect",
      connectTarget[0],
      String(connectTarget[1]),
      String(CONNECT_MAX),
      String(CONNECT_SECONDS),
    ]),
  ) as { connections: number; seconds: number };
  const bulk = JSON.parse(
    inNamespace(namespace, [
      process.execPath,
      loadScript,
      "bulk",
      bulkTarget[0],
      String(bulkTarget[1]),
      String(BULK_MEGABYTES),
      String(BULK_SECONDS),
    ]),
  ) as { bytes: number; seconds: number };
  return {
    connectionsPerSecond: connect.connections / connect.seconds,
    megabytesPerSecond: bulk.bytes / 1024 / 1024 / bulk.seconds,
  };
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Writes the classic recipe's files: an RSA-4096 CA and one RSA-4096 certificate per side. */
function classicCertificates(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = (name: string) => join(dir, name);
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:4096",
    "-nodes",
    "-keyout",
    path("ca.key"),
    "-out",
    path("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=classic-ca",
  ]);
  for (const side of ["server", "client"]) {
    openssl([
      "req",
      "-newkey",
      "rsa:4096",
      "-nodes",
      "-keyout",
      path(`${side}.key`),
      "-out",
      path(`${side}.csr`),
      "-subj",
      `/CN=${side}`,
    ]);
    openssl([
      "x509",
      "-req",
      "-in",
      path(`${side}.csr`),
      "-CA",
      path("ca.pem"),
      "-CAkey",
      path("ca.key"),
      "-CAcreateserial",
      "-out",
      path(`${side}.pem`),
      "-days",
      "2",
    ]);
  }
}

function classicConf(dir: string, side: "server" | "client", services: string[]): string {
  const pidFile = join(dir, `${side}.pid`);
  classicPidFiles.push(pidFile);
  return [
    `pid = ${pidFile}`,
    `output = ${join(dir, `${side}.log`)}`,
    `cert = ${join(dir, `${side}.pem`)}`,
    `key = ${join(dir, `${side}.key`)}`,
    `CAfile = ${join(dir, "ca.pem")}`,
    "verify = 2",
    ...(side === "client" ? ["client = yes"] : []),
    ...services,
    "",
  ].join("\n");
}

async function benchThroughput(ca: TestCa): Promise<void> {
  const serverMember: Member = { id: "server", name: "server", address: "10.213.0.2" };
  const clientMember: Member = { id: "client", name: "client", address: "10.213.0.1" };
  const server = lab.addHost("s", serverMember.address);
  const client = lab.addHost("c", clientMember.address);
  const sink = lab.spawnIn(server.name, process.execPath, [loadScript, "serve", serverMember.address]);
  let ready = "";
  sink.stdout?.on("data", (chunk: Buffer) => {
    ready += chunk.toString();
  });
  await waitFor("the load server", () => ready.includes("READY"));

  const members = [clientMember, serverMember];
  const serverAgent = await makeAgent(server.name, "tp-server", serverMember, ca);
  const clientAgent = await makeAgent(client.name, "tp-client", clientMember, ca);
  for (const [side, id] of [
    [serverAgent, "server"],
    [clientAgent, "client"],
  ] as const) {
    const result = await side.agent.applier.apply(
      bundle(1, plan(members, id, [7000, 7001]), ca, side.leafCertPem),
    );
    if (!result.ok) throw new Error(`apply on ${id} failed: ${result.error}`);
  }
  const outbound = plan(members, "client", [7000, 7001]).services.filter(
    (service) => service.kind === "outbound",
  );

  const dir = join(workDir, "classic");
  classicCertificates(dir);
  writeFileSync(
    join(dir, "server.conf"),
    classicConf(dir, "server", [
      "[in-7000]",
      "accept = 10.213.0.2:9000",
      "connect = 10.213.0.2:7000",
      "[in-7001]",
      "accept = 10.213.0.2:9002",
      "connect = 10.213.0.2:7001",
    ]),
  );
  writeFileSync(
    join(dir, "client.conf"),
    classicConf(dir, "client", [
      "[out-7000]",
      "accept = 127.0.0.1:9001",
      "connect = 10.213.0.2:9000",
      "[out-7001]",
      "accept = 127.0.0.1:9003",
      "connect = 10.213.0.2:9002",
    ]),
  );
  inNamespace(server.name, ["stunnel", join(dir, "server.conf")]);
  inNamespace(client.name, ["stunnel", join(dir, "client.conf")]);

  // Every variant runs once per round, interleaved, so that load from other processes
  // spreads over all of them; the median of the rounds is printed. Ports 7002/7003 are
  // not in the cluster, so they stay plaintext while the tunnel is up. The classic
  // recipe steers the app with a DNAT rule. Here its client connects to the local
  // stunnel directly, which leaves out one NAT lookup per connection.
  const variants: [string, [string, number], [string, number]][] = [
    ["plaintext", [serverMember.address, 7002], [serverMember.address, 7003]],
    ["generated (ECDSA P-256, TLS 1.3)", [serverMember.address, 7000], [serverMember.address, 7001]],
    [
      "generated, to local stunnel",
      ["127.0.0.1", outbound[0]!.acceptPort],
      ["127.0.0.1", outbound[1]!.acceptPort],
    ],
    ["classic (RSA-4096, verify = 2)", ["127.0.0.1", 9001], ["127.0.0.1", 9003]],
  ];
  const samples = new Map<string, ReturnType<typeof measure>[]>();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, connectTarget, bulkTarget] of variants) {
      samples.set(name, [...(samples.get(name) ?? []), measure(client.name, connectTarget, bulkTarget)]);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const figures = new Map(
    [...samples].map(([name, runs]) => [
      name,
      {
        connectionsPerSecond: median(runs.map((run) => run.connectionsPerSecond)),
        megabytesPerSecond: median(runs.map((run) => run.megabytesPerSecond)),
      },
    ]),
  );
  const plaintext = figures.get("plaintext")!;
  console.log(
    `\n-- between two namespaces over a veth bridge, median of ${ROUNDS} rounds (ratio to plaintext)`,
  );
  for (const [name, value] of figures) {
    console.log(
      `${name.padEnd(34)} ${value.connectionsPerSecond.toFixed(1).padStart(9)} conn/s (${(value.connectionsPerSecond / plaintext.connectionsPerSecond).toFixed(3)})  ${value.megabytesPerSecond.toFixed(1).padStart(8)} MB/s (${(value.megabytesPerSecond / plaintext.megabytesPerSecond).toFixed(3)})`,
    );
  }
  const generated = figures.get("generated (ECDSA P-256, TLS 1.3)")!;
  const classic = figures.get("classic (RSA-4096, verify = 2)")!;
  console.log(
    `generated / classic: ${(generated.connectionsPerSecond / classic.connectionsPerSecond).toFixed(2)}x connections, ${(generated.megabytesPerSecond / classic.megabytesPerSecond).toFixed(2)}x throughput`,
  );
  await uninstall(clientAgent.agent);
  await uninstall(serverAgent.agent);
}

async function benchIdleRss(): Promise<void> {
  const stateDir = join(workDir, "idle");
  const child = spawn(process.execPath, ["--import", "tsx", idleScript, stateDir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor("the idle agent", () => output.includes("READY"), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    console.log(
      `\n-- idle agent (node --import tsx, drift watch running): VmRSS ${(Number(rss) / 1024).toFixed(1)} MB`,
    );
  } finally {
    if (child.pid) process.kill(child.pid, "SIGTERM");
  }
}

async function cleanUp(): Promise<void> {
  for (const agent of agents) {
    const pid = await agent.stunnel.readPid().catch(() => undefined);
    if (pid) await agent.stunnel.stop(pid);
  }
  for (const pidFile of classicPidFiles) {
    try {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGTERM");
    } catch {
      // not started or already gone
    }
  }
  await lab.destroy();
  rmSync(workDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  // A closed stdout (`| head`) or Ctrl-C must not skip the clean-up of namespaces and daemons.
  process.stdout.on("error", () => undefined);
  process.once("SIGINT", () => {
    cleanUp().finally(() => process.exit(130));
  });

  console.log("bench/agent.ts: figures from this machine; compare ratios, not absolutes.");
  lab.create();
  const ca = await makeCa("Bench CA");
  try {
    await benchApply(ca);
    await benchThroughput(ca);
    await benchIdleRss();
  } finally {
    await cleanUp();
  }
}

await main();
