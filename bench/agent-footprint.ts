// Footprint of the bundled agent (apps/agent/dist/tunnelfleet-agent.mjs, built fresh into a
// temp dir), run as a node runs it, in a network namespace this benchmark creates:
// 1. idle in `run`, twice. First connected to the real console and gateway (embedded
//    PostgreSQL) in a second namespace, after the one-line install. Then joined to a
//    stand-in gateway on loopback that is then stopped, so the agent sits in its
//    reconnect backoff (the control plane unreachable on loopback);
// 2. `apply` of a 50-service bundle (1 inbound + 49 outbound stunnel services, with DNAT
//    rules) with the real executor: real stunnel and iptables in the namespace.
// The same idle figures for a minified bundle and for the TypeScript sources under tsx are
// printed for comparison.
// Budget: idle RSS below 60 MiB.
// Run: npx tsx bench/agent-footprint.ts (as root). Prints figures only and exits 0 whatever they are.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildAgentBundle } from "../apps/agent/build/build.mjs";
import { createAgent } from "../apps/agent/src/agent";
import { NodeExecutor } from "../apps/agent/src/executor/node-executor";
import { startEnrolServer } from "../apps/agent/test/dist/enrol-server";
import { NetnsLab } from "../apps/agent/test/support/netns";
import { issueTunnelLeaf, makeCa } from "../apps/agent/test/support/pki";
import { renderJoinCommand } from "../apps/console/src/distribution/join-command";
import {
  type ControlPlaneProcess,
  startControlPlaneProcess,
} from "../apps/console/test/distribution/system/control-plane-process";
import { InstallLab } from "../apps/console/test/distribution/system/netns";
import { planHost, type Topology } from "../packages/mesh/src/index";

const IDLE_BUDGET_MIB = 60;
/** Seconds the agent runs before the idle window, then the length of the window. */
const IDLE_SETTLE_SECONDS = 10;
const IDLE_WINDOW_SECONDS = 20;
const SERVICE_COUNT = 50;
const SAMPLE_MS = 25;
const SOURCE_CLI = join(import.meta.dirname, "../apps/agent/src/cli.ts");

const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

interface ProcessSample {
  rssKiB: number;
  peakRssKiB: number;
  cpuMs: number;
}

/** Reads VmRSS, VmHWM and user+system CPU time of a live process; null once it has exited. */
function sample(pid: number): ProcessSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0),
      peakRssKiB: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0),
      cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return null;
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a command to completion, sampling it; returns the last sample before it exited. */
async function measureRun(command: string[]): Promise<{ last: ProcessSample; wallMs: number; code: number }> {
  const started = performance.now();
  const child = spawn(command[0] as string, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
  let last: ProcessSample = { rssKiB: 0, peakRssKiB: 0, cpuMs: 0 };
  let done = false;
  void exited.then(() => {
    done = true;
  });
  while (!done) {
    const current = child.pid ? sample(child.pid) : null;
    if (current) last = current;
    await sleep(SAMPLE_MS);
  }
  const code = await exited;
  if (code !== 0) console.log(`  (exit code ${code}) ${output.trim().split("\n").slice(-3).join(" | ")}`);
  return { last, wallMs: performance.now() - started, code };
}

/** Starts a long-running agent, waits out the settle time, then samples it over the window. */
async function measureIdle(label: string, command: string[]): Promise<void> {
  const child: ChildProcess = spawn(command[0] as string, command.slice(1), { stdio: "ignore" });
  try {
    await sleep(IDLE_SETTLE_SECONDS * 1000);
    const before = child.pid ? sample(child.pid) : null;
    await sleep(IDLE_WINDOW_SECONDS * 1000);
    const after = child.pid ? sample(child.pid) : null;
    if (!before || !after) {
      console.log(`${label.padEnd(28)} exited before the window ended`);
      return;
    }
    const cpuPercent = ((after.cpuMs - before.cpuMs) / (IDLE_WINDOW_SECONDS * 1000)) * 100;
    console.log(
      `${label.padEnd(28)} RSS ${mib(after.rssKiB).padStart(6)} MiB   peak ${mib(after.peakRssKiB).padStart(6)} MiB   CPU ${cpuPercent.toFixed(2).padStart(5)} %   budget ratio ${(after.rssKiB / 1024 / IDLE_BUDGET_MIB).toFixed(2)}`,
    );
  } finally {
    if (child.pid && child.exitCode === null) process.kill(child.pid, "SIGKILL");
  }
}

function topology(memberCount: number): Topology {
  const members = Array.from({ length: memberCount }, (_, index) => ({
    id: index === 0 ? "self" : `peer-${index}`,
    address: `10.213.0.${index + 10}`,
  }));
  return {
    clusters: [
      {
        id: "footprint",
        name: "footprint",
        preset: "custom",
        appPorts: [6379],
        inboundPortBase: 16400,
        tls: { keyType: "ecdsa-p256", leafLifetimeDays: 30, minTlsVersion: "TLSv1.3" },
        strict: false,
      },
    ],
    hosts: members.map((member) => ({ id: member.id, name: member.id })),
    memberships: members.map((member) => ({
      clusterId: "footprint",
      hostId: member.id,
      address: member.address,
    })),
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log("agent-footprint needs root (network namespaces, stunnel, iptables); skipped");
    return;
  }
  const workDir = mkdtempSync(join(tmpdir(), "tf-footprint-"));
  // Its own temp dir: the embedded PostgreSQL runs as a non-root user that must reach it.
  const controlPlaneDir = mkdtempSync(join(tmpdir(), "tf-footprint-cp-"));
  const lab = new NetnsLab();
  const installLab = new InstallLab();
  const enrol = await startEnrolServer();
  let controlPlane: ControlPlaneProcess | undefined;
  let stunnelPidFile: string | null = null;
  let connectedStunnelPidFile: string | null = null;
  try {
    const bundle = await buildAgentBundle({ outfile: join(workDir, "tunnelfleet-agent.mjs") });
    console.log(
      `bundle: ${bundle.size} bytes (${bundle.gzipSize} gzip), version ${bundle.version}; Node.js ${process.versions.node}; samples every ${SAMPLE_MS} ms`,
    );

    lab.create();
    installLab.create();
    const host = lab.addHost("fp", "10.213.0.10");
    const idleState = join(workDir, "idle-state");
    const idleRun = join(workDir, "idle-run");
    // Asynchronous: the stand-in gateway runs in this process and must respond meanwhile.
    await promisify(execFile)(
      process.execPath,
      [
        bundle.path,
        "join",
        "--server",
        enrol.url,
        "--token",
        "footprint-bench-token-0123456789",
        "--ca-hash",
        enrol.caHash,
        "--name",
        "self",
        "--state-dir",
        idleState,
        "--run-dir",
        idleRun,
      ],
      { timeout: 60_000 },
    );
    await enrol.close();

    console.log(
      `\n-- idle in \`run\` for ${IDLE_WINDOW_SECONDS} s after ${IDLE_SETTLE_SECONDS} s (budget: RSS < ${IDLE_BUDGET_MIB} MiB)`,
    );
    console.log("connected to the real gateway:");
    const node = installLab.addHost("node", "10.214.0.2");
    const controlPlaneHost = installLab.addHost("cp", "10.214.0.1");
    controlPlane = await startControlPlaneProcess({
      namespace: controlPlaneHost.namespace,
      address: controlPlaneHost.address,
      dataDir: controlPlaneDir,
      artefactPath: bundle.path,
    });
    const installPrefix = join(workDir, "node");
    mkdirSync(installPrefix);
    const line = renderJoinCommand({
      serverUrl: controlPlane.ready.gatewayUrl,
      token: controlPlane.ready.token,
      caHash: controlPlane.ready.caHash,
    });
    await promisify(execFile)("ip", ["netns", "exec", node.namespace, "sh", "-c", `${line} --no-start`], {
      env: { PATH: process.env.PATH, TUNNELFLEET_PREFIX: installPrefix },
      timeout: 120_000,
    });
    connectedStunnelPidFile = join(installPrefix, "run/tunnelfleet/stunnel.pid");
    await measureIdle("bundle (node file.mjs)", [
      "ip",
      "netns",
      "exec",
      node.namespace,
      process.execPath,
      join(installPrefix, "usr/local/lib/tunnelfleet/tunnelfleet-agent.mjs"),
      "run",
      "--state-dir",
      join(installPrefix, "etc/tunnelfleet"),
      "--run-dir",
      join(installPrefix, "run/tunnelfleet"),
    ]);
    const connected = await controlPlane.connected(1000).catch(() => null);
    if (!connected) console.log("  (the agent did not report a session to the console)");

    console.log("control plane unreachable on the namespace's loopback:");
    const runArgs = ["run", "--state-dir", idleState, "--run-dir", idleRun];
    await measureIdle("bundle (node file.mjs)", [
      "ip",
      "netns",
      "exec",
      host.name,
      process.execPath,
      bundle.path,
      ...runArgs,
    ]);
    const minified = await buildAgentBundle({
      outfile: join(workDir, "minified", "tunnelfleet-agent.mjs"),
      minify: true,
    });
    await measureIdle(`minified (${(minified.size / 1024).toFixed(0)} KiB)`, [
      "ip",
      "netns",
      "exec",
      host.name,
      process.execPath,
      minified.path,
      ...runArgs,
    ]);
    await measureIdle("sources (node --import tsx)", [
      "ip",
      "netns",
      "exec",
      host.name,
      process.execPath,
      "--import",
      "tsx",
      SOURCE_CLI,
      ...runArgs,
    ]);

    console.log(
      `\n-- \`apply\` of a ${SERVICE_COUNT}-service bundle: real stunnel and iptables in the namespace`,
    );
    const applyState = join(workDir, "apply-state");
    const applyRun = join(workDir, "apply-run");
    stunnelPidFile = join(applyRun, "stunnel.pid");
    const ca = await makeCa("Footprint CA");
    const agent = createAgent({
      executor: new NodeExecutor({ netns: host.name }),
      stateDir: applyState,
      runDir: applyRun,
    });
    const leafCertPem = await issueTunnelLeaf(agent, ca, "self", "10.213.0.10");
    const plan = planHost(topology(SERVICE_COUNT), "self", {});
    const bundleFile = join(workDir, "bundle.json");
    writeFileSync(
      bundleFile,
      JSON.stringify({
        generation: 1,
        bundleHash: `sha256:footprint-${plan.services.length}`,
        plan,
        trustedCaPems: [ca.certPem],
        leafCertPem,
        crlPems: [],
      }),
    );
    const applied = await measureRun([
      "ip",
      "netns",
      "exec",
      host.name,
      process.execPath,
      bundle.path,
      "apply",
      "--bundle",
      bundleFile,
      "--state-dir",
      applyState,
      "--run-dir",
      applyRun,
    ]);
    console.log(
      `services ${plan.services.length}: peak RSS ${mib(applied.last.peakRssKiB)} MiB, CPU ${applied.last.cpuMs.toFixed(0)} ms, wall ${applied.wallMs.toFixed(0)} ms, exit ${applied.code}`,
    );
  } finally {
    for (const pidFile of [stunnelPidFile, connectedStunnelPidFile]) {
      if (!pidFile || !existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // stunnel already exited.
        }
      }
    }
    await controlPlane?.stop();
    await enrol.close().catch(() => undefined);
    await lab.destroy();
    installLab.destroy();
    rmSync(workDir, { recursive: true, force: true });
    rmSync(controlPlaneDir, { recursive: true, force: true });
  }
}

await main();
