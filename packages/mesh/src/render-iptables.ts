// Renders a host plan as iptables-restore --noflush input, plus the jumps from the
// built-in chains and the removal. Every iptables rule Tunnelfleet emits is written here.
import type { AddressFamily } from "./fields";
import type { DnatRule, EgressGuardRule, HostPlan, IngressGuardRule } from "./model";

/** nat chain of the DNAT rules. nat OUTPUT jumps here because only connections of local apps are steered. */
export const NAT_OUTPUT_CHAIN = "TUNNELFLEET-OUTPUT";

/** filter chain of the ingress guards. filter INPUT jumps here because it handles connections to this host. */
export const FILTER_INPUT_CHAIN = "TUNNELFLEET-INPUT";

/**
 * filter chain of the egress guards. filter OUTPUT jumps here. It runs after nat OUTPUT,
 * so its rules match the DNATed loopback destination of tunnelled connections and
 * reject only plaintext that escaped the DNAT rules.
 */
export const FILTER_OUTPUT_CHAIN = "TUNNELFLEET-OUTPUT";

/** First word of every rule comment, so `iptables-save | grep tunnelfleet` finds all of ours. */
export const RULE_COMMENT_PREFIX = "tunnelfleet";

/** A jump from a built-in chain into one of our chains, as iptables arguments (no binary, no -w). */
export interface IptablesJump {
  table: "nat" | "filter";
  chain: "INPUT" | "OUTPUT";
  target: string;
  /** Arguments that exit 0 when the jump exists (`-C`). */
  check: string[];
  /** Arguments that insert the jump as the chain's first rule (`-I <chain> 1`). */
  insert: string[];
  /** Arguments that delete one copy of the jump (`-D`). */
  delete: string[];
}

function hostMask(family: AddressFamily): string {
  return family === "ipv6" ? "128" : "32";
}

function destination(address: string, family: AddressFamily): string {
  return `${address}/${hostMask(family)}`;
}

function toDestination(address: string, port: number, family: AddressFamily): string {
  return family === "ipv6" ? `[${address}]:${port}` : `${address}:${port}`;
}

function comment(text: string): string {
  return `-m comment --comment "${RULE_COMMENT_PREFIX} ${text}"`;
}

function familyOf(address: string): AddressFamily {
  return address.includes(":") ? "ipv6" : "ipv4";
}

// The rule lines below are written in iptables-save's own order of matches, so that
// `iptables-save` prints them back unchanged.

function dnatLine(rule: DnatRule, family: AddressFamily): string {
  return [
    `-A ${NAT_OUTPUT_CHAIN} -d ${destination(rule.destination, family)} -p tcp -m tcp --dport ${rule.appPort}`,
    comment(`cluster ${rule.clusterId} peer ${rule.peerHostId} dnat`),
    `-j DNAT --to-destination ${toDestination(rule.toAddress, rule.toPort, family)}`,
  ].join(" ");
}

// NOTE: the guard matches the member address only; an app bound to every address stays
// reachable in clear on the host's other addresses.
function ingressGuardLine(rule: IngressGuardRule, family: AddressFamily): string {
  return [
    `-A ${FILTER_INPUT_CHAIN} -d ${destination(rule.address, family)} ! -i lo -p tcp -m tcp --dport ${rule.appPort}`,
    comment(`cluster ${rule.clusterId} ingress guard`),
    "-j DROP",
  ].join(" ");
}

function egressGuardLine(rule: EgressGuardRule, family: AddressFamily): string {
  return [
    `-A ${FILTER_OUTPUT_CHAIN} -d ${destination(rule.destination, family)} -p tcp -m tcp --dport ${rule.appPort}`,
    comment(`cluster ${rule.clusterId} egress guard`),
    "-j REJECT --reject-with tcp-reset",
  ].join(" ");
}

/**
 * Renders the rules of one address family as iptables-restore --noflush input (feed
 * the "ipv6" text to ip6tables-restore). Declaring a chain in --noflush input creates it
 * or flushes it, so applying the text replaces exactly our chains' rules in one
 * transaction and leaves every other chain alone. Both families declare all three chains,
 * even when empty, so a rule that leaves the plan also leaves the kernel. The jumps into
 * the chains are not part of it: see iptablesJumpRules.
 */
export function renderIptablesRestore(plan: HostPlan, family: AddressFamily = "ipv4"): string {
  const inFamily = <T>(rules: T[], address: (rule: T) => string) =>
    rules.filter((rule) => familyOf(address(rule)) === family);
  const label = family === "ipv6" ? "IPv6, for ip6tables-restore" : "IPv4, for iptables-restore";

  const lines = [
    `# Tunnelfleet rules of host ${plan.hostName} (id ${plan.hostId}), ${label} --noflush.`,
    "*nat",
    `:${NAT_OUTPUT_CHAIN} - [0:0]`,
    ...inFamily(plan.dnat, (rule) => rule.destination).map((rule) => dnatLine(rule, family)),
    "COMMIT",
    "*filter",
    `:${FILTER_INPUT_CHAIN} - [0:0]`,
    `:${FILTER_OUTPUT_CHAIN} - [0:0]`,
    ...inFamily(plan.ingressGuards, (rule) => rule.address).map((rule) => ingressGuardLine(rule, family)),
    ...inFamily(plan.egressGuards, (rule) => rule.destination).map((rule) => egressGuardLine(rule, family)),
    "COMMIT",
  ];
  return `${lines.join("\n")}\n`;
}

function jump(table: IptablesJump["table"], chain: IptablesJump["chain"], target: string): IptablesJump {
  const spec = ["-m", "comment", "--comment", `${RULE_COMMENT_PREFIX} jump`, "-j", target];
  return {
    table,
    chain,
    target,
    check: ["-t", table, "-C", chain, ...spec],
    insert: ["-t", table, "-I", chain, "1", ...spec],
    delete: ["-t", table, "-D", chain, ...spec],
  };
}

/**
 * Returns the jumps from the built-in chains into ours, the same for both families.
 * After the restore text has created our chains, the agent inserts each jump first in
 * its chain when `check` fails, so our DNAT and guards run before the operator's rules.
 */
export function iptablesJumpRules(): IptablesJump[] {
  return [
    jump("nat", "OUTPUT", NAT_OUTPUT_CHAIN),
    jump("filter", "INPUT", FILTER_INPUT_CHAIN),
    jump("filter", "OUTPUT", FILTER_OUTPUT_CHAIN),
  ];
}

/**
 * Renders the iptables-restore --noflush input that flushes and deletes our chains, the
 * same for both families. It succeeds whether or not the chains exist, but fails as a
 * whole while a jump still refers to them, so the removal is: run each jump's `delete`
 * until its `check` fails, then apply this text.
 * NOTE: a table that did not exist before install (no rules in nat, say) stays behind
 * with empty built-in chains, because iptables cannot delete a table.
 */
export function renderIptablesRemoval(): string {
  const lines = [
    "# Tunnelfleet removal: flushes and deletes our chains after their jumps are gone.",
    "*nat",
    `:${NAT_OUTPUT_CHAIN} - [0:0]`,
    `-X ${NAT_OUTPUT_CHAIN}`,
    "COMMIT",
    "*filter",
    `:${FILTER_INPUT_CHAIN} - [0:0]`,
    `:${FILTER_OUTPUT_CHAIN} - [0:0]`,
    `-X ${FILTER_INPUT_CHAIN}`,
    `-X ${FILTER_OUTPUT_CHAIN}`,
    "COMMIT",
  ];
  return `${lines.join("\n")}\n`;
}
