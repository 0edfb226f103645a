// Agent version skew rule of the gateway.

interface ParsedVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parses "1.4.2" or "1.4.2-rc.1" (pre-release and build suffixes are ignored); null otherwise. */
export function parseVersion(version: string): ParsedVersion | null {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/**
 * Reports whether a server of `serverVersion` accepts an agent of `agentVersion`: same
 * major, and the agent's minor equal to the server's or exactly one behind. Agents newer
 * than the server are rejected, because an older server cannot know what they expect.
 * Patch versions never matter. Unparsable versions are rejected.
 */
export function isAgentVersionSupported(agentVersion: string, serverVersion: string): boolean {
  const agent = parseVersion(agentVersion);
  const server = parseVersion(serverVersion);
  if (!agent || !server) return false;
  if (agent.major !== server.major) return false;
  return agent.minor === server.minor || agent.minor === server.minor - 1;
}
