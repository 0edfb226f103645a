// Benchmark of the mesh planner and renderers: plan and render one host of a 100- and a
// 250-member Hazelcast cluster (3 app ports), and every host of the 100-member cluster.
// Budget: all 100 hosts of the 100-member cluster in under 1 s on one core.
// Run: npx tsx bench/mesh.ts. Prints figures only; it never fails on timing.
import {
  defaultInboundPortBase,
  defaultTlsPolicy,
  type HostPlan,
  PRESET_PORTS,
  planHost,
  renderIptablesRestore,
  renderStunnelConf,
  type StunnelPaths,
  type Topology,
} from "../packages/mesh/src/index";

const PATHS: StunnelPaths = {
  cert: "/var/lib/tunnelfleet/current/leaf.pem",
  key: "/var/lib/tunnelfleet/current/leaf.key",
  caFile: "/var/lib/tunnelfleet/current/ca.pem",
  crlFile: "/var/lib/tunnelfleet/current/crl.pem",
  pidFile: "/run/tunnelfleet/stunnel.pid",
  logFile: "/var/log/tunnelfleet/stunnel.log",
};
const BUDGET_ALL_HOSTS_MS = 1000;
const REPEATS = 5;

function hazelcastCluster(members: number): Topology {
  const hosts = Array.from({ length: members }, (_, index) => ({ id: `h${index}`, name: `node-${index}` }));
  return {
    clusters: [
      {
        id: "c1",
        name: "grid",
        preset: "hazelcast",
        appPorts: [...PRESET_PORTS.hazelcast],
        inboundPortBase: defaultInboundPortBase("hazelcast"),
        tls: { ...defaultTlsPolicy },
        strict: true,
      },
    ],
    hosts,
    memberships: hosts.map((host, index) => ({
      clusterId: "c1",
      hostId: host.id,
      address: `10.${Math.floor(index / 250)}.${index % 250}.1`,
    })),
  };
}

function planAndRender(topology: Topology, hostId: string): HostPlan {
  const plan = planHost(topology, hostId);
  renderStunnelConf(plan, PATHS);
  renderIptablesRestore(plan, "ipv4");
  renderIptablesRestore(plan, "ipv6");
  return plan;
}

/** Runs `work` once to warm up, then REPEATS times; returns the median in milliseconds. */
function median(work: () => void): number {
  work();
  const times: number[] = [];
  for (let run = 0; run < REPEATS; run += 1) {
    const start = performance.now();
    work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const cluster100 = hazelcastCluster(100);
const cluster250 = hazelcastCluster(250);
const services100 = planAndRender(cluster100, "h0").services.length;
const services250 = planAndRender(cluster250, "h0").services.length;

const oneHost100 = median(() => planAndRender(cluster100, "h0"));
const oneHost250 = median(() => planAndRender(cluster250, "h0"));
const allHosts100 = median(() => {
  for (const host of cluster100.hosts) planAndRender(cluster100, host.id);
});

console.log(`mesh benchmark (median of ${REPEATS} runs after one warm-up, Node ${process.version})`);
console.log(`one host of 100 members (${services100} services): ${oneHost100.toFixed(2)} ms`);
console.log(`one host of 250 members (${services250} services): ${oneHost250.toFixed(2)} ms`);
console.log(`all 100 hosts of 100 members: ${allHosts100.toFixed(1)} ms`);
console.log(
  `budget ratio (all 100 hosts / ${BUDGET_ALL_HOSTS_MS} ms): ${(allHosts100 / BUDGET_ALL_HOSTS_MS).toFixed(3)} (below 1 is within budget)`,
);
