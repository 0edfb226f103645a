// npm run demo: the whole product on this machine, as root, in network namespaces.
//
// It starts the control plane in a namespace of its own and forwards its console to
// 127.0.0.1 here. It creates three Redis hosts (one primary, two replicas) and signs in
// with a generated admin password. Through the API it creates a strict Redis cluster and
// a join token per host, and it enrols a real agent on each host with the printed join
// command. Once every host applied its bundle and every link probe passes, it proves
// that no plaintext crosses the wire. It keeps running for the operator's browser until Ctrl-C
// (or exits after the proof with --no-wait) and always removes everything it created.
//
// Usage: npm run demo -- [--no-wait] [--port 3000]
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../apps/agent/test/support/netns";
import { ConsoleApi, type HostState } from "./demo/api";
import { sleep } from "./demo/lab";
import { DemoStack } from "./demo/stack";

const ROOT = join(import.meta.dirname, "..");
const REQUIRED_COMMANDS = [
  "ip",
  "stunnel",
  "iptables",
  "iptables-restore",
  "ss",
  "openssl",
  "redis-server",
  "redis-cli",
  "tcpdump",
  "flock",
];
const CLUSTER_NAME = "redis-demo";

interface Options {
  wait: boolean;
  port: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { wait: true, port: 3000 };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === "--no-wait") options.wait = false;
    else if (arg === "--port") {
      const value = Number(argv[index + 1]);
      if (!Number.isInteger(value) || value < 0 || value > 65_535) {
        fail(`--port must be a port number from 0 to 65535, got ${JSON.stringify(argv[index + 1])}`);
      }
      options.port = value;
      index += 1;
    } else if (arg === "--help" || arg === "-h") {
      console.log(
        "usage: npm run demo -- [--no-wait] [--port <console port on 127.0.0.1, default 3000, 0 picks one>]",
      );
      process.exit(0);
    } else fail(`unknown option ${JSON.stringify(arg)}; run npm run demo -- --help`);
  }
  return options;
}

function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(2);
}

// ---- Progress -------------------------------------------------------------------------

interface Step {
  title: string;
  /** The operator's next action when this step fails. */
  fix: string;
}

class StepFailed extends Error {
  constructor(
    readonly step: Step,
    readonly number: number,
    readonly reason: unknown,
  ) {
    super(`step ${number} failed`);
  }
}

/** Prints which step failed, why, and what to do about it. */
function reportFailure(error: unknown): void {
  if (!(error instanceof StepFailed)) {
    console.error(`\nFAILED: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const message = error.reason instanceof Error ? error.reason.message : String(error.reason);
  console.error(
    `\nFAILED at step ${error.number}/${STEP_COUNT} "${error.step.title}" after ${seconds(Date.now() - started)}:`,
  );
  console.error(`  ${message.split("\n").join("\n  ")}`);
  console.error(`  fix: ${error.step.fix}`);
}

const started = Date.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
let stepNumber = 0;
const STEP_COUNT = 11;

async function step<T>(title: string, fix: string, run: () => T | Promise<T>): Promise<T> {
  stepNumber += 1;
  const number = stepNumber;
  const label = `[${String(number).padStart(2)}/${STEP_COUNT}] ${title}`;
  console.log(`${label} ...`);
  const stepStarted = Date.now();
  try {
    const result = await run();
    console.log(
      `${label}: done in ${seconds(Date.now() - stepStarted)} (total ${seconds(Date.now() - started)})`,
    );
    return result;
  } catch (error) {
    throw new StepFailed({ title, fix }, number, error);
  }
}

// ---- Checks -----------------------------------------------------------------------------

function checkPrerequisites(): void {
  if (process.platform !== "linux")
    throw new Error(`the demo needs Linux network namespaces; this is ${process.platform}`);
  if (process.getuid?.() !== 0) throw new Error("the demo creates network namespaces and must run as root");
  const missing = REQUIRED_COMMANDS.filter(
    (command) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status !== 0,
  );
  if (missing.length > 0) throw new Error(`missing commands: ${missing.join(", ")}`);
}

function buildConsole(): void {
  const result = spawnSync(
    "flock",
    [
      join(tmpdir(), "tunnelfleet-e2e-next-build.lock"),
      process.execPath,
      "--import",
      "tsx",
      join(ROOT, "e2e", "support", "build-console.ts"),
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", timeout: 600_000 },
  );
  if (result.status !== 0) {
    throw new Error(
      `next build failed (exit ${result.status ?? result.signal}): ${(result.stderr ?? "").trim().slice(-2000)}`,
    );
  }
}

/** Returns a line per host that is not yet in sync, connected and probing every link ok. */
function unhealthy(states: HostState[], expectedHosts: string[]): string[] {
  const problems: string[] = [];
  for (const name of expectedHosts) {
    const state = states.find((candidate) => candidate.hostName === name);
    const observed = state?.observed;
    const probes = observed?.health?.probes ?? [];
    if (!state || !observed) problems.push(`${name}: no report yet`);
    else if (!observed.connected) problems.push(`${name}: agent not connected`);
    else if (observed.applyOk === false) problems.push(`${name}: apply failed: ${observed.applyError}`);
    else if (!state.inSync) {
      problems.push(
        `${name}: applied generation ${observed.generation ?? "none"}, desired ${state.desired?.generation ?? "none"}`,
      );
    } else if (probes.length === 0) problems.push(`${name}: no link probes reported yet`);
    else {
      for (const probe of probes.filter((candidate) => !candidate.ok)) {
        problems.push(
          `${name}: probe to ${probe.address}:${probe.port} failing${probe.error ? ` (${probe.error})` : ""}`,
        );
      }
    }
  }
  return problems;
}

// ---- Main ------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  await step(
    "Check root, Linux and the tools the demo runs",
    "run as root on Linux with: apt-get install iproute2 iptables stunnel4 redis-server redis-tools tcpdump openssl util-linux",
    checkPrerequisites,
  );
  await step(
    "Build the console UI (next build, skipped when current)",
    "run `npx next build` in apps/console and read its errors",
    buildConsole,
  );

  const stack = new DemoStack();
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping: removing the namespaces, processes and files the demo created ...");
    stopped = stack
      .destroy()
      .catch((error: unknown) => console.error(`cleanup: ${String(error)}`))
      .then(() => {
        console.log("Removed.");
        process.exit(code);
      });
  };
  // Handlers stay installed: a terminal's Ctrl-C reaches the whole process group, and npm
  // and tsx forward it again, so a second SIGINT must not end the cleanup half way.
  process.on("SIGINT", () => stop(130));
  process.on("SIGTERM", () => stop(143));

  try {
    await step(
      "Create the network namespaces and the bridge",
      "check that `ip netns add` works here (a container needs CAP_SYS_ADMIN)",
      () => {
        stack.createNetwork();
        console.log(
          `        namespaces ${stack.lab.bridgeNamespace.replace(/-br$/, "-*")}, files in ${stack.workDir}`,
        );
      },
    );
    await step(
      "Start Redis on redis-primary, redis-replica-1 and redis-replica-2",
      "check that redis-server starts: redis-server --version",
      () => stack.startRedis(),
    );

    const adminPassword = randomBytes(15).toString("base64url");
    const controlPlane = await step(
      "Start the control plane (console, gateway, embedded PostgreSQL)",
      "run again with DEMO_LOG=info for the control plane's log; pass --port <free port> if 3000 is taken",
      async () => {
        try {
          return await stack.startControlPlane(adminPassword, options.port);
        } catch (error) {
          const log = stack.controlPlaneLog();
          throw new Error(
            `${error instanceof Error ? error.message : String(error)}${log ? `\n${log}` : ""}`,
          );
        }
      },
    );

    const api = new ConsoleApi(controlPlane.consoleUrl);
    const cluster = await step(
      "Sign in as admin and create the strict Redis cluster through the API",
      "read the API's error above; the console's REST API is at /api/v1",
      async () => {
        await api.signIn("admin", adminPassword);
        return api.createCluster({ name: CLUSTER_NAME, preset: "redis", strict: true });
      },
    );

    await step(
      "Create a join token per host and join each with the printed command",
      "read the agent's message above; `tunnelfleet-agent join --help` lists the options",
      async () => {
        for (const host of stack.hosts) {
          const token = await api.createJoinToken({
            hostName: host.label,
            clusterId: cluster.id,
            address: host.address,
          });
          console.log(`        ${host.label}: ${token.command.replace(/--token \S+/, "--token <secret>")}`);
          const output = await stack.joinAndRun(host, token.command);
          console.log(`        ${output.split("\n").pop()}`);
        }
      },
    );

    const names = stack.hosts.map((host) => host.label);
    await step(
      "Wait until every host applied its bundle and every link probe passes",
      "open the console's Hosts page for each host's error; agents report every 2 s",
      async () => {
        let last: string[] = [];
        await waitFor(
          "every host to apply and report healthy links",
          async () => {
            last = unhealthy(await api.hostStates(), names);
            if (last.length === 0) return true;
            // Agents report every 2 s: one API call a second is enough.
            await sleep(1000);
            return false;
          },
          180_000,
        ).catch((error: Error) => {
          const logs = stack.hosts
            .filter((host) => last.some((line) => line.startsWith(`${host.label}:`)))
            .map((host) => `last log lines of the agent on ${host.label}:\n${stack.agentLog(host)}`);
          throw new Error([error.message, ...last.map((line) => `  - ${line}`), ...logs].join("\n"));
        });
      },
    );

    await step(
      "Start a bounded tcpdump capture on redis-primary's veth",
      "check that tcpdump runs: tcpdump --version",
      () => stack.startCapture(stack.primary),
    );
    await step(
      "Point both replicas at the primary (REPLICAOF 10.215.0.1 6379) and wait for the sync",
      "check the replicas' log with redis-cli INFO replication",
      () => stack.startReplication(),
    );

    const tunnelPorts = cluster.appPorts.map((_, index) => cluster.inboundPortBase + index);
    const proof = await step(
      "Write a canary on the primary, read it on both replicas, check the capture",
      "a finding above names the stream that was not TLS",
      async () => {
        const result = await stack.proveNoPlaintext(tunnelPorts);
        if (result.report.problems.length > 0) throw new Error(result.report.problems.join("\n"));
        return result;
      },
    );

    const { report } = proof;
    console.log(`
Proof: the canary ${proof.key} was written on redis-primary and read on both replicas.
  Capture on redis-primary's veth: ${report.packets} packets, ${report.tcpSegments} TCP segments,
  ${report.tlsStreams} stream directions on tunnel ports ${tunnelPorts.join(", ")} checked from their first byte: ${report.tlsRecords} TLS records,
  no canary bytes, no segment on app ports 6379/16379.

Console:  ${controlPlane.consoleUrl}
User:     admin
Password: ${adminPassword}   (generated for this run, shown once)
Gateway:  ${controlPlane.gatewayUrl} (inside the demo's namespaces)`);

    if (!options.wait) return 0;
    console.log(
      `\nThe cluster ${CLUSTER_NAME} is green in the console. Press Ctrl-C to stop and remove everything.`,
    );
    await new Promise<never>(() => undefined);
    return 0;
  } catch (error) {
    // A Ctrl-C during a step makes the step fail; the cleanup it started decides the exit.
    if (stopping) {
      await stopped;
      return 130;
    }
    reportFailure(error);
    return 1;
  } finally {
    if (!stopping) {
      stopping = true;
      console.log("\nRemoving the namespaces, processes and files the demo created ...");
      await stack.destroy().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
      console.log("Removed.");
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    reportFailure(error);
    process.exit(1);
  },
);
