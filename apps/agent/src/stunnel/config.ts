// Reads what the agent needs back out of a rendered stunnel.conf: the global options that
// SIGHUP does not reload, and the accept addresses to confirm after a start or reload.

/**
 * Global options stunnel 5.68 reads only at start: a SIGHUP keeps the old values, so a
 * change to any of them needs a restart.
 */
export const RESTART_ONLY_OPTIONS = ["pid", "setuid", "setgid", "foreground", "chroot"] as const;

/** Parses `key = value` lines of the global section (before the first `[service]`). */
export function parseGlobalOptions(conf: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const rawLine of conf.split("\n")) {
    const line = rawLine.trim();
    if (line.startsWith("[")) break;
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    const separator = line.indexOf("=");
    if (separator < 0) continue;
    options.set(line.slice(0, separator).trim().toLowerCase(), line.slice(separator + 1).trim());
  }
  return options;
}

/** Returns the restart-only options whose value differs between two configs. */
export function restartOnlyChanges(previous: string, next: string): string[] {
  const before = parseGlobalOptions(previous);
  const after = parseGlobalOptions(next);
  return RESTART_ONLY_OPTIONS.filter((option) => before.get(option) !== after.get(option));
}

export interface AcceptAddress {
  service: string;
  address: string;
  port: number;
}

/** Lists the `accept = address:port` of every service section. */
export function parseAcceptAddresses(conf: string): AcceptAddress[] {
  const accepts: AcceptAddress[] = [];
  let service: string | undefined;
  for (const rawLine of conf.split("\n")) {
    const line = rawLine.trim();
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      service = section[1];
      continue;
    }
    const accept = /^accept\s*=\s*(.+)$/.exec(line);
    if (!accept || !service) continue;
    const value = accept[1]!.trim();
    const separator = value.lastIndexOf(":");
    const port = Number(separator < 0 ? value : value.slice(separator + 1));
    const address =
      separator < 0 ? "0.0.0.0" : value.slice(0, separator).replace(/^\[/, "").replace(/\]$/, "");
    accepts.push({ service, address, port });
  }
  return accepts;
}
