// Picks the iptables backend the node already uses. iptables-nft and iptables-legacy must
// not both hold rules in one namespace, so the agent calls the backend-specific binaries
// (iptables-nft-restore, iptables-legacy-save, ...) of whichever `iptables` reports.
import type { HostExecutor } from "../executor/executor";

export type NetfilterBackend = "nft" | "legacy";

export interface IptablesCommands {
  backend: NetfilterBackend;
  iptables: string;
  restore: string;
  save: string;
}

export function parseIptablesVersion(output: string): NetfilterBackend | undefined {
  if (output.includes("(nf_tables)")) return "nft";
  if (output.includes("(legacy)")) return "legacy";
  return undefined;
}

export function commandsFor(backend: NetfilterBackend): IptablesCommands {
  return {
    backend,
    iptables: `iptables-${backend}`,
    restore: `iptables-${backend}-restore`,
    save: `iptables-${backend}-save`,
  };
}

/** Reads `iptables --version`; throws when iptables is missing or names neither backend. */
export async function detectBackend(executor: HostExecutor): Promise<IptablesCommands> {
  const result = await executor.run("iptables", ["--version"], { timeoutMs: 10_000 });
  if (result.code === 127) {
    throw new Error(
      "iptables is not installed: install the iptables package (Debian: apt-get install iptables)",
    );
  }
  const backend = parseIptablesVersion(`${result.stdout}${result.stderr}`);
  if (!backend) {
    throw new Error(
      `failed to detect the iptables backend from "${result.stdout.trim()}": expected "(nf_tables)" or "(legacy)" in iptables --version`,
    );
  }
  return commandsFor(backend);
}
