// Reads iptables-restore and iptables-save text: which tables and chains a rendered rule
// set declares, the lines of those chains in a save dump, and the normalised dump that
// uninstall compares with the snapshot taken before the first apply.

/** User chains declared (`:NAME - [0:0]`) per table in an iptables-restore text. */
export function declaredChains(restoreText: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  let table: string | undefined;
  for (const rawLine of restoreText.split("\n")) {
    const line = rawLine.trim();
    if (line.startsWith("*")) {
      table = line.slice(1);
      if (!chains.has(table)) chains.set(table, []);
      continue;
    }
    const declaration = /^:(\S+)\s+-\s/.exec(line);
    if (declaration && table) chains.get(table)!.push(declaration[1]!);
  }
  return chains;
}

/** Returns the `-A` lines of the given chains in an iptables-save dump of one table, in order. */
export function chainRules(saveText: string, chains: string[]): string[] {
  const wanted = new Set(chains);
  return saveText
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => {
      const match = /^-A (\S+)/.exec(line);
      return match !== null && wanted.has(match[1]!);
    });
}

/** Returns the chains present in an iptables-save dump of one table. */
export function savedChains(saveText: string): Set<string> {
  const chains = new Set<string>();
  for (const line of saveText.split("\n")) {
    const match = /^:(\S+)\s/.exec(line.trim());
    if (match) chains.add(match[1]!);
  }
  return chains;
}

/** Drops comment lines and packet counters so two dumps of the same rules compare equal. */
export function normaliseSave(saveText: string): string {
  return saveText
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .map((line) => line.replace(/\[\d+:\d+\]/g, "[0:0]").trimEnd())
    .filter((line) => line !== "")
    .join("\n");
}

/** Returns the tables present in an iptables-save dump. */
export function savedTables(saveText: string): Set<string> {
  const tables = new Set<string>();
  for (const line of saveText.split("\n")) {
    if (line.startsWith("*")) tables.add(line.slice(1).trim());
  }
  return tables;
}

/** Renders the restore text that flushes and deletes the given chains (after the jumps to them are gone). */
export function renderChainRemoval(chains: Map<string, string[]>): string {
  const lines: string[] = [];
  for (const [table, names] of chains) {
    if (names.length === 0) continue;
    lines.push(`*${table}`);
    for (const name of names) lines.push(`-F ${name}`);
    for (const name of names) lines.push(`-X ${name}`);
    lines.push("COMMIT");
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
