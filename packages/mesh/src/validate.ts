// Validation of a cluster and of a whole topology. The planner and the renderers only
// ever see a topology that passed `validateTopology`, so they need no escaping.
import { OUTBOUND_PORT_RANGE } from "./allocate";
import { MeshValidationError } from "./errors";
import { validateAddress, validateHostName, validateId, validateName, validatePort } from "./fields";
import type { ClusterPreset, ClusterSpec, KeyType, TlsVersion, Topology, ValidationIssue } from "./model";

const PRESETS: readonly ClusterPreset[] = [
  "hazelcast",
  "redis",
  "rabbitmq",
  "zookeeper",
  "elasticsearch",
  "postgres",
  "custom",
];
const KEY_TYPES: readonly KeyType[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"];
const TLS_VERSIONS: readonly TlsVersion[] = ["TLSv1.2", "TLSv1.3"];

/** Maximum number of protected ports of one cluster. Each port costs one tunnel per peer. */
export const MAX_APP_PORTS = 16;

/** Maximum leaf lifetime of a policy, in days: 397, the CA/Browser Forum limit for public server certificates. */
export const MAX_LEAF_LIFETIME_DAYS = 397;

function issue(field: string, value: unknown, message: string): ValidationIssue {
  return { field, value, message: `${field} ${JSON.stringify(value) ?? String(value)} ${message}` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns the inbound TLS ports of a cluster that passed validation, in app-port order. */
export function inboundPorts(cluster: Pick<ClusterSpec, "appPorts" | "inboundPortBase">): number[] {
  return cluster.appPorts.map((_, index) => cluster.inboundPortBase + index);
}

/**
 * Validates one cluster: id and name grammar, preset, app ports (1-16 distinct valid
 * ports), inbound ports (valid, none equal to an app port, none inside the outbound
 * loopback range), TLS policy and strict flag. `field` prefixes every issue's field.
 */
export function validateClusterSpec(cluster: unknown, field = "cluster"): ValidationIssue[] {
  if (!isRecord(cluster))
    return [
      issue(
        field,
        cluster,
        "is not a cluster object: give id, name, preset, appPorts, inboundPortBase, tls and strict",
      ),
    ];

  const issues: ValidationIssue[] = [];
  const push = (found: ValidationIssue | undefined) => {
    if (found) issues.push(found);
  };

  push(validateId(`${field}.id`, cluster.id));
  push(validateName(`${field}.name`, cluster.name));
  if (!PRESETS.includes(cluster.preset as ClusterPreset)) {
    issues.push(
      issue(`${field}.preset`, cluster.preset, `is not a known preset: use one of ${PRESETS.join(", ")}`),
    );
  }

  const appPorts = cluster.appPorts;
  let portsValid = false;
  if (!Array.isArray(appPorts) || appPorts.length === 0 || appPorts.length > MAX_APP_PORTS) {
    issues.push(
      issue(
        `${field}.appPorts`,
        appPorts,
        `must list 1 to ${MAX_APP_PORTS} ports the application uses between members`,
      ),
    );
  } else {
    const before = issues.length;
    const seen = new Set<unknown>();
    for (const [index, port] of appPorts.entries()) {
      push(validatePort(`${field}.appPorts[${index}]`, port));
      if (seen.has(port)) {
        issues.push(issue(`${field}.appPorts[${index}]`, port, "is listed twice: list each app port once"));
      }
      seen.add(port);
    }
    portsValid = issues.length === before;
  }

  const base = cluster.inboundPortBase;
  const baseIssue = validatePort(`${field}.inboundPortBase`, base);
  push(baseIssue);
  if (portsValid && !baseIssue) {
    issues.push(...checkInboundPorts(field, base as number, appPorts as number[]));
  }

  issues.push(...validateTlsPolicy(`${field}.tls`, cluster.tls));
  if (typeof cluster.strict !== "boolean") {
    issues.push(issue(`${field}.strict`, cluster.strict, "must be true or false"));
  }
  return issues;
}

function checkInboundPorts(field: string, base: number, appPorts: number[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const last = base + appPorts.length - 1;
  if (last > 65535) {
    return [
      issue(
        `${field}.inboundPortBase`,
        base,
        `leaves no room for ${appPorts.length} inbound ports (the last would be ${last}): use a base of at most ${65536 - appPorts.length}`,
      ),
    ];
  }

  for (const [index, port] of inboundPorts({ appPorts, inboundPortBase: base }).entries()) {
    if (appPorts.includes(port)) {
      issues.push(
        issue(
          `${field}.inboundPortBase`,
          base,
          `makes inbound port ${port} (for app port ${appPorts[index]}) equal to an app port: choose a base whose ${appPorts.length} ports avoid the app ports`,
        ),
      );
    }
    if (port >= OUTBOUND_PORT_RANGE.first && port <= OUTBOUND_PORT_RANGE.last) {
      issues.push(
        issue(
          `${field}.inboundPortBase`,
          base,
          `puts inbound port ${port} inside ${OUTBOUND_PORT_RANGE.first}-${OUTBOUND_PORT_RANGE.last}, which is reserved for outbound tunnels on loopback: choose a base outside it`,
        ),
      );
    }
  }
  return issues;
}

function validateTlsPolicy(field: string, tls: unknown): ValidationIssue[] {
  if (!isRecord(tls))
    return [issue(field, tls, "is not a TLS policy: give keyType, leafLifetimeDays and minTlsVersion")];

  const issues: ValidationIssue[] = [];
  if (!KEY_TYPES.includes(tls.keyType as KeyType)) {
    issues.push(
      issue(
        `${field}.keyType`,
        tls.keyType,
        `is not a supported key type: use one of ${KEY_TYPES.join(", ")}`,
      ),
    );
  }
  const days = tls.leafLifetimeDays;
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > MAX_LEAF_LIFETIME_DAYS) {
    issues.push(
      issue(
        `${field}.leafLifetimeDays`,
        days,
        `must be a whole number of days from 1 to ${MAX_LEAF_LIFETIME_DAYS}`,
      ),
    );
  }
  if (!TLS_VERSIONS.includes(tls.minTlsVersion as TlsVersion)) {
    issues.push(
      issue(
        `${field}.minTlsVersion`,
        tls.minTlsVersion,
        `is not supported: use ${TLS_VERSIONS.join(" or ")}`,
      ),
    );
  }
  return issues;
}

/**
 * Validates a whole topology: every cluster, host and membership on its own, then the
 * relations between them. It rejects unknown or duplicate ids and names, a host listed
 * twice in a cluster, an address used twice in a cluster or by two hosts, and an address
 * not in canonical form. It also rejects port clashes on a host: an inbound port used by
 * two clusters, an inbound port equal to an app port of any of the host's clusters, and
 * one app port used by two clusters on one address. Returns every issue found, so an
 * empty list means the topology is valid.
 */
export function validateTopology(topology: unknown): ValidationIssue[] {
  if (!isRecord(topology))
    return [issue("topology", topology, "is not a topology: give clusters, hosts and memberships")];

  const issues: ValidationIssue[] = [];
  for (const key of ["clusters", "hosts", "memberships"] as const) {
    if (!Array.isArray(topology[key])) issues.push(issue(key, topology[key], "must be a list"));
  }
  if (issues.length > 0) return issues;
  const { clusters, hosts, memberships } = topology as unknown as Record<keyof Topology, unknown[]>;

  const clusterById = new Map<string, ClusterSpec>();
  const clusterNames = new Map<string, number>();
  clusters.forEach((cluster, index) => {
    const field = `clusters[${index}]`;
    const found = validateClusterSpec(cluster, field);
    issues.push(...found);
    if (!isRecord(cluster)) return;

    const id = cluster.id as string;
    if (clusterById.has(id)) {
      issues.push(issue(`${field}.id`, id, "is used by another cluster: give each cluster its own id"));
    } else if (found.length === 0) {
      clusterById.set(id, cluster as unknown as ClusterSpec);
    }
    const name = typeof cluster.name === "string" ? cluster.name.toLowerCase() : undefined;
    if (name !== undefined && clusterNames.has(name)) {
      issues.push(
        issue(`${field}.name`, cluster.name, "is used by another cluster: give each cluster its own name"),
      );
    }
    if (name !== undefined) clusterNames.set(name, index);
  });

  const hostIds = new Set<string>();
  const hostNames = new Set<string>();
  hosts.forEach((host, index) => {
    const field = `hosts[${index}]`;
    if (!isRecord(host)) {
      issues.push(issue(field, host, "is not a host object: give id and name"));
      return;
    }
    const idIssue = validateId(`${field}.id`, host.id);
    const nameIssue = validateHostName(`${field}.name`, host.name);
    if (idIssue) issues.push(idIssue);
    if (nameIssue) issues.push(nameIssue);
    if (!idIssue && hostIds.has(host.id as string)) {
      issues.push(issue(`${field}.id`, host.id, "is used by another host: give each host its own id"));
    }
    if (!nameIssue && hostNames.has((host.name as string).toLowerCase())) {
      issues.push(issue(`${field}.name`, host.name, "is used by another host: give each host its own name"));
    }
    if (!idIssue) hostIds.add(host.id as string);
    if (!nameIssue) hostNames.add((host.name as string).toLowerCase());
  });

  issues.push(...validateMemberships(memberships, clusterById, hostIds));
  return issues;
}

interface CheckedMembership {
  field: string;
  cluster: ClusterSpec;
  hostId: string;
  address: string;
}

function validateMemberships(
  memberships: unknown[],
  clusterById: Map<string, ClusterSpec>,
  hostIds: Set<string>,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const checked: CheckedMembership[] = [];
  const members = new Set<string>();
  const addressInCluster = new Set<string>();
  const hostOfAddress = new Map<string, string>();

  memberships.forEach((membership, index) => {
    const field = `memberships[${index}]`;
    if (!isRecord(membership)) {
      issues.push(issue(field, membership, "is not a membership object: give clusterId, hostId and address"));
      return;
    }
    const before = issues.length;
    const cluster =
      typeof membership.clusterId === "string" ? clusterById.get(membership.clusterId) : undefined;
    if (!cluster) {
      issues.push(
        issue(
          `${field}.clusterId`,
          membership.clusterId,
          "does not name a valid cluster of this topology: add the cluster or fix the id",
        ),
      );
    }
    if (typeof membership.hostId !== "string" || !hostIds.has(membership.hostId)) {
      issues.push(
        issue(
          `${field}.hostId`,
          membership.hostId,
          "does not name a host of this topology: add the host or fix the id",
        ),
      );
    }
    const address = validateAddress(`${field}.address`, membership.address);
    if (!address.ok) {
      issues.push(address.issue);
    } else if (address.address !== membership.address) {
      issues.push(
        issue(
          `${field}.address`,
          membership.address,
          `is not in canonical form: write it as ${address.address}`,
        ),
      );
    }
    if (issues.length > before || !cluster) return;

    const hostId = membership.hostId as string;
    const canonical = membership.address as string;
    const memberKey = `${cluster.id}/${hostId}`;
    if (members.has(memberKey)) {
      issues.push(
        issue(
          `${field}.hostId`,
          hostId,
          `is already a member of cluster ${cluster.id}: list each member once`,
        ),
      );
      return;
    }
    members.add(memberKey);
    if (addressInCluster.has(`${cluster.id}/${canonical}`)) {
      issues.push(
        issue(
          `${field}.address`,
          canonical,
          `is used by another member of cluster ${cluster.id}: give each member its own address`,
        ),
      );
      return;
    }
    addressInCluster.add(`${cluster.id}/${canonical}`);
    const owner = hostOfAddress.get(canonical);
    if (owner !== undefined && owner !== hostId) {
      issues.push(
        issue(
          `${field}.address`,
          canonical,
          `belongs to host ${owner}: an address identifies one host, give this host its own address`,
        ),
      );
      return;
    }
    hostOfAddress.set(canonical, hostId);
    checked.push({ field, cluster, hostId, address: canonical });
  });

  issues.push(...checkHostPorts(checked));
  return issues;
}

/** Finds port clashes between the clusters of each host. */
function checkHostPorts(checked: CheckedMembership[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const byHost = new Map<string, CheckedMembership[]>();
  for (const membership of checked) {
    const list = byHost.get(membership.hostId) ?? [];
    list.push(membership);
    byHost.set(membership.hostId, list);
  }

  for (const [hostId, list] of byHost) {
    if (list.length < 2) continue;
    const inboundOwner = new Map<number, string>();
    const appOwner = new Map<string, string>();
    for (const { cluster, address } of list) {
      for (const port of cluster.appPorts) appOwner.set(`${address}/${port}`, cluster.id);
    }
    const appPortsOfHost = new Map<number, string>();
    for (const { cluster } of list) {
      for (const port of cluster.appPorts) appPortsOfHost.set(port, cluster.id);
    }

    for (const { field, cluster, address } of list) {
      for (const port of inboundPorts(cluster)) {
        const other = inboundOwner.get(port);
        if (other !== undefined && other !== cluster.id) {
          issues.push(
            issue(
              `${field}.clusterId`,
              cluster.id,
              `puts host ${hostId} in two clusters that both use inbound port ${port} (the other is ${other}): give one cluster another inboundPortBase`,
            ),
          );
        }
        inboundOwner.set(port, cluster.id);
        const app = appPortsOfHost.get(port);
        if (app !== undefined && app !== cluster.id) {
          issues.push(
            issue(
              `${field}.clusterId`,
              cluster.id,
              `puts inbound port ${port} on host ${hostId}, where cluster ${app} uses it as an app port: give cluster ${cluster.id} another inboundPortBase`,
            ),
          );
        }
      }
      for (const port of cluster.appPorts) {
        const owner = appOwner.get(`${address}/${port}`);
        if (owner !== undefined && owner !== cluster.id) {
          issues.push(
            issue(
              `${field}.address`,
              address,
              `carries app port ${port} for both cluster ${owner} and cluster ${cluster.id} on host ${hostId}: give one membership another address`,
            ),
          );
        }
      }
    }
  }
  return issues;
}

/** Throws MeshValidationError listing every issue unless the topology is valid. */
export function assertValidTopology(topology: unknown): asserts topology is Topology {
  const issues = validateTopology(topology);
  if (issues.length > 0) throw new MeshValidationError(issues);
}
