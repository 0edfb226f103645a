// File layout of the agent. Every path derives from the state directory (identity, tunnel
// keys, generations, the `current` link) or the run directory (pid, log).
import { join } from "node:path";
import type { StunnelPaths } from "@tunnelfleet/mesh";

export const DEFAULT_STATE_DIR = "/etc/tunnelfleet";
export const DEFAULT_RUN_DIR = "/run/tunnelfleet";

export interface AgentPaths {
  stateDir: string;
  runDir: string;
  identityDir: string;
  /** The agent's gateway identity: key, certificate, pinned gateway CA, server URL. */
  agentKey: string;
  agentCert: string;
  gatewayCa: string;
  identityFile: string;
  /** The tunnel key stunnel serves, and the one generated for a pending renewal. */
  tunnelKey: string;
  tunnelNextKey: string;
  generationsDir: string;
  /** Symlink to the generation stunnel runs; stunnel.conf names files through it. */
  currentLink: string;
  /**
   * The config stunnel runs, a copy of the current generation's. It cannot be reached
   * through `current`: stunnel 5.68 resolves the config path once at start and re-reads
   * that resolved file on every SIGHUP.
   */
  stunnelConf: string;
  stateFile: string;
  /** Normalised iptables-save output from before the first apply; uninstall restores to it. */
  netfilterSnapshot: string;
  pidFile: string;
  logFile: string;
}

export function agentPaths(stateDir = DEFAULT_STATE_DIR, runDir = DEFAULT_RUN_DIR): AgentPaths {
  const identityDir = join(stateDir, "identity");
  return {
    stateDir,
    runDir,
    identityDir,
    agentKey: join(identityDir, "agent.key"),
    agentCert: join(identityDir, "agent.crt"),
    gatewayCa: join(identityDir, "gateway-ca.pem"),
    identityFile: join(identityDir, "identity.json"),
    tunnelKey: join(stateDir, "tunnel", "tunnel.key"),
    tunnelNextKey: join(stateDir, "tunnel", "tunnel-next.key"),
    generationsDir: join(stateDir, "generations"),
    currentLink: join(stateDir, "current"),
    stunnelConf: join(stateDir, "stunnel.conf"),
    stateFile: join(stateDir, "state.json"),
    netfilterSnapshot: join(stateDir, "iptables-before.txt"),
    pidFile: join(runDir, "stunnel.pid"),
    logFile: join(runDir, "stunnel.log"),
  };
}

/** Files of one generation directory, named the same in every generation. */
export const GENERATION_FILES = {
  conf: "stunnel.conf",
  cert: "cert.pem",
  key: "key.pem",
  caFile: "ca.pem",
  crlFile: "crl.pem",
  rules: "rules.txt",
  bundle: "bundle.json",
} as const;

/** Paths written into stunnel.conf: through `current`, so a generation switch plus SIGHUP changes all files at once. */
export function stunnelPathsFor(paths: AgentPaths, withCrl: boolean): StunnelPaths {
  return {
    cert: join(paths.currentLink, GENERATION_FILES.cert),
    key: join(paths.currentLink, GENERATION_FILES.key),
    caFile: join(paths.currentLink, GENERATION_FILES.caFile),
    ...(withCrl ? { crlFile: join(paths.currentLink, GENERATION_FILES.crlFile) } : {}),
    pidFile: paths.pidFile,
    logFile: paths.logFile,
  };
}
