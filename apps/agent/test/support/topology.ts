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

/**
 * Plans a host and drops the per-service `minTlsVersion`, because the protocol's bundle
 * schema does not accept it yet. stunnel.conf then takes the plan-wide value, which is
 * the same here.
 * NOTE: remove the stripping once the protocol's service schemas carry minTlsVersion.
 */
export function planFor(topology: Topology, hostId: string, previous: HostPlan | undefined): HostPlan {
  const plan = planHost(topology, hostId, previous?.allocation ?? {});
  return {
    ...plan,
    services: plan.services.map(({ minTlsVersion: _minTlsVersion, ...service }) => service),
  };
}
