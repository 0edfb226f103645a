// Applies, checks and removes the agent's own iptables chains. Our rules live only in
// chains the rendered text declares; the built-in chains get one jump rule each.
// `iptables-restore --noflush` replaces a declared chain atomically, and a bad line leaves
// it unchanged. The jump rules are separate `-I` calls and not atomic with it, so they
// are added after the chains exist and removed before the chains go.
import type { IptablesJump } from "@tunnelfleet/mesh";
import type { HostExecutor } from "../executor/executor";
import type { IptablesCommands } from "./backend";
import {
  chainRules,
  declaredChains,
  normaliseSave,
  renderChainRemoval,
  savedChains,
  savedTables,
} from "./restore-text";

/** A rule in a built-in chain that sends traffic into one of our chains, with its -C/-I/-D arguments. */
export type JumpRule = IptablesJump;

export class NetfilterError extends Error {
  /**
   * @param chainsReplaced whether our chains already hold the new rules (a later step
   *   failed), so that putting the previous generation back must restore them too.
   */
  constructor(
    message: string,
    readonly chainsReplaced = false,
  ) {
    super(message);
    this.name = "NetfilterError";
  }
}

/** Rules of our chains as iptables-save prints them, per table. */
export type ChainBaseline = Record<string, string[]>;

export interface DriftFinding {
  kind: "chain-missing" | "rules-altered" | "jump-missing";
  table: string;
  chain: string;
}

export class Netfilter {
  constructor(
    private readonly executor: HostExecutor,
    readonly commands: IptablesCommands,
  ) {}

  /** Replaces our chains with the rendered text, then makes sure every jump rule exists. */
  async apply(restoreText: string, jumps: JumpRule[]): Promise<ChainBaseline> {
    const result = await this.executor.run(this.commands.restore, ["--noflush"], { input: restoreText });
    if (result.code !== 0) {
      throw new NetfilterError(
        `${this.commands.restore} --noflush rejected the rules (exit ${result.code}); our chains are unchanged: ${result.stderr.trim()}`,
      );
    }
    try {
      await this.ensureJumps(jumps);
      return await this.readBaseline(declaredChains(restoreText));
    } catch (error) {
      throw new NetfilterError((error as Error).message, true);
    }
  }

  /** Adds each jump rule that `-C` does not find, at the top of its built-in chain. */
  async ensureJumps(jumps: JumpRule[]): Promise<void> {
    for (const jump of jumps) {
      if (await this.hasJump(jump)) continue;
      const result = await this.executor.run(this.commands.iptables, jump.insert);
      if (result.code !== 0) {
        throw new NetfilterError(
          `adding the jump rule to ${jump.table} ${jump.chain} failed (exit ${result.code}): ${result.stderr.trim()}`,
        );
      }
    }
  }

  async hasJump(jump: JumpRule): Promise<boolean> {
    const result = await this.executor.run(this.commands.iptables, jump.check);
    return result.code === 0;
  }

  /** Reads the current rules of the given chains, as iptables-save prints them. */
  async readBaseline(chains: Map<string, string[]>): Promise<ChainBaseline> {
    const baseline: ChainBaseline = {};
    for (const [table, names] of chains) {
      baseline[table] = chainRules(await this.saveTable(table), names);
    }
    return baseline;
  }

  /** Compares our chains and jump rules with what the last apply left. */
  async findDrift(restoreText: string, baseline: ChainBaseline, jumps: JumpRule[]): Promise<DriftFinding[]> {
    const findings: DriftFinding[] = [];
    for (const [table, names] of declaredChains(restoreText)) {
      const saved = await this.saveTable(table);
      const present = savedChains(saved);
      for (const chain of names) {
        if (!present.has(chain)) {
          findings.push({ kind: "chain-missing", table, chain });
          continue;
        }
        const expected = (baseline[table] ?? []).filter((line) => line.startsWith(`-A ${chain} `));
        const actual = chainRules(saved, [chain]);
        if (expected.join("\n") !== actual.join("\n")) findings.push({ kind: "rules-altered", table, chain });
      }
    }
    for (const jump of jumps) {
      if (!(await this.hasJump(jump)))
        findings.push({ kind: "jump-missing", table: jump.table, chain: jump.chain });
    }
    return findings;
  }

  /**
   * Removes the jump rules and our chains. With the nft backend it also drops a table
   * that was absent from `snapshot` and contains no rules now, so that iptables-save prints
   * what it printed before the first apply.
   */
  async remove(restoreText: string, jumps: JumpRule[], snapshot?: string): Promise<void> {
    for (const jump of jumps) {
      for (let attempt = 0; attempt < 16 && (await this.hasJump(jump)); attempt += 1) {
        await this.executor.run(this.commands.iptables, jump.delete);
      }
    }

    const chains = declaredChains(restoreText);
    const existing = new Map<string, string[]>();
    for (const [table, names] of chains) {
      const present = savedChains(await this.saveTable(table));
      existing.set(
        table,
        names.filter((name) => present.has(name)),
      );
    }
    const removal = renderChainRemoval(existing);
    if (removal !== "") {
      const result = await this.executor.run(this.commands.restore, ["--noflush"], { input: removal });
      if (result.code !== 0) {
        throw new NetfilterError(`removing our chains failed (exit ${result.code}): ${result.stderr.trim()}`);
      }
    }

    if (snapshot === undefined || this.commands.backend !== "nft") return;
    const tablesBefore = savedTables(snapshot);
    for (const table of chains.keys()) {
      if (tablesBefore.has(table)) continue;
      const saved = await this.saveTable(table);
      if (/^-A /m.test(saved)) continue;
      await this.executor.run("nft", ["delete", "table", "ip", table]);
    }
  }

  /** Returns the whole ruleset, normalised (no timestamps, no counters). */
  async snapshot(): Promise<string> {
    const result = await this.executor.run(this.commands.save, []);
    if (result.code !== 0) throw new NetfilterError(`${this.commands.save} failed: ${result.stderr.trim()}`);
    return normaliseSave(result.stdout);
  }

  private async saveTable(table: string): Promise<string> {
    const result = await this.executor.run(this.commands.save, ["-t", table]);
    if (result.code !== 0)
      throw new NetfilterError(`${this.commands.save} -t ${table} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }
}
