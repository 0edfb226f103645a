// Clusters: create (with its CA), read, update and delete. Every change that alters what
// members run bumps exactly those members' generations.
import {
  type ClusterPreset,
  type ClusterSpec,
  defaultInboundPortBase,
  defaultTlsPolicy,
  MAX_LEAF_LIFETIME_DAYS,
  PRESET_PORTS,
  type TlsPolicy,
  validateClusterSpec,
  validateName,
  validatePort,
} from "@tunnelfleet/mesh";
import type { Db, Prisma } from "../db";
import { createClusterAuthority, generateAuthorityMaterial } from "./authorities";
import { runChange } from "./change";
import type { Actor, ServiceDeps } from "./context";
import { ConflictError, type FieldIssue, InputError, NotFoundError } from "./errors";
import { checkTopology, clusterSpecFromRow, keyTypeToDb, tlsVersionToDb } from "./topology";
import { type ClusterView, iso } from "./views";

export interface CreateClusterInput {
  name: string;
  preset: ClusterPreset;
  /** Defaults to the preset's ports; required for a custom cluster. */
  appPorts?: number[];
  /** Defaults to the preset's block. */
  inboundPortBase?: number;
  tls?: Partial<TlsPolicy>;
  strict?: boolean;
}

export interface UpdateClusterInput {
  id: string;
  name?: string;
  appPorts?: number[];
  inboundPortBase?: number;
  tls?: Partial<Omit<TlsPolicy, "keyType">> & { keyType?: TlsPolicy["keyType"] };
  strict?: boolean;
}

const clusterInclude = {
  memberships: { include: { host: { select: { name: true } } }, orderBy: { createdAt: "asc" } },
} satisfies Prisma.ClusterInclude;

type ClusterWithMembers = Prisma.ClusterGetPayload<{ include: typeof clusterInclude }>;

export function clusterToView(row: ClusterWithMembers): ClusterView {
  return {
    ...clusterSpecFromRow(row),
    members: row.memberships.map((membership) => ({
      hostId: membership.hostId,
      hostName: membership.host.name,
      address: membership.address,
      createdAt: iso(membership.createdAt),
    })),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function checkPorts(field: string, ports: number[], issues: FieldIssue[]): void {
  if (ports.length === 0) {
    issues.push({ field, value: ports, message: `${field} is empty: list at least one application port` });
  }
  ports.forEach((port, index) => {
    const issue = validatePort(`${field}[${index}]`, port);
    if (issue) issues.push(issue);
  });
  const duplicates = ports.filter((port, index) => ports.indexOf(port) !== index);
  if (duplicates.length > 0) {
    issues.push({
      field,
      value: ports,
      message: `${field} lists port ${duplicates[0]} twice: list each port once`,
    });
  }
}

function checkLifetime(value: number | undefined, issues: FieldIssue[]): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LEAF_LIFETIME_DAYS) {
    issues.push({
      field: "tls.leafLifetimeDays",
      value,
      message: `tls.leafLifetimeDays ${value} is out of range: use 1 to ${MAX_LEAF_LIFETIME_DAYS} days`,
    });
  }
}

/**
 * Runs the mesh package's checks of one cluster (port ranges, inbound block overlaps) and
 * names each rejected field as the API input names it (`inboundPortBase`, `tls.keyType`).
 */
function checkClusterSpec(spec: ClusterSpec, issues: FieldIssue[]): void {
  for (const issue of validateClusterSpec(spec, "cluster")) {
    const field = issue.field.replace(/^cluster\.?/, "") || "cluster";
    const message = issue.message.replace(/^cluster\./, "");
    if (!issues.some((known) => known.field === field)) issues.push({ ...issue, field, message });
  }
}

function throwIfAny(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new InputError(issues.map((issue) => issue.message).join("; "), issues);
}

async function findCluster(db: Db, id: string): Promise<ClusterWithMembers> {
  const row = await db.cluster.findUnique({ where: { id }, include: clusterInclude });
  if (!row) throw new NotFoundError("cluster", id);
  return row;
}

async function checkNameFree(db: Db, name: string, exceptId?: string): Promise<void> {
  const existing = await db.cluster.findUnique({ where: { name }, select: { id: true } });
  if (existing && existing.id !== exceptId) {
    throw new ConflictError(`cluster name ${JSON.stringify(name)} is already in use: choose another name`, [
      { field: "name", value: name, message: "is already in use" },
    ]);
  }
}

export async function listClusters(db: Db): Promise<ClusterView[]> {
  const rows = await db.cluster.findMany({ include: clusterInclude, orderBy: { name: "asc" } });
  return rows.map(clusterToView);
}

export async function getCluster(db: Db, id: string): Promise<ClusterView> {
  return clusterToView(await findCluster(db, id));
}

/**
 * Creates a cluster and its first CA (generated with the policy's key type). A new
 * cluster has no members, so no host's generation changes.
 */
export async function createCluster(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateClusterInput,
): Promise<ClusterView> {
  const issues: FieldIssue[] = [];
  const nameIssue = validateName("name", input.name);
  if (nameIssue) issues.push(nameIssue);

  const appPorts = input.appPorts ?? [...PRESET_PORTS[input.preset]];
  if (input.preset === "custom" && input.appPorts === undefined) {
    issues.push({
      field: "appPorts",
      value: undefined,
      message: "appPorts is missing: a custom cluster must list its application ports",
    });
  } else {
    checkPorts("appPorts", appPorts, issues);
  }
  const inboundPortBase = input.inboundPortBase ?? defaultInboundPortBase(input.preset);
  const baseIssue = validatePort("inboundPortBase", inboundPortBase);
  if (baseIssue) issues.push(baseIssue);
  const tls: TlsPolicy = { ...defaultTlsPolicy, ...input.tls };
  checkLifetime(input.tls?.leafLifetimeDays, issues);
  throwIfAny(issues);
  const strict = input.strict ?? false;
  checkClusterSpec(
    { id: "new", name: input.name, preset: input.preset, appPorts, inboundPortBase, tls, strict },
    issues,
  );
  throwIfAny(issues);

  // Key generation (up to seconds for RSA-4096) happens before the transaction opens.
  const material = await generateAuthorityMaterial(deps, `Tunnelfleet cluster ${input.name}`, tls.keyType);

  return runChange(
    deps.prisma,
    actor,
    "cluster.create",
    async (tx) => {
      await checkNameFree(tx, input.name);
      const created = await tx.cluster.create({
        data: {
          name: input.name,
          preset: input.preset,
          appPorts,
          inboundPortBase,
          keyType: keyTypeToDb(tls.keyType),
          leafLifetimeDays: tls.leafLifetimeDays,
          minTlsVersion: tlsVersionToDb(tls.minTlsVersion),
          strict,
        },
      });
      await createClusterAuthority(tx, created.id, material, false);
      await checkTopology(tx);

      const view = clusterToView(await findCluster(tx, created.id));
      return {
        result: view,
        hostIds: [],
        audit: { action: "cluster.create", targetType: "cluster", targetId: created.id, after: view },
      };
    },
    { lockTopology: true },
  );
}

/** Updates a cluster's ports, policy or mode and bumps every member. */
export async function updateCluster(
  deps: ServiceDeps,
  actor: Actor,
  input: UpdateClusterInput,
): Promise<ClusterView> {
  const issues: FieldIssue[] = [];
  if (input.name !== undefined) {
    const nameIssue = validateName("name", input.name);
    if (nameIssue) issues.push(nameIssue);
  }
  if (input.appPorts !== undefined) checkPorts("appPorts", input.appPorts, issues);
  if (input.inboundPortBase !== undefined) {
    const baseIssue = validatePort("inboundPortBase", input.inboundPortBase);
    if (baseIssue) issues.push(baseIssue);
  }
  checkLifetime(input.tls?.leafLifetimeDays, issues);
  throwIfAny(issues);

  return runChange(
    deps.prisma,
    actor,
    "cluster.update",
    async (tx) => {
      const before = clusterToView(await findCluster(tx, input.id));
      if (input.name !== undefined) await checkNameFree(tx, input.name, input.id);
      const merged: ClusterSpec = {
        id: before.id,
        name: input.name ?? before.name,
        preset: before.preset,
        appPorts: input.appPorts ?? before.appPorts,
        inboundPortBase: input.inboundPortBase ?? before.inboundPortBase,
        tls: { ...before.tls, ...input.tls },
        strict: input.strict ?? before.strict,
      };
      const specIssues: FieldIssue[] = [];
      checkClusterSpec(merged, specIssues);
      throwIfAny(specIssues);

      await tx.cluster.update({
        where: { id: input.id },
        data: {
          name: input.name,
          appPorts: input.appPorts,
          inboundPortBase: input.inboundPortBase,
          keyType: input.tls?.keyType === undefined ? undefined : keyTypeToDb(input.tls.keyType),
          leafLifetimeDays: input.tls?.leafLifetimeDays,
          minTlsVersion:
            input.tls?.minTlsVersion === undefined ? undefined : tlsVersionToDb(input.tls.minTlsVersion),
          strict: input.strict,
        },
      });
      await checkTopology(tx);

      const after = clusterToView(await findCluster(tx, input.id));
      return {
        result: after,
        hostIds: after.members.map((member) => member.hostId),
        audit: { action: "cluster.update", targetType: "cluster", targetId: input.id, before, after },
      };
    },
    { lockTopology: true },
  );
}

/** Deletes a cluster with its memberships, CAs and certificates; bumps every former member. */
export async function deleteCluster(deps: ServiceDeps, actor: Actor, id: string): Promise<{ id: string }> {
  return runChange(
    deps.prisma,
    actor,
    "cluster.delete",
    async (tx) => {
      const before = clusterToView(await findCluster(tx, id));
      await tx.cluster.delete({ where: { id } });
      return {
        result: { id },
        hostIds: before.members.map((member) => member.hostId),
        audit: { action: "cluster.delete", targetType: "cluster", targetId: id, before },
      };
    },
    { lockTopology: true },
  );
}
