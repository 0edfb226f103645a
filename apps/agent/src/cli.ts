#!/usr/bin/env node
// tunnelfleet-agent: join a control plane, run the agent, show status, uninstall.
import { readFile } from "node:fs/promises";
import { join as joinPath, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError } from "commander";
import agentPackage from "../package.json" with { type: "json" };
import { type Agent, createAgent } from "./agent";
import type { AgentBundle } from "./apply/applier";
import { startDriftWatch } from "./drift";
import { join } from "./identity/enrol";
import { type AgentIdentity, loadIdentity, saveIdentity } from "./identity/identity";
import { prepareTunnelCsr } from "./identity/tunnel-key";
import { createLogger, type Logger } from "./log";
import { DEFAULT_RUN_DIR, DEFAULT_STATE_DIR } from "./paths";
import { renewalCheck } from "./renewal";
import { renderServiceUnit } from "./service-unit";
import { AgentSession, type SessionFacts } from "./session/session";
import { formatStatus, readStatus } from "./status";
import { detectStunnelVersion } from "./stunnel/version";
import { uninstall } from "./uninstall";

/** Version from apps/agent/package.json; the bundle build embeds it. */
const AGENT_VERSION: string = agentPackage.version;

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a positive number of seconds`);
  }
  return seconds;
}

interface CommonOptions {
  stateDir: string;
  runDir: string;
  stunnel: string;
}

function withCommonOptions(command: Command): Command {
  return command
    .option("--state-dir <dir>", "directory of the agent's identity, keys and generations", DEFAULT_STATE_DIR)
    .option("--run-dir <dir>", "directory of stunnel's pid and log files", DEFAULT_RUN_DIR)
    .option("--stunnel <path>", "stunnel binary", "stunnel");
}

function agentFor(options: CommonOptions, logger?: Logger): Agent {
  return createAgent({
    stateDir: resolve(options.stateDir),
    runDir: resolve(options.runDir),
    stunnelBinary: options.stunnel,
    ...(logger ? { logger } : {}),
  });
}

async function sessionFacts(agent: Agent): Promise<SessionFacts> {
  const version = await detectStunnelVersion(agent.executor, agent.stunnel.files.binary);
  let backend: SessionFacts["netfilterBackend"] = "unknown";
  try {
    backend = (await agent.netfilter()).commands.backend;
  } catch {
    backend = "unknown";
  }
  return {
    agentVersion: AGENT_VERSION,
    stunnelVersion: version?.version ?? "unknown",
    opensslVersion: version?.openssl ?? "unknown",
    netfilterBackend: backend,
  };
}

const program = new Command()
  .name("tunnelfleet-agent")
  .description(
    "Tunnelfleet node agent: runs stunnel and the netfilter rules the control plane plans for this node",
  )
  .version(AGENT_VERSION);

withCommonOptions(program.command("join"))
  .description("enrol this node with a control plane (once per node)")
  .requiredOption("--server <url>", "gateway URL, e.g. https://tunnelfleet.example:8443")
  .requiredOption("--token <token>", "single-use join token from the console")
  .requiredOption("--ca-hash <hash>", "SPKI hash of the gateway CA, sha256:<hex>, from the console")
  .option("--name <name>", "host name to register (when the token does not fix it)")
  .action(
    async (options: CommonOptions & { server: string; token: string; caHash: string; name?: string }) => {
      const agent = agentFor(options);
      const identity = await join({
        server: options.server,
        token: options.token,
        caHash: options.caHash,
        ...(options.name ? { hostName: options.name } : {}),
      });
      await saveIdentity(agent.executor, agent.paths, identity);
      console.log(
        `joined ${identity.server} as host ${identity.hostName} (id ${identity.hostId}); identity in ${agent.paths.identityDir}`,
      );
    },
  );

withCommonOptions(program.command("run"))
  .description("connect to the control plane and keep this node's tunnels applied")
  .option("--drift-interval <seconds>", "seconds between drift checks", positiveSeconds, 30)
  .option("--heartbeat-interval <seconds>", "seconds between heartbeats", positiveSeconds, 30)
  .action(async (options: CommonOptions & { driftInterval: number; heartbeatInterval: number }) => {
    const logger = createLogger();
    const agent = agentFor(options, logger);
    const identity: AgentIdentity = await loadIdentity(agent.executor, agent.paths);
    const session = new AgentSession({
      identity,
      applier: agent.applier,
      facts: () => sessionFacts(agent),
      health: () => agent.health(),
      createTunnelCsr: () => prepareTunnelCsr(agent.executor, agent.paths, identity.hostName),
      logger,
      heartbeatMs: options.heartbeatInterval * 1000,
    });
    session.start();
    // A repair is reported to the control plane at once through a heartbeat.
    const stopDrift = startDriftWatch(agent, options.driftInterval * 1000, () => session.sendHeartbeat());
    const renewalTimer = setInterval(
      () => {
        renewalCheck(agent, session).catch((error: Error) =>
          logger.error({ err: error.message }, "renewal check failed"),
        );
      },
      15 * 60 * 1000,
    );
    logger.info({ hostId: identity.hostId, stateDir: agent.paths.stateDir }, "agent started");

    const shutdown = (signal: string) => {
      logger.info({ signal }, "agent stopping; stunnel and the rules keep running");
      clearInterval(renewalTimer);
      stopDrift();
      session.stop();
      setTimeout(() => process.exit(0), 200).unref();
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
    await new Promise<never>(() => undefined);
  });

withCommonOptions(program.command("apply"))
  .description("apply a bundle from a JSON file, without a control plane")
  .requiredOption(
    "--bundle <file>",
    "bundle JSON: {generation, bundleHash, plan, trustedCaPems, leafCertPem, crlPems}",
  )
  .action(async (options: CommonOptions & { bundle: string }) => {
    const agent = agentFor(options, createLogger());
    const bundle = JSON.parse(await readFile(options.bundle, "utf8")) as AgentBundle;
    const result = await agent.applier.apply(bundle);
    console.log(JSON.stringify(result, null, 2));
    if (!result.ok) process.exitCode = 1;
  });

withCommonOptions(program.command("status"))
  .description("show what is applied and whether it is healthy")
  .option("--json", "print JSON instead of text")
  .action(async (options: CommonOptions & { json?: boolean }) => {
    const status = await readStatus(agentFor(options));
    process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    if (!status.healthy) process.exitCode = 2;
  });

withCommonOptions(program.command("uninstall"))
  .description("stop this agent's stunnel, remove its rules and files")
  .action(async (options: CommonOptions) => {
    const result = await uninstall(agentFor(options, createLogger()));
    if (result.rulesRestored === false) {
      console.error(`iptables-save differs from before the first apply:\n${result.difference.join("\n")}`);
      process.exitCode = 1;
      return;
    }
    console.log(
      result.rulesRestored === true
        ? "uninstalled; iptables-save equals the snapshot from before the first apply"
        : "uninstalled; no rules had been applied",
    );
  });

withCommonOptions(program.command("install-service"))
  .description("write a systemd unit that runs the agent")
  .option("--unit-dir <dir>", "directory of the unit file", "/etc/systemd/system")
  .action(async (options: CommonOptions & { unitDir: string }) => {
    const agent = agentFor(options);
    // From a checkout the sources run through bin/ (tsx); the single-file bundle of
    // `npm run build:agent`, as the install script installs it, runs itself.
    const selfPath = fileURLToPath(import.meta.url);
    const binPath = selfPath.endsWith(".ts")
      ? fileURLToPath(new URL("../bin/tunnelfleet-agent.mjs", import.meta.url))
      : selfPath;
    const unit = renderServiceUnit({
      command: [process.execPath, binPath],
      stateDir: resolve(options.stateDir),
      runDir: resolve(options.runDir),
    });
    const unitPath = joinPath(resolve(options.unitDir), "tunnelfleet-agent.service");
    await agent.executor.makeDirectory(resolve(options.unitDir), 0o755);
    await agent.executor.writeFileAtomic(unitPath, unit, 0o644);
    console.log(
      `wrote ${unitPath}; enable it with: systemctl daemon-reload && systemctl enable --now tunnelfleet-agent`,
    );
  });

program.parseAsync().catch((error: Error) => {
  console.error(`tunnelfleet-agent: ${error.message}`);
  process.exit(1);
});
