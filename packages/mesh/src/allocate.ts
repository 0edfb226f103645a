// Stable allocation of the loopback ports that outbound client services accept on.
import { MeshValidationError } from "./errors";
import type { PortAllocation } from "./model";

/** Inclusive range of TCP ports. */
export interface PortRange {
  first: number;
  last: number;
}

/**
 * Loopback ports for outbound services: 28000-32767. The block sits below Linux's default
 * ephemeral range (32768-60999), so connections' source ports never take them, and above
 * every preset's plaintext and default inbound ports.
 */
export const OUTBOUND_PORT_RANGE: Readonly<PortRange> = Object.freeze({ first: 28000, last: 32767 });

/**
 * Returns the allocation key of one outbound tunnel. Ids use letters, digits, `_` and `-`
 * only, so `/` cannot appear inside a part and keys never collide.
 */
export function outboundAllocationKey(clusterId: string, peerHostId: string, appPort: number): string {
  return `${clusterId}/${peerHostId}/${appPort}`;
}

/**
 * Allocates one port from `range` to each key. A key keeps its port from `previous`
 * unless that port is outside the range, reserved, or already kept by an earlier key.
 * New keys take the lowest free ports in the order of `keys`. So adding or removing a
 * key never changes another key's port, and the same input gives the same result. Keys of `previous` that are not in `keys` are dropped, and their ports become
 * free. Throws MeshValidationError when the range has too few free ports.
 */
export function allocateLocalPorts(
  keys: Iterable<string>,
  previous: PortAllocation = {},
  reserved: Iterable<number> = [],
  range: PortRange = OUTBOUND_PORT_RANGE,
): PortAllocation {
  const wanted = [...new Set(keys)];
  const taken = new Set<number>(reserved);
  const allocation = new Map<string, number>();
  const unallocated: string[] = [];

  for (const key of wanted) {
    const port = Object.hasOwn(previous, key) ? previous[key] : undefined;
    const usable =
      port !== undefined &&
      Number.isInteger(port) &&
      port >= range.first &&
      port <= range.last &&
      !taken.has(port);
    if (usable) {
      allocation.set(key, port);
      taken.add(port);
    } else {
      unallocated.push(key);
    }
  }

  let candidate = range.first;
  for (const key of unallocated) {
    while (candidate <= range.last && taken.has(candidate)) candidate += 1;
    if (candidate > range.last) {
      throw new MeshValidationError([
        {
          field: "allocation",
          value: wanted.length,
          message: `allocation needs ${wanted.length} outbound ports but the range ${range.first}-${range.last} has too few free ports: split the host's clusters or reduce its peers`,
        },
      ]);
    }
    allocation.set(key, candidate);
    taken.add(candidate);
  }

  // Object.fromEntries defines own properties, so even a key such as "__proto__" stays data.
  return Object.fromEntries([...allocation].sort(([a], [b]) => compareText(a, b)));
}

/** Orders strings by UTF-16 code units, the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
