// Renders a host plan as stunnel.conf text for stunnel 5.x (Debian's stunnel4 5.68).
// Every stunnel option Tunnelfleet emits is written in this file.
import { MeshValidationError } from "./errors";
import type { HostPlan, InboundService, OutboundService, StunnelPaths, ValidationIssue } from "./model";

/**
 * Seconds an outbound service waits for a peer's TCP connect (stunnel's default is 10).
 * The app's connection is already accepted while stunnel connects, so this bounds how
 * long the app waits on a dead peer before it gets a reset.
 */
export const STUNNEL_CONNECT_TIMEOUT_SECONDS = 5;

/** Absolute paths of safe characters only: they are written unquoted into option values. */
const PATH_PATTERN = /^\/[A-Za-z0-9._/-]{0,4095}$/;

export interface StunnelRenderOptions {
  /**
   * Run in the foreground and log to stderr (no `output`) instead of as a daemon. The
   * agent runs stunnel as a daemon; tests use the foreground to read its log.
   */
  foreground?: boolean;
}

function checkPath(issues: ValidationIssue[], field: string, value: unknown, optional: boolean): void {
  if (value === undefined && optional) return;
  if (typeof value !== "string" || !PATH_PATTERN.test(value)) {
    issues.push({
      field,
      value,
      message: `${field} ${JSON.stringify(value)} is not a usable path: give an absolute path of letters, digits, '.', '_', '-' and '/'`,
    });
  }
}

function validatePaths(paths: StunnelPaths): void {
  const issues: ValidationIssue[] = [];
  checkPath(issues, "paths.cert", paths.cert, false);
  checkPath(issues, "paths.key", paths.key, false);
  checkPath(issues, "paths.caFile", paths.caFile, false);
  checkPath(issues, "paths.crlFile", paths.crlFile, true);
  checkPath(issues, "paths.pidFile", paths.pidFile, false);
  checkPath(issues, "paths.logFile", paths.logFile, true);
  for (const [clusterId, credentials] of Object.entries(paths.clusters ?? {})) {
    const field = `paths.clusters.${clusterId}`;
    checkPath(issues, `${field}.cert`, credentials.cert, false);
    checkPath(issues, `${field}.key`, credentials.key, false);
    checkPath(issues, `${field}.caFile`, credentials.caFile, false);
    checkPath(issues, `${field}.crlFile`, credentials.crlFile, true);
  }
  if (issues.length > 0) throw new MeshValidationError(issues);
}

/** Formats `address:port` as stunnel reads it: it splits at the last colon, so IPv6 needs no brackets. */
function endpoint(address: string, port: number): string {
  return `${address}:${port}`;
}

function option(name: string, value: string | number): string {
  return `${name} = ${value}`;
}

/** Returns the cert, key, CAfile and CRLfile lines of a cluster with its own credentials, or none. */
function credentialLines(clusterId: string, paths: StunnelPaths): string[] {
  if (!paths.clusters || !Object.hasOwn(paths.clusters, clusterId)) return [];
  const credentials = paths.clusters[clusterId]!;

  const lines = [
    option("cert", credentials.cert),
    option("key", credentials.key),
    option("CAfile", credentials.caFile),
  ];
  if (credentials.crlFile !== undefined) lines.push(option("CRLfile", credentials.crlFile));
  return lines;
}

function inboundSection(service: InboundService, plan: HostPlan, paths: StunnelPaths): string[] {
  return [
    `[${service.name}]`,
    `; Inbound server of cluster ${service.clusterId}: peers connect here, the app listens on ${endpoint(service.connectAddress, service.connectPort)}.`,
    option("accept", endpoint(service.acceptAddress, service.acceptPort)),
    option("connect", endpoint(service.connectAddress, service.connectPort)),
    ...credentialLines(service.clusterId, paths),
    option("verifyChain", "yes"),
    option("requireCert", "yes"),
    option("sslVersionMin", service.minTlsVersion ?? plan.minTlsVersion),
  ];
}

function outboundSection(service: OutboundService, plan: HostPlan, paths: StunnelPaths): string[] {
  return [
    `[${service.name}]`,
    `; Outbound client of cluster ${service.clusterId} to host ${service.peerHostId}: connections of the app to ${endpoint(service.connectAddress, service.appPort)} are redirected here.`,
    option("client", "yes"),
    option("accept", endpoint(service.acceptAddress, service.acceptPort)),
    option("connect", endpoint(service.connectAddress, service.connectPort)),
    ...credentialLines(service.clusterId, paths),
    option("verifyChain", "yes"),
    option("checkIP", service.connectAddress),
    option("sslVersionMin", service.minTlsVersion ?? plan.minTlsVersion),
  ];
}

/**
 * Renders the stunnel.conf of a plan made by planHost. Global options: pid file, daemon
 * mode, log file, the leaf certificate and key, the CA file and the CRL file (when given),
 * no renegotiation and the connect timeout. A cluster listed in `paths.clusters` gets its
 * own cert, key, CAfile and CRLfile in each of its services. Each inbound service requires and verifies
 * the peer's chain. Each outbound service verifies the chain and checks that the peer's
 * certificate carries its address as an IP SAN (checkIP). Every accept and connect
 * carries an explicit address. The same plan, paths and options give the same bytes.
 * Throws MeshValidationError for an unsafe path or a plan without services (stunnel
 * refuses to start without one, so the agent stops it instead).
 */
export function renderStunnelConf(
  plan: HostPlan,
  paths: StunnelPaths,
  options: StunnelRenderOptions = {},
): string {
  validatePaths(paths);
  if (plan.services.length === 0) {
    throw new MeshValidationError([
      {
        field: "plan.services",
        value: [],
        message: `plan.services of host ${plan.hostId} is empty: stunnel cannot run without services, so stop it instead of rendering a config`,
      },
    ]);
  }

  // NOTE: no setuid/setgid, so stunnel keeps the agent's user (root). Dropping privileges
  // needs the key, CRL and pid directory readable by that user, which the agent does not set up yet.
  const lines: string[] = [
    `; Tunnelfleet stunnel configuration of host ${plan.hostName} (id ${plan.hostId}).`,
    "; Rendered from the host plan: the agent replaces this file on every apply.",
    option("pid", paths.pidFile),
  ];
  if (options.foreground) {
    lines.push(option("foreground", "yes"));
  } else {
    lines.push(option("foreground", "no"));
    if (paths.logFile !== undefined) lines.push(option("output", paths.logFile));
  }

  lines.push(
    "",
    "; Defaults of every service below.",
    option("cert", paths.cert),
    option("key", paths.key),
    option("CAfile", paths.caFile),
  );
  if (paths.crlFile !== undefined) lines.push(option("CRLfile", paths.crlFile));
  lines.push(option("renegotiation", "no"), option("TIMEOUTconnect", STUNNEL_CONNECT_TIMEOUT_SECONDS));

  for (const service of plan.services) {
    lines.push("");
    lines.push(
      ...(service.kind === "inbound"
        ? inboundSection(service, plan, paths)
        : outboundSection(service, plan, paths)),
    );
  }
  return `${lines.join("\n")}\n`;
}
