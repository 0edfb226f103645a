// Preview of a host's configuration: the stunnel.conf and iptables-restore text rendered
// from its current plan with the agent's default file paths. It only reads, so ports of
// tunnels not yet allocated are shown as planned and persisted later by the bundle build.
import { renderIptablesRestore, renderStunnelConf, type StunnelPaths } from "@tunnelfleet/mesh";
import type { Db } from "../db";
import { planStoredHost } from "./bundle";
import { NotFoundError } from "./errors";
import type { ConfigPreviewView } from "./views";

/**
 * Paths the agent writes into stunnel.conf with its default state and run directories
 * (/etc/tunnelfleet, /run/tunnelfleet): files go through the `current` generation link.
 * Kept equal to the agent's stunnelPathsFor by hand, since apps do not import each other.
 */
export const DEFAULT_AGENT_PATHS: StunnelPaths = {
  cert: "/etc/tunnelfleet/current/cert.pem",
  key: "/etc/tunnelfleet/current/key.pem",
  caFile: "/etc/tunnelfleet/current/ca.pem",
  crlFile: "/etc/tunnelfleet/current/crl.pem",
  pidFile: "/run/tunnelfleet/stunnel.pid",
  logFile: "/run/tunnelfleet/stunnel.log",
};

export async function previewHostConfig(
  db: Db,
  hostId: string,
  paths: StunnelPaths = DEFAULT_AGENT_PATHS,
): Promise<ConfigPreviewView> {
  const host = await db.host.findUnique({ where: { id: hostId }, select: { id: true, name: true } });
  if (!host) throw new NotFoundError("host", hostId);

  const { plan, generation } = await planStoredHost(db, hostId);
  const stunnelConf =
    plan.services.length === 0
      ? "; no services: the host is in no cluster, so the agent keeps stunnel stopped\n"
      : renderStunnelConf(plan, paths);
  const hasIpv6 = plan.services.some((service) => service.connectAddress.includes(":"));

  return {
    hostId,
    hostName: host.name,
    generation,
    stunnelConf,
    iptablesRules: renderIptablesRestore(plan, "ipv4"),
    ip6tablesRules: hasIpv6 ? renderIptablesRestore(plan, "ipv6") : null,
  };
}
