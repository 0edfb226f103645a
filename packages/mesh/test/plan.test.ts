import { describe, expect, it } from "vitest";
import {
  type HostPlan,
  MeshValidationError,
  type OutboundService,
  planHost,
  type Topology,
} from "../src/index";
import { cluster, singleCluster } from "./fixtures";

const grid = () => singleCluster(cluster("c1", "grid", "hazelcast"), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);

function outbound(plan: HostPlan): OutboundService[] {
  return plan.services.filter((service): service is OutboundService => service.kind === "outbound");
}

describe("planHost", () => {
  it("plans inbound services per app port", () => {
    const plan = planHost(grid(), "node-id-1");
    const inbound = plan.services.filter((service) => service.kind === "inbound");
    expect(
      inbound.map((service) => [
        service.name,
        service.acceptAddress,
        service.acceptPort,
        service.connectPort,
      ]),
    ).toEqual([
      ["grid/in/5701", "10.0.0.1", 19100, 5701],
      ["grid/in/5702", "10.0.0.1", 19101, 5702],
      ["grid/in/5703", "10.0.0.1", 19102, 5703],
    ]);
    for (const service of inbound) expect(service.connectAddress).toBe("10.0.0.1");
  });

  it("plans outbound, DNAT and links per peer", () => {
    const plan = planHost(grid(), "node-id-2");
    const services = outbound(plan);
    expect(services).toHaveLength(6);
    expect(services.map((service) => service.connectAddress)).toEqual([
      "10.0.0.1",
      "10.0.0.1",
      "10.0.0.1",
      "10.0.0.3",
      "10.0.0.3",
      "10.0.0.3",
    ]);
    expect(plan.dnat.map((rule) => [rule.destination, rule.appPort, rule.toAddress, rule.toPort])).toEqual(
      services.map((service) => [service.connectAddress, service.appPort, "127.0.0.1", service.acceptPort]),
    );
    expect(plan.links.map((link) => [link.peerHostId, link.port])).toEqual(
      services.map((service) => [service.peerHostId, service.connectPort]),
    );
    expect(new Set(services.map((service) => service.acceptPort)).size).toBe(6);
  });

  it("never targets the own address", () => {
    const plan = planHost(grid(), "node-id-3");
    expect(plan.dnat.some((rule) => rule.destination === "10.0.0.3")).toBe(false);
    expect(outbound(plan).some((service) => service.connectAddress === "10.0.0.3")).toBe(false);
    expect(plan.egressGuards).toEqual([]);
  });

  it("adds guards in strict mode", () => {
    const topology = grid();
    topology.clusters[0]!.strict = true;
    const plan = planHost(topology, "node-id-1");
    expect(plan.ingressGuards).toEqual(
      [5701, 5702, 5703].map((appPort) => ({ clusterId: "c1", address: "10.0.0.1", appPort })),
    );
    expect(plan.egressGuards.map((rule) => `${rule.destination}:${rule.appPort}`)).toEqual([
      "10.0.0.2:5701",
      "10.0.0.2:5702",
      "10.0.0.2:5703",
      "10.0.0.3:5701",
      "10.0.0.3:5702",
      "10.0.0.3:5703",
    ]);
  });

  it("uses ::1 for IPv6 peers", () => {
    const plan = planHost(
      singleCluster(cluster("c1", "db", "postgres"), ["fd00::1", "fd00::2"]),
      "node-id-1",
    );
    expect(outbound(plan)[0]!.acceptAddress).toBe("::1");
    expect(plan.dnat[0]!.toAddress).toBe("::1");
  });

  it("plans every cluster of a host", () => {
    const topology: Topology = grid();
    topology.clusters.push(
      cluster("c2", "cache", "redis", {
        tls: { keyType: "ecdsa-p256", leafLifetimeDays: 30, minTlsVersion: "TLSv1.3" },
      }),
    );
    topology.memberships.push(
      { clusterId: "c2", hostId: "node-id-1", address: "10.0.1.1" },
      { clusterId: "c2", hostId: "node-id-2", address: "10.0.1.2" },
    );
    const plan = planHost(topology, "node-id-1");
    expect(plan.services.map((service) => service.name)).toEqual([
      "cache/in/6379",
      "cache/in/16379",
      "cache/out/node-2/6379",
      "cache/out/node-2/16379",
      "grid/in/5701",
      "grid/in/5702",
      "grid/in/5703",
      "grid/out/node-2/5701",
      "grid/out/node-2/5702",
      "grid/out/node-2/5703",
      "grid/out/node-3/5701",
      "grid/out/node-3/5702",
      "grid/out/node-3/5703",
    ]);
    expect(plan.minTlsVersion).toBe("TLSv1.2");
    expect(plan.services[0]!.minTlsVersion).toBe("TLSv1.3");
    expect(plan.services[4]!.minTlsVersion).toBe("TLSv1.2");
  });

  it("never allocates app or inbound ports", () => {
    const topology = singleCluster(cluster("c1", "odd", "custom", { appPorts: [28000, 28001] }), [
      "10.0.0.1",
      "10.0.0.2",
    ]);
    const plan = planHost(topology, "node-id-1", { "c1/node-id-2/28000": 28000 });
    expect(Object.values(plan.allocation)).toEqual([28002, 28003]);
  });

  it("keeps ports when a member joins", () => {
    const before = planHost(grid(), "node-id-1");
    const topology = grid();
    topology.hosts.push({ id: "node-id-0", name: "node-0" });
    topology.memberships.push({ clusterId: "c1", hostId: "node-id-0", address: "10.0.0.9" });
    const after = planHost(topology, "node-id-1", before.allocation);
    for (const [key, port] of Object.entries(before.allocation)) expect(after.allocation[key]).toBe(port);
    expect(Object.keys(after.allocation)).toHaveLength(9);
  });

  it("is independent of list order", () => {
    const topology = grid();
    const shuffled: Topology = {
      clusters: [...topology.clusters],
      hosts: [...topology.hosts].reverse(),
      memberships: [...topology.memberships].reverse(),
    };
    expect(planHost(shuffled, "node-id-2")).toEqual(planHost(topology, "node-id-2"));
  });

  it("plans a lone member without peers", () => {
    const plan = planHost(singleCluster(cluster("c1", "solo", "redis"), ["10.0.0.1"]), "node-id-1");
    expect(plan.services).toHaveLength(2);
    expect(plan.dnat).toEqual([]);
    expect(plan.allocation).toEqual({});
  });

  it("throws on unknown host", () => {
    expect(() => planHost(grid(), "nope")).toThrow(MeshValidationError);
  });

  it("throws on invalid topology", () => {
    const topology = grid();
    topology.hosts[0]!.name = "bad name";
    expect(() => planHost(topology, "node-id-2")).toThrow(/hosts\[0\]\.name/);
  });
});
