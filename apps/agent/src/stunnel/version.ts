// Detects the installed stunnel and the OpenSSL it runs with. `stunnel -version` prints
// its banner to stderr (stunnel 5.68 on Debian 12) and exits non-zero on some builds.
import type { HostExecutor } from "../executor/executor";

export interface StunnelVersion {
  major: number;
  minor: number;
  /** "5.68" */
  version: string;
  /** OpenSSL the binary runs with, when the banner names it. */
  openssl?: string;
}

/** Oldest stunnel whose options (verifyChain, checkIP, requireCert) our renderer emits. */
export const MIN_STUNNEL_MAJOR = 5;

export function parseStunnelVersion(banner: string): StunnelVersion | undefined {
  const match = /stunnel (\d+)\.(\d+)/.exec(banner);
  if (!match) return undefined;
  const openssl =
    /Running\s+with OpenSSL (\S+)/.exec(banner)?.[1] ?? /Compiled with OpenSSL (\S+)/.exec(banner)?.[1];
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    version: `${match[1]}.${match[2]}`,
    ...(openssl ? { openssl } : {}),
  };
}

/** Returns the installed version, or undefined when the binary is missing or prints no banner. */
export async function detectStunnelVersion(
  executor: HostExecutor,
  binary: string,
): Promise<StunnelVersion | undefined> {
  const result = await executor.run(binary, ["-version"], { timeoutMs: 10_000 });
  if (result.code === 127) return undefined;
  return parseStunnelVersion(`${result.stderr}\n${result.stdout}`);
}
