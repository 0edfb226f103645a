// Prometheus metrics of the agent gateway, in prom-client's default registry. Created
// once per process, so several gateway instances in one process share them.

import { Counter, Gauge, register } from "prom-client";

function counter(name: string, help: string, labelNames: string[] = []): Counter {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Counter;
  return new Counter({ name, help, labelNames });
}

function gauge(name: string, help: string): Gauge {
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Gauge;
  return new Gauge({ name, help });
}

export const gatewayMetrics = {
  connectedAgents: gauge(
    "tunnelfleet_gateway_connected_agents",
    "Agent sessions past hello, in this process.",
  ),
  bundlesSent: counter("tunnelfleet_gateway_bundles_sent_total", "Bundle messages written to agents."),
  acks: counter("tunnelfleet_gateway_acks_total", "Bundle acks received, by result (ok or error).", [
    "result",
  ]),
  sessionsClosed: counter(
    "tunnelfleet_gateway_sessions_closed_total",
    "Agent sessions closed, by reason (an error code, agent-closed or shutdown).",
    ["reason"],
  ),
  enrolments: counter("tunnelfleet_gateway_enrolments_total", "Enrolment requests, by result.", ["result"]),
  csrRequests: counter("tunnelfleet_gateway_csr_requests_total", "csrRequest messages sent, by reason.", [
    "reason",
  ]),
};
