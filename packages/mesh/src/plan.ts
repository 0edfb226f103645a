// The planner: from a validated topology to everything one host must run (stunnel
// services, DNAT rules, strict-mode guards, peer links) and its port allocation.
import { allocateLocalPorts, compareText, outboundAllocationKey } from "./allocate";
import { MeshValidationError } from "./errors";
import { addressFamily } from "./fields";
import type {
  ClusterSpec,
  DnatRule,
  EgressGuardRule,
  HostPlan,
  HostSpec,
  InboundService,
  IngressGuardRule,
  MembershipSpec,
  OutboundService,
  PeerLink,
  PortAllocation,
  TlsVersion,
  Topology,
} from "./model";
import { assertValidTopology, inboundPorts } from "./validate";

/** Loopback address the outbound service for a peer of each family accepts on. */
export function loopbackFor(peerAddress: string): string {
  return addressFamily(peerAddress) === "ipv6" ? "::1" : "127.0.0.1";
}

/** Returns the stunnel service name of a host's inbound server for one app port. */
export function inboundServiceName(cluster: ClusterSpec, appPort: number): string {
  return `${cluster.name}/in/${appPort}`;
}

/** Returns the stunnel service name of a host's outbound client to one peer and app port. */
export function outboundServiceName(cluster: ClusterSpec, peer: HostSpec, appPort: number): string {
  return `${cluster.name}/out/${peer.name}/${appPort}`;
}

const TLS_ORDER: readonly TlsVersion[] = ["TLSv1.2", "TLSv1.3"];

interface PeerOfHost {
  host: HostSpec;
  membership: MembershipSpec;
}

/**
 * Plans host `hostId`. For every cluster the host belongs to and every app port p, it adds:
 * - an inbound service: accept <own address>:<inbound port>, connect <own address>:p;
 * - for every other member Q, an outbound service (accept <loopback>:<allocated port>,
 *   connect <Q>:<Q's inbound port>, checkIP Q), a DNAT rule steering Q:p into it, and a
 *   peer link;
 * - in strict mode, an ingress guard on the own address and an egress guard per peer.
 * The own address is never a DNAT destination. Output is sorted by cluster name, peer host name
 * and app-port order, whatever the order of the topology's lists. Local ports keep their
 * values from `previousAllocation` (see allocateLocalPorts); app and inbound ports of the
 * host's clusters are never allocated. Throws MeshValidationError when the topology is
 * invalid or does not contain the host.
 */
export function planHost(
  topology: Topology,
  hostId: string,
  previousAllocation: PortAllocation = {},
): HostPlan {
  assertValidTopology(topology);

  const host = topology.hosts.find((candidate) => candidate.id === hostId);
  if (!host) {
    throw new MeshValidationError([
      {
        field: "hostId",
        value: hostId,
        message: `hostId ${JSON.stringify(hostId)} is not a host of this topology: plan a listed host`,
      },
    ]);
  }

  const clusterById = new Map(topology.clusters.map((cluster) => [cluster.id, cluster]));
  const hostById = new Map(topology.hosts.map((candidate) => [candidate.id, candidate]));
  const ownMemberships = topology.memberships
    .filter((membership) => membership.hostId === hostId)
    .map((membership) => ({ membership, cluster: clusterById.get(membership.clusterId)! }))
    .sort((a, b) => compareText(a.cluster.name, b.cluster.name));

  const keys: string[] = [];
  const reserved = new Set<number>();
  const peersByCluster = new Map<string, PeerOfHost[]>();
  for (const { cluster } of ownMemberships) {
    const peers = topology.memberships
      .filter((membership) => membership.clusterId === cluster.id && membership.hostId !== hostId)
      .map((membership) => ({ host: hostById.get(membership.hostId)!, membership }))
      .sort((a, b) => compareText(a.host.name, b.host.name));
    peersByCluster.set(cluster.id, peers);

    for (const port of [...cluster.appPorts, ...inboundPorts(cluster)]) reserved.add(port);
    for (const peer of peers) {
      for (const appPort of cluster.appPorts)
        keys.push(outboundAllocationKey(cluster.id, peer.host.id, appPort));
    }
  }
  const allocation = allocateLocalPorts(keys, previousAllocation, reserved);

  const plan: HostPlan = {
    hostId: host.id,
    hostName: host.name,
    services: [],
    dnat: [],
    ingressGuards: [],
    egressGuards: [],
    links: [],
    minTlsVersion: "TLSv1.3",
    allocation,
  };

  for (const { membership, cluster } of ownMemberships) {
    addCluster(plan, cluster, membership.address, peersByCluster.get(cluster.id)!);
    if (TLS_ORDER.indexOf(cluster.tls.minTlsVersion) < TLS_ORDER.indexOf(plan.minTlsVersion)) {
      plan.minTlsVersion = cluster.tls.minTlsVersion;
    }
  }
  if (ownMemberships.length === 0) plan.minTlsVersion = "TLSv1.2";
  return plan;
}

function addCluster(plan: HostPlan, cluster: ClusterSpec, ownAddress: string, peers: PeerOfHost[]): void {
  const ports = cluster.appPorts.map((appPort, index) => ({
    appPort,
    inboundPort: cluster.inboundPortBase + index,
  }));

  for (const { appPort, inboundPort } of ports) {
    const inbound: InboundService = {
      kind: "inbound",
      name: inboundServiceName(cluster, appPort),
      clusterId: cluster.id,
      acceptAddress: ownAddress,
      acceptPort: inboundPort,
      connectAddress: ownAddress,
      connectPort: appPort,
      minTlsVersion: cluster.tls.minTlsVersion,
    };
    plan.services.push(inbound);
    if (cluster.strict) {
      const guard: IngressGuardRule = { clusterId: cluster.id, address: ownAddress, appPort };
      plan.ingressGuards.push(guard);
    }
  }

  for (const peer of peers) {
    const peerAddress = peer.membership.address;
    for (const { appPort, inboundPort } of ports) {
      const localPort = plan.allocation[outboundAllocationKey(cluster.id, peer.host.id, appPort)]!;
      const loopback = loopbackFor(peerAddress);

      const outbound: OutboundService = {
        kind: "outbound",
        name: outboundServiceName(cluster, peer.host, appPort),
        clusterId: cluster.id,
        peerHostId: peer.host.id,
        acceptAddress: loopback,
        acceptPort: localPort,
        connectAddress: peerAddress,
        connectPort: inboundPort,
        appPort,
        minTlsVersion: cluster.tls.minTlsVersion,
      };
      const dnat: DnatRule = {
        clusterId: cluster.id,
        peerHostId: peer.host.id,
        destination: peerAddress,
        appPort,
        toAddress: loopback,
        toPort: localPort,
      };
      const link: PeerLink = {
        clusterId: cluster.id,
        peerHostId: peer.host.id,
        address: peerAddress,
        port: inboundPort,
      };
      plan.services.push(outbound);
      plan.dnat.push(dnat);
      plan.links.push(link);

      if (cluster.strict) {
        const guard: EgressGuardRule = { clusterId: cluster.id, destination: peerAddress, appPort };
        plan.egressGuards.push(guard);
      }
    }
  }
}
