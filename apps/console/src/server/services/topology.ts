// Conversion between the stored rows and the mesh package's Topology, and the check that
// runs on the whole resulting topology before any topology change commits.
import {
  assertValidTopology,
  type ClusterSpec,
  type KeyType as MeshKeyType,
  type TlsVersion as MeshTlsVersion,
  MeshValidationError,
  type Topology,
} from "@tunnelfleet/mesh";
import type { Db } from "../db";
import { InputError } from "./errors";

export type DbKeyType = "ecdsa_p256" | "ecdsa_p384" | "rsa_2048" | "rsa_3072" | "rsa_4096";
export type DbTlsVersion = "TLSv1_2" | "TLSv1_3";

/** Key types as the API and the mesh and pki packages spell them. */
export const KEY_TYPES = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"] as const;
export const TLS_VERSIONS = ["TLSv1.2", "TLSv1.3"] as const;

export function keyTypeToDb(keyType: MeshKeyType): DbKeyType {
  return keyType.replace("-", "_") as DbKeyType;
}

export function keyTypeFromDb(keyType: DbKeyType): MeshKeyType {
  return keyType.replace("_", "-") as MeshKeyType;
}

export function tlsVersionToDb(version: MeshTlsVersion): DbTlsVersion {
  return version.replace(".", "_") as DbTlsVersion;
}

export function tlsVersionFromDb(version: DbTlsVersion): MeshTlsVersion {
  return version.replace("_", ".") as MeshTlsVersion;
}

interface ClusterRow {
  id: string;
  name: string;
  preset: ClusterSpec["preset"];
  appPorts: number[];
  inboundPortBase: number;
  keyType: DbKeyType;
  leafLifetimeDays: number;
  minTlsVersion: DbTlsVersion;
  strict: boolean;
}

export function clusterSpecFromRow(row: ClusterRow): ClusterSpec {
  return {
    id: row.id,
    name: row.name,
    preset: row.preset,
    appPorts: row.appPorts,
    inboundPortBase: row.inboundPortBase,
    tls: {
      keyType: keyTypeFromDb(row.keyType),
      leafLifetimeDays: row.leafLifetimeDays,
      minTlsVersion: tlsVersionFromDb(row.minTlsVersion),
    },
    strict: row.strict,
  };
}

/** Loads every cluster, host and membership, sorted by id so that plans are deterministic. */
export async function loadTopology(db: Db): Promise<Topology> {
  // One query after the other: inside a transaction they share one connection.
  const clusters = await db.cluster.findMany({ orderBy: { id: "asc" } });
  const hosts = await db.host.findMany({ orderBy: { id: "asc" }, select: { id: true, name: true } });
  const memberships = await db.membership.findMany({
    orderBy: [{ clusterId: "asc" }, { hostId: "asc" }],
    select: { clusterId: true, hostId: true, address: true },
  });
  return { clusters: clusters.map(clusterSpecFromRow), hosts, memberships };
}

/**
 * Validates the topology as it is inside the transaction `tx` and throws InputError
 * with the mesh issues when it is invalid, which rolls the transaction back.
 */
export async function checkTopology(tx: Db): Promise<void> {
  const topology = await loadTopology(tx);
  try {
    assertValidTopology(topology);
  } catch (error) {
    if (error instanceof MeshValidationError) {
      throw new InputError(`the change would make the topology invalid: ${error.message}`, error.issues);
    }
    throw error;
  }
}

/** Ids of every host that is a member of any of the clusters. */
export async function memberHostIds(db: Db, clusterIds: string[]): Promise<string[]> {
  if (clusterIds.length === 0) return [];
  const rows = await db.membership.findMany({
    where: { clusterId: { in: clusterIds } },
    select: { hostId: true },
  });
  return [...new Set(rows.map((row) => row.hostId))];
}

/** Ids of the clusters the host is a member of. */
export async function clusterIdsOfHost(db: Db, hostId: string): Promise<string[]> {
  const rows = await db.membership.findMany({ where: { hostId }, select: { clusterId: true } });
  return rows.map((row) => row.clusterId);
}
