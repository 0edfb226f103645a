// The real renderer: packages/mesh, IPv4 rules.
// IPv6 memberships would also need ip6tables-restore of the "ipv6" text; until the agent
// applies it, preflight rejects plans with IPv6 rules (checkAddressFamilies).
import { iptablesJumpRules, renderIptablesRestore, renderStunnelConf } from "@tunnelfleet/mesh";
import type { BundleRenderer } from "./renderer";

export const meshRenderer: BundleRenderer = {
  stunnelConf: (plan, paths) => renderStunnelConf(plan, paths),
  iptablesRestore: (plan) => renderIptablesRestore(plan, "ipv4"),
  jumpRules: () => iptablesJumpRules(),
};
