// Checks the gateway URL that the install script and the join command embed. Both are
// shell text, so only characters of a host name, an IP address and a port get through.

/** The gateway as the install script and the agent name it. */
export interface ServerOrigin {
  /** https://host:port with no path, as the agent stores it after joining. */
  origin: string;
  /** host:port for openssl s_client -connect (IPv6 in brackets, port always present). */
  connect: string;
}

export class DistributionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DistributionInputError";
  }
}

const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;

/** Parses the gateway URL; throws DistributionInputError naming the value and the fix. */
export function parseServerOrigin(serverUrl: string): ServerOrigin {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new DistributionInputError(
      `server URL "${serverUrl}" is not a URL; set the gateway URL as https://host:port`,
    );
  }
  if (url.protocol !== "https:") {
    throw new DistributionInputError(
      `server URL "${serverUrl}" must use https://; agents join only over TLS`,
    );
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== "/" && url.pathname !== "")
  ) {
    throw new DistributionInputError(
      `server URL "${serverUrl}" has a path, query or user name; give only https://host:port`,
    );
  }
  if (!HOST_PATTERN.test(url.hostname)) {
    throw new DistributionInputError(
      `server URL "${serverUrl}" has the host "${url.hostname}", which is not a DNS name or IP address`,
    );
  }
  return { origin: url.origin, connect: `${url.hostname}:${url.port || "443"}` };
}
