// Topologies for agent tests: one Redis cluster whose members are the given hosts.
import { type HostPlan, planHost, type Topology } from "@tunnelfleet/mesh";

export interface TestMember {
  id: string;
  name: string;
  address: string;
}

export function redisTopology(
  members: TestMember[],
  options: { inboundPortBase?: number; strict?: boolean } = {},
): Topology {
  return {
    clusters: [
      {
        id: "cluster-redis",
        name: "redis",
        preset: "redis",
        appPorts: [6379],
        inboundPortBase: options.inboundPortBase ?? 16400,
        tls: { keyType: "ecdsa-p256", leafLifetimeDays: 30, minTlsVersion: "TLSv1.3" },
        strict: options.strict ?? false,
      },
    ],
    hosts: members.map((member) => ({ id: member.id, name: member.name })),
    memberships: members.map((member) => ({
      clusterId: "cluster-redis",
      hostId: member.id,
      address: member.address,
    })),
  };
}

export function planFor(topology: Topology, hostId: string, previous: HostPlan | undefined): HostPlan {
  return planHost(topology, hostId, previous?.allocation ?? {});
}
