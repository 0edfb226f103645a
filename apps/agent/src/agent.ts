// Wires the agent's parts together for one node (or one network namespace): the CLI,
// the system tests and the benchmark all build the agent through createAgent.
import { Applier } from "./apply/applier";
import { meshRenderer } from "./apply/mesh-renderer";
import type { BundleRenderer } from "./apply/renderer";
import type { DriftOptions } from "./drift";
import type { HostExecutor } from "./executor/executor";
import { NodeExecutor } from "./executor/node-executor";
import { collectHealth } from "./health/health";
import { NodeTlsProber, type PeerProber } from "./health/tls-probe";
import { type Logger, silentLogger } from "./log";
import { detectBackend } from "./netfilter/backend";
import { Netfilter } from "./netfilter/netfilter";
import { type AgentPaths, agentPaths } from "./paths";
import { StunnelController } from "./stunnel/controller";

export interface AgentConfig {
  stateDir?: string;
  runDir?: string;
  stunnelBinary?: string;
  executor?: HostExecutor;
  renderer?: BundleRenderer;
  prober?: PeerProber;
  logger?: Logger;
}

export interface Agent extends DriftOptions {
  prober: PeerProber;
  health: () => ReturnType<typeof collectHealth>;
}

export function createAgent(config: AgentConfig = {}): Agent {
  const executor = config.executor ?? new NodeExecutor();
  const paths: AgentPaths = agentPaths(config.stateDir, config.runDir);
  const renderer = config.renderer ?? meshRenderer;
  const logger = config.logger ?? silentLogger();
  const prober = config.prober ?? new NodeTlsProber();
  const stunnel = new StunnelController(executor, {
    binary: config.stunnelBinary ?? "stunnel",
    confPath: paths.stunnelConf,
    pidFile: paths.pidFile,
    logFile: paths.logFile,
  });

  let netfilterPromise: Promise<Netfilter> | undefined;
  const netfilter = () => {
    netfilterPromise ??= detectBackend(executor).then((commands) => new Netfilter(executor, commands));
    netfilterPromise.catch(() => {
      netfilterPromise = undefined;
    });
    return netfilterPromise;
  };

  const applier = new Applier({ executor, paths, renderer, stunnel, netfilter, logger });
  const parts = { executor, paths, renderer, stunnel, netfilter, applier, logger, prober };
  return { ...parts, health: () => collectHealth(parts) };
}
