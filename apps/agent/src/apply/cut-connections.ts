// Ends established tunnel connections that a new generation no longer allows. stunnel
// checks certificates and CRLs only at the handshake, so without this a removed member
// or a revoked peer keeps its open connections. Uses `ss -K` (socket destroy, Linux
// CONFIG_INET_DIAG_DESTROY), filtered by address and our tunnel ports, never by address alone.
import type { HostPlan } from "@tunnelfleet/mesh";
import type { HostExecutor } from "../executor/executor";

/** One `ss -K` filter: TCP connections with this remote address and/or local or remote port. */
export interface ConnectionFilter {
  remoteAddress?: string;
  localPort?: number;
  remotePort?: number;
}

/**
 * Returns the filters for connections of peers that left the plan: inbound connections
 * from their address to our previous inbound ports, and our outbound connections to their
 * inbound ports.
 */
export function removedPeerFilters(previous: HostPlan, next: HostPlan): ConnectionFilter[] {
  const remaining = new Set(next.links.map((link) => link.address));
  const removed = new Set(
    previous.links.map((link) => link.address).filter((address) => !remaining.has(address)),
  );
  const filters: ConnectionFilter[] = [];
  for (const address of removed) {
    for (const service of previous.services) {
      if (service.kind === "inbound") filters.push({ remoteAddress: address, localPort: service.acceptPort });
      else if (service.connectAddress === address) {
        filters.push({ remoteAddress: address, remotePort: service.connectPort });
      }
    }
  }
  return filters;
}

/** Returns filters for every inbound tunnel connection, so that each peer re-handshakes against the new CRL. */
export function inboundFilters(plan: HostPlan): ConnectionFilter[] {
  return plan.services
    .filter((service) => service.kind === "inbound")
    .map((service) => ({ localPort: service.acceptPort }));
}

/** Returns the serial numbers (lowercase hex) revoked by the given CRLs, read with `openssl crl -text`. */
export async function revokedSerials(executor: HostExecutor, crlPems: string[]): Promise<Set<string>> {
  const serials = new Set<string>();
  for (const crlPem of crlPems) {
    const result = await executor.run("openssl", ["crl", "-noout", "-text"], {
      input: crlPem,
      timeoutMs: 10_000,
    });
    if (result.code !== 0) continue;
    for (const match of result.stdout.matchAll(/Serial Number:\s*([0-9A-Fa-f]+)/g)) {
      serials.add(match[1]!.toLowerCase().replace(/^0+(?=.)/, ""));
    }
  }
  return serials;
}

/** Destroys the matching TCP connections; returns the number of `ss -K` calls that failed. */
export async function cutConnections(executor: HostExecutor, filters: ConnectionFilter[]): Promise<number> {
  let failures = 0;
  for (const filter of filters) {
    const args = ["-K", "-t"];
    if (filter.remoteAddress) args.push("dst", filter.remoteAddress);
    if (filter.localPort) args.push("sport", "=", `:${filter.localPort}`);
    if (filter.remotePort) args.push("dport", "=", `:${filter.remotePort}`);
    if (args.length === 2) continue;
    const result = await executor.run("ss", args, { timeoutMs: 10_000 });
    if (result.code !== 0) failures += 1;
  }
  return failures;
}
