// Reads the health an agent last reported (stored as JSON, sent by the API as unknown)
// into the fields the console shows. Anything malformed reads as "no report".

export interface ProbeView {
  clusterId: string;
  peerHostId: string;
  address: string;
  port: number;
  ok: boolean;
  error?: string;
  latencyMs?: number;
}

export interface HealthView {
  stunnelAlive: boolean;
  listenersUp: { address: string; port: number; up: boolean }[];
  rulesPresent: boolean;
  servedCertificate: { serial: string; notAfter: string } | null;
  probes: ProbeView[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns the health report, or null when there is none or it has an unexpected shape. */
export function readHealth(value: unknown): HealthView | null {
  if (!isRecord(value)) return null;
  if (typeof value.stunnelAlive !== "boolean" || typeof value.rulesPresent !== "boolean") return null;

  const probes = Array.isArray(value.probes)
    ? value.probes.filter(
        (probe): probe is ProbeView =>
          isRecord(probe) &&
          typeof probe.clusterId === "string" &&
          typeof probe.peerHostId === "string" &&
          typeof probe.ok === "boolean",
      )
    : [];
  const listenersUp = Array.isArray(value.listenersUp)
    ? value.listenersUp.filter(
        (listener): listener is HealthView["listenersUp"][number] =>
          isRecord(listener) && typeof listener.port === "number" && typeof listener.up === "boolean",
      )
    : [];
  const served = isRecord(value.servedCertificate)
    ? {
        serial: String(value.servedCertificate.serial ?? ""),
        notAfter: String(value.servedCertificate.notAfter ?? ""),
      }
    : null;

  return {
    stunnelAlive: value.stunnelAlive,
    rulesPresent: value.rulesPresent,
    listenersUp,
    servedCertificate: served,
    probes,
  };
}

/**
 * Counts probe results over hosts, optionally of one cluster only. Each host reports one
 * result per peer link, so a link appears once from each end.
 */
export function countLinks(
  healths: (HealthView | null)[],
  clusterId?: string,
): { ok: number; failing: number } {
  let ok = 0;
  let failing = 0;
  for (const health of healths) {
    for (const probe of health?.probes ?? []) {
      if (clusterId !== undefined && probe.clusterId !== clusterId) continue;
      if (probe.ok) ok++;
      else failing++;
    }
  }
  return { ok, failing };
}

/**
 * Returns the class of an overview figure counting healthy things: "ok" only when some are
 * healthy and none of the same kind failed, because a green zero or a green count next to
 * failures would read as all clear.
 */
export function healthyStatClass(healthy: number, failed: number): string {
  return healthy > 0 && failed === 0 ? "stat ok" : "stat";
}

/** Returns the class of an overview figure counting failures: red from the first one. */
export function failedStatClass(failed: number): string {
  return failed > 0 ? "stat failing" : "stat";
}
