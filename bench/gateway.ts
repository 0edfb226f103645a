// Benchmark of the agent gateway: N simulated agents (in a child process) hold mutual-TLS
// WebSocket sessions to one in-process gateway on 127.0.0.1, backed by an embedded
// PostgreSQL. One transaction changes the TLS policy of every cluster, which changes every
// host's bundle. The benchmark prints the time from that change until each agent acked
// its new bundle (p50, p99, max) and the gateway's event-loop delay meanwhile. It also
// prints the gateway process's resident memory per idle connected agent, measured over
// the second half of the agents so that one-time warm-up is not counted.
// A count runs with the control plane's real bundle builder ("real") and with a builder
// that reuses each host's first real bundle and only re-hashes it ("cached"). The cached
// run isolates the gateway's own fan-out cost from bundle rendering.
// Run: npx tsx bench/gateway.ts [--agents 1000,5000] [--builder real,cached]. Without
// --builder, counts up to 1,000 run both builders and larger ones the cached one only.
// Prints figures only; exits 0 whatever they are.
// Budgets: 1,000 agents acked within 2 s; < 64 KiB RSS per idle agent.

import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  dropDatabase,
  ensureDatabase,
  openDatabase,
  silentLogger,
  startEmbeddedPostgres,
} from "@tunnelfleet/db";
import { bundleHash } from "@tunnelfleet/mesh";
import { createCsr, exportPrivateKeyPem, generateKeyPair, issueLeaf } from "@tunnelfleet/pki";
import pino from "pino";
import { startGateway } from "../apps/console/src/gateway/gateway";
import { createGatewayServices } from "../apps/console/src/gateway/services";
import type { GatewayServices, HostBundle } from "../apps/console/src/gateway/types";
import { loadSigningAuthority } from "../apps/console/src/server/services/authorities";
import { runChange } from "../apps/console/src/server/services/change";
import { createCluster } from "../apps/console/src/server/services/clusters";
import { type ServiceDeps, SYSTEM_ACTOR } from "../apps/console/src/server/services/context";
import {
  activeGatewayAuthority,
  ensureGatewayAuthority,
  issueGatewayServerCertificate,
} from "../apps/console/src/server/services/gateway-pki";

const MEMBERS_PER_CLUSTER = 8;
const CONNECT_CONCURRENCY = 200;
const SIGN_CONCURRENCY = 8;
const ACK_TIMEOUT_MS = 300_000;
const ACK_BUDGET_MS = 2000;
const ACK_BUDGET_AGENTS = 1000;
const RSS_BUDGET_KIB = 64;
/**
 * Largest count run with the real builder by default. The gateway builds a push batch's
 * bundles together, so the real builder costs a few hundred ms per 256 hosts, but setting
 * up and connecting 5,000 agents takes minutes. Pass --builder real to force it.
 */
const REAL_BUILDER_DEFAULT_MAX = 1000;

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

type BuilderMode = "real" | "cached";

/** Builders to run for `count` agents: --builder if given, else real up to 1,000 agents and cached always. */
function buildersFor(count: number): BuilderMode[] {
  const index = process.argv.indexOf("--builder");
  if (index < 0) return count <= REAL_BUILDER_DEFAULT_MAX ? ["real", "cached"] : ["cached"];
  const raw = process.argv[index + 1] ?? "";
  const modes = raw.split(",");
  if (modes.some((mode) => mode !== "real" && mode !== "cached")) {
    console.error(`--builder ${raw} is invalid: give real, cached or real,cached`);
    process.exit(2);
  }
  return modes as BuilderMode[];
}

/**
 * Wraps the real services. Each host's first bundle comes from the real builder. Later
 * builds reuse it with the current generation, TLS minimum and a fresh hash, so a build
 * costs one query and one hash.
 */
function cachedBuilder(real: GatewayServices, deps: ServiceDeps, tls: { current: "TLSv1.2" | "TLSv1.3" }) {
  const cache = new Map<string, HostBundle>();
  // No batch builder: the gateway then builds host by host through the cached builder.
  const { buildHostBundles: _batchBuilder, ...perHost } = real;
  return {
    ...perHost,
    async buildHostBundle(hostId: string): Promise<HostBundle> {
      let first = cache.get(hostId);
      if (!first) {
        first = await real.buildHostBundle(hostId);
        cache.set(hostId, first);
      }
      const desired = await deps.prisma.desiredState.findUniqueOrThrow({ where: { hostId } });
      const plan = { ...first.plan, minTlsVersion: tls.current };
      const hash = bundleHash({
        plan,
        pems: { ca: first.trustedCaPems.join(""), cert: first.leafCertPem ?? "" },
      });
      return { ...first, plan, generation: desired.generation, bundleHash: hash };
    },
  } satisfies GatewayServices;
}

function parseAgentCounts(): number[] {
  const index = process.argv.indexOf("--agents");
  const raw = index >= 0 ? process.argv[index + 1] : "1000,5000";
  const counts = (raw ?? "").split(",").map(Number);
  if (counts.some((count) => !Number.isInteger(count) || count < 1 || count > 20_000)) {
    console.error(
      `--agents ${raw} is invalid: give comma-separated counts between 1 and 20000, e.g. 1000,5000`,
    );
    process.exit(2);
  }
  return counts;
}

/** Returns the soft open-files limit of this process, read from /proc (Linux). */
function openFilesLimit(): string {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((entry) => entry.startsWith("Max open files"));
    return line?.split(/\s{2,}/)[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/** Resident and V8 heap memory after a full collection, in KiB. */
function memoryKib(): { rss: number; heap: number } {
  collectGarbage();
  const usage = process.memoryUsage();
  return { rss: usage.rss / 1024, heap: usage.heapUsed / 1024 };
}

async function mapLimit<T, R>(
  items: T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!, index);
      }
    }),
  );
  return results;
}

/** Creates clusters of MEMBERS_PER_CLUSTER hosts and one agent certificate per host. */
async function seed(deps: ServiceDeps, count: number, agentCsrPem: string) {
  const { prisma } = deps;
  const clusterCount = Math.ceil(count / MEMBERS_PER_CLUSTER);
  const clusterIds = await mapLimit(
    Array.from({ length: clusterCount }),
    SIGN_CONCURRENCY,
    async (_, index) => {
      const cluster = await createCluster(deps, SYSTEM_ACTOR, { name: `bench-${index}`, preset: "redis" });
      return cluster.id;
    },
  );

  const hosts = Array.from({ length: count }, (_, index) => ({
    id: crypto.randomUUID(),
    name: `bench-host-${index}`,
    clusterId: clusterIds[Math.floor(index / MEMBERS_PER_CLUSTER)]!,
    address: `10.${Math.floor(index / 62500) + 1}.${Math.floor(index / 250) % 250}.${(index % 250) + 1}`,
  }));
  await prisma.host.createMany({ data: hosts.map((host) => ({ id: host.id, name: host.name })) });
  await prisma.desiredState.createMany({ data: hosts.map((host) => ({ hostId: host.id })) });
  await prisma.membership.createMany({
    data: hosts.map((host) => ({ clusterId: host.clusterId, hostId: host.id, address: host.address })),
  });

  const ca = await activeGatewayAuthority(prisma);
  const signer = await loadSigningAuthority(prisma, ca.id, deps.masterKey);
  const certificates = await mapLimit(hosts, SIGN_CONCURRENCY, (host) =>
    issueLeaf({
      caCertPem: signer.certPem,
      caKeyPem: signer.keyPem,
      csrPem: agentCsrPem,
      commonName: host.name,
      lifetimeDays: 1,
      usage: "agent",
    }),
  );
  await prisma.certificate.createMany({
    data: certificates.map((leaf, index) => ({
      caId: ca.id,
      hostId: hosts[index]!.id,
      purpose: "agent" as const,
      serial: leaf.serial,
      subject: `CN=${hosts[index]!.name}`,
      sans: [],
      certPem: leaf.certPem,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    })),
  });
  return { hostIds: hosts.map((host) => host.id), certPems: certificates.map((leaf) => leaf.certPem) };
}

async function runOnce(adminUrl: string, count: number, builder: BuilderMode): Promise<void> {
  const database = `bench_gateway_${count}_${randomBytes(3).toString("hex")}`;
  await ensureDatabase(adminUrl, database, silentLogger);
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const db = await openDatabase({ databaseUrl: url.toString(), maxConnections: 40 });
  const log = pino({ level: "error" });
  const deps: ServiceDeps = {
    prisma: db.prisma,
    masterKey: randomBytes(32),
    logger: log,
    gatewayUrl: "https://127.0.0.1",
  };
  const child = fork(join(import.meta.dirname, "sim-agents.ts"), [], { execArgv: ["--import", "tsx"] });

  try {
    console.log(
      `\n--- ${count} agents, ${builder} bundle builder (${Math.ceil(count / MEMBERS_PER_CLUSTER)} clusters of ${MEMBERS_PER_CLUSTER})`,
    );
    const setupStarted = Date.now();
    await ensureGatewayAuthority(deps);
    const tls = await issueGatewayServerCertificate(deps, {
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
    const keyPair = await generateKeyPair("ecdsa-p256");
    const keyPem = await exportPrivateKeyPem(keyPair.privateKey);
    const seeded = await seed(deps, count, await createCsr({ commonName: "bench-agent", keyPem }));
    console.log(
      `setup (clusters, hosts, ${count} agent certificates): ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`,
    );

    const tlsPolicy: { current: "TLSv1.2" | "TLSv1.3" } = { current: "TLSv1.2" };
    const gateway = await startGateway({
      prisma: db.prisma,
      databaseUrl: db.url,
      listen: { host: "127.0.0.1", port: 0 },
      tlsMaterial: { certPem: tls.certPem, keyPem: tls.keyPem, caPem: tls.caCertPem },
      log,
      services:
        builder === "real"
          ? createGatewayServices(deps)
          : cachedBuilder(createGatewayServices(deps), deps, tlsPolicy),
      serverVersion: "0.1.0",
      leafCheckIntervalMs: 3_600_000,
    });

    const replies = new Map<string, (message: Record<string, unknown>) => void>();
    child.on("message", (message: Record<string, unknown>) => replies.get(String(message.type))?.(message));
    const next = (type: string, timeoutMs: number) =>
      new Promise<Record<string, unknown> | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        replies.set(type, (message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });

    child.send({
      type: "start",
      url: `wss://127.0.0.1:${gateway.port}`,
      caPem: tls.caCertPem,
      keyPem,
      certPems: seeded.certPems,
    });
    const half = Math.floor(count / 2);
    const connectStarted = Date.now();
    const firstHalf = next("connected", 900_000);
    child.send({ type: "connect", from: 0, to: half, concurrency: CONNECT_CONCURRENCY });
    const firstReady = await firstHalf;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const atHalf = memoryKib();
    const rssHalf = atHalf.rss;
    const secondHalf = next("connected", 900_000);
    child.send({ type: "connect", from: half, to: count, concurrency: CONNECT_CONCURRENCY });
    const secondReady = await secondHalf;
    const acked = Number(firstReady?.acked ?? 0) + Number(secondReady?.acked ?? 0);
    const rejected = Number(firstReady?.rejected ?? 0) + Number(secondReady?.rejected ?? 0);
    console.log(
      `connect + first bundle acked: ${acked}/${count} agents in ${((Date.now() - connectStarted) / 1000).toFixed(1)} s (rejected ${rejected})`,
    );

    await new Promise((resolve) => setTimeout(resolve, 2000));
    const atFull = memoryKib();
    const rssIdle = atFull.rss;
    const perAgentKib = (rssIdle - rssHalf) / (count - half);
    const heapPerAgentKib = (atFull.heap - atHalf.heap) / (count - half);
    console.log(
      `gateway RSS: ${(rssHalf / 1024).toFixed(0)} MiB with ${half} idle agents, ${(rssIdle / 1024).toFixed(0)} MiB with ${count} -> ${perAgentKib.toFixed(1)} KiB per agent (budget ${RSS_BUDGET_KIB} KiB, ratio ${(perAgentKib / RSS_BUDGET_KIB).toFixed(2)}); of which V8 heap ${heapPerAgentKib.toFixed(1)} KiB per agent`,
    );

    child.send({ type: "mark" });
    const done = next("done", ACK_TIMEOUT_MS);
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const changed = Date.now();
    tlsPolicy.current = "TLSv1.3";
    await runChange(db.prisma, SYSTEM_ACTOR, "bench.tls-policy", async (tx) => {
      await tx.cluster.updateMany({ data: { minTlsVersion: "TLSv1_3" } });
      return {
        result: null,
        hostIds: seeded.hostIds,
        audit: { action: "cluster.update", targetType: "cluster", targetId: null },
      };
    });
    const committed = Date.now();
    const result = await done;
    loopDelay.disable();

    const ackTimes = ((result?.ackTimes as number[] | undefined) ?? [])
      .map((at) => at - changed)
      .sort((a, b) => a - b);
    console.log(`change committed in ${committed - changed} ms; acks received: ${ackTimes.length}/${count}`);
    console.log(
      `time from change to ack: p50 ${percentile(ackTimes, 0.5)} ms, p99 ${percentile(ackTimes, 0.99)} ms, max ${ackTimes.at(-1) ?? "n/a"} ms`,
    );
    if (count === ACK_BUDGET_AGENTS && ackTimes.length === count) {
      console.log(
        `budget: ${ACK_BUDGET_AGENTS} agents acked within ${ACK_BUDGET_MS} ms -> max ${ackTimes.at(-1)} ms, ratio ${(ackTimes.at(-1)! / ACK_BUDGET_MS).toFixed(2)}`,
      );
    }
    console.log(
      `gateway event-loop delay during fan-out: p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
    );

    child.send({ type: "stop" });
    await gateway.close();
  } finally {
    if (child.exitCode === null) child.kill();
    await db.stop();
    await dropDatabase(adminUrl, database).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const counts = parseAgentCounts();
  const dataDir = mkdtempSync(join(tmpdir(), "tunnelfleet-bench-gateway-"));
  console.log(
    `gateway benchmark: agents ${counts.join(", ")}. Each agent holds one socket in this process and one in the child: keep \`ulimit -n\` (now ${openFilesLimit()}) above the largest count plus a few hundred.`,
  );
  const server = await startEmbeddedPostgres({
    dataDir,
    database: "postgres",
    settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off", max_connections: "200" },
  });
  try {
    for (const count of counts) {
      for (const builder of buildersFor(count)) await runOnce(server.adminUrl, count, builder);
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
