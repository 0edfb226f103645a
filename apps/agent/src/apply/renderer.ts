// The renderers the applier uses, behind an interface so unit tests can feed it fixed
// text. The real one is packages/mesh: the agent renders with its own paths, so a bundle
// from the gateway works with any --state-dir.
import type { HostPlan, StunnelPaths } from "@tunnelfleet/mesh";
import type { JumpRule } from "../netfilter/netfilter";

export interface BundleRenderer {
  stunnelConf(plan: HostPlan, paths: StunnelPaths): string;
  iptablesRestore(plan: HostPlan): string;
  jumpRules(): JumpRule[];
}
