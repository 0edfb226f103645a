// Status report of `tunnelfleet-agent status`: the applied generation and whether the data
// plane matches it (stunnel alive, listeners up, rules unchanged, the served leaf).
import type { Health } from "@tunnelfleet/protocol";
import type { Agent } from "./agent";

export interface AgentStatus {
  stateDir: string;
  applied: { generation: number; bundleHash: string; appliedAt: string; generationDir: string } | null;
  stunnelPid: number | null;
  health: Health;
  healthy: boolean;
}

export async function readStatus(agent: Agent): Promise<AgentStatus> {
  const state = await agent.applier.appliedState();
  const pid = await agent.stunnel.readPid();
  const health = await agent.health();
  const healthy =
    state !== undefined &&
    (health.listenersUp.length === 0 || health.stunnelAlive) &&
    health.listenersUp.every((listener) => listener.up) &&
    health.rulesPresent &&
    health.probes.every((probe) => probe.ok);
  return {
    stateDir: agent.paths.stateDir,
    applied: state
      ? {
          generation: state.generation,
          bundleHash: state.bundleHash,
          appliedAt: state.appliedAt,
          generationDir: state.generationDir,
        }
      : null,
    stunnelPid: pid ?? null,
    health,
    healthy,
  };
}

export function formatStatus(status: AgentStatus): string {
  if (!status.applied) return `nothing applied yet (state directory ${status.stateDir})\n`;
  const { health } = status;
  const lines = [
    `generation   ${status.applied.generation} (${status.applied.bundleHash}), applied ${status.applied.appliedAt}`,
    `overall      ${status.healthy ? "healthy" : "NOT healthy"}`,
    `stunnel      ${health.stunnelAlive ? `running, pid ${status.stunnelPid}` : "NOT running"}`,
    `rules        ${health.rulesPresent ? "present and unchanged" : "MISSING or altered (the drift check repairs them)"}`,
    `certificate  ${health.servedCertificate ? `serial ${health.servedCertificate.serial}, expires ${health.servedCertificate.notAfter}` : "none"}`,
    "listeners",
    ...health.listenersUp.map(
      (listener) => `  ${listener.up ? "up  " : "DOWN"} ${listener.address}:${listener.port}`,
    ),
    "peer probes",
    ...health.probes.map(
      (probe) =>
        `  ${probe.ok ? "ok  " : "FAIL"} ${probe.peerHostId} ${probe.address}:${probe.port}${probe.error ? ` (${probe.error})` : ""}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}
