// Prometheus metrics at /metrics: the process defaults and the gateway's metrics (both in
// prom-client's default registry) and this server's HTTP and inventory metrics.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry, register } from "prom-client";
import type { PrismaClient } from "../db";

let defaultsCollected = false;

export interface ServerMetrics {
  registry: Registry;
  requests: Counter<"route" | "method" | "status">;
  duration: Histogram<"route">;
  /** Returns the exposition text of every registry. */
  render(): Promise<string>;
  contentType: string;
}

export function createServerMetrics(prisma: PrismaClient): ServerMetrics {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }

  const registry = new Registry();
  const requests = new Counter({
    name: "tunnelfleet_http_requests_total",
    help: "HTTP requests served, by route group, method and status code.",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "tunnelfleet_http_request_duration_seconds",
    help: "Time to serve an HTTP request, by route group.",
    labelNames: ["route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: "tunnelfleet_hosts",
    help: "Hosts known to the control plane, by whether their agent reports the desired generation applied.",
    labelNames: ["in_sync"] as const,
    registers: [registry],
    async collect() {
      const rows = await prisma.$queryRaw<{ in_sync: boolean; count: bigint }[]>`
        SELECT (o."generation" IS NOT NULL AND o."generation" = d."generation" AND o."applyOk" IS TRUE) AS in_sync,
               count(*) AS count
        FROM "Host" h
        LEFT JOIN "DesiredState" d ON d."hostId" = h."id"
        LEFT JOIN "ObservedState" o ON o."hostId" = h."id"
        GROUP BY 1`;
      this.reset();
      for (const row of rows) this.set({ in_sync: String(row.in_sync) }, Number(row.count));
    },
  });
  new Gauge({
    name: "tunnelfleet_clusters",
    help: "Clusters defined in the control plane.",
    registers: [registry],
    async collect() {
      this.set(await prisma.cluster.count());
    },
  });
  new Gauge({
    name: "tunnelfleet_certificates_expiring_7d",
    help: "Active certificates that expire within 7 days.",
    registers: [registry],
    async collect() {
      const soon = new Date(Date.now() + 7 * 24 * 3600 * 1000);
      this.set(await prisma.certificate.count({ where: { state: "active", notAfter: { lt: soon } } }));
    },
  });

  return {
    registry,
    requests,
    duration,
    contentType: registry.contentType,
    async render() {
      return (await register.metrics()) + (await registry.metrics());
    },
  };
}
