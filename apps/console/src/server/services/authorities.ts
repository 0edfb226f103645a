// Certificate authorities: one per cluster (generated or imported), rotation (the new CA
// becomes active, the old one retiring and still trusted until every leaf has moved),
// and the control plane's gateway CA. Private keys are stored sealed with the master key.
import {
  CaImportError,
  certificateInfo,
  createCa,
  importCa,
  type KeyType,
  PkiError,
  sealPrivateKey,
  spkiHash,
  unsealPrivateKey,
} from "@tunnelfleet/pki";
import type { Db, Tx } from "../db";
import { runChange } from "./change";
import type { Actor, ServiceDeps } from "./context";
import { ConflictError, InputError, NotFoundError } from "./errors";
import { keyTypeFromDb, keyTypeToDb, memberHostIds } from "./topology";
import { type AuthorityView, iso } from "./views";

/** Lifetime of generated CAs, in days. */
export const CA_LIFETIME_DAYS = 3650;

/** A CA ready to store: certificate, sealed key and the fields the table indexes. */
export interface AuthorityMaterial {
  certPem: string;
  encryptedKey: string;
  keyType: KeyType;
  subject: string;
  spkiHash: string;
  notBefore: Date;
  notAfter: Date;
}

type AuthorityRow = {
  id: string;
  purpose: "cluster" | "gateway";
  clusterId: string | null;
  state: "active" | "retiring" | "retired";
  imported: boolean;
  subject: string;
  keyType: Parameters<typeof keyTypeFromDb>[0];
  certPem: string;
  spkiHash: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
};

export function authorityToView(row: AuthorityRow): AuthorityView {
  return {
    id: row.id,
    purpose: row.purpose,
    clusterId: row.clusterId,
    state: row.state,
    imported: row.imported,
    subject: row.subject,
    keyType: keyTypeFromDb(row.keyType),
    certPem: row.certPem,
    spkiHash: row.spkiHash,
    notBefore: iso(row.notBefore),
    notAfter: iso(row.notAfter),
    createdAt: iso(row.createdAt),
  };
}

function materialFromPems(
  certPem: string,
  keyPem: string,
  masterKey: Buffer,
  keyType: KeyType,
): AuthorityMaterial {
  const info = certificateInfo(certPem);
  return {
    certPem,
    encryptedKey: sealPrivateKey(keyPem, masterKey),
    keyType,
    subject: info.subject,
    spkiHash: spkiHash(certPem),
    notBefore: info.notBefore,
    notAfter: info.notAfter,
  };
}

/** Generates a CA key and self-signed certificate and seals the key. No database access. */
export async function generateAuthorityMaterial(
  deps: Pick<ServiceDeps, "masterKey">,
  commonName: string,
  keyType: KeyType,
): Promise<AuthorityMaterial> {
  const created = await createCa({ commonName, keyType, lifetimeDays: CA_LIFETIME_DAYS });
  return materialFromPems(created.certPem, created.keyPem, deps.masterKey, keyType);
}

/** Runs the import checks of the pki package; throws InputError naming every problem. */
export async function importAuthorityMaterial(
  deps: Pick<ServiceDeps, "masterKey">,
  certPem: string,
  keyPem: string,
): Promise<AuthorityMaterial> {
  try {
    const checked = await importCa({ certPem, keyPem });
    return materialFromPems(checked.certPem, keyPem, deps.masterKey, checked.keyType);
  } catch (error) {
    if (error instanceof CaImportError) {
      throw new InputError(
        error.message,
        error.reasons.map((reason) => ({ field: "certPem", value: "(PEM omitted)", message: reason })),
      );
    }
    if (error instanceof PkiError) throw InputError.field("certPem", "(PEM omitted)", error.message);
    throw error;
  }
}

export async function createClusterAuthority(
  tx: Tx,
  clusterId: string,
  material: AuthorityMaterial,
  imported: boolean,
): Promise<AuthorityRow> {
  return tx.certificateAuthority.create({
    data: {
      purpose: "cluster",
      clusterId,
      state: "active",
      imported,
      subject: material.subject,
      keyType: keyTypeToDb(material.keyType),
      certPem: material.certPem,
      encryptedKey: material.encryptedKey,
      spkiHash: material.spkiHash,
      notBefore: material.notBefore,
      notAfter: material.notAfter,
    },
  });
}

export interface AuthorityFilter {
  clusterId?: string;
  purpose?: "cluster" | "gateway";
  state?: "active" | "retiring" | "retired";
}

export async function listAuthorities(db: Db, filter: AuthorityFilter = {}): Promise<AuthorityView[]> {
  const rows = await db.certificateAuthority.findMany({
    where: { clusterId: filter.clusterId, purpose: filter.purpose, state: filter.state },
    orderBy: [{ createdAt: "desc" }],
  });
  return rows.map(authorityToView);
}

/**
 * Makes `material` the cluster's active CA. The CA that was active becomes retiring: it
 * stays in every member's trust bundle until no active leaf it signed remains. Bumps
 * every member, because their trust bundles change.
 */
async function rotateTo(
  deps: ServiceDeps,
  actor: Actor,
  clusterId: string,
  material: AuthorityMaterial,
  imported: boolean,
): Promise<AuthorityView> {
  return runChange(
    deps.prisma,
    actor,
    imported ? "ca.import" : "ca.rotate",
    async (tx) => {
      const cluster = await tx.cluster.findUnique({ where: { id: clusterId }, select: { id: true } });
      if (!cluster) throw new NotFoundError("cluster", clusterId);

      const previous = await tx.certificateAuthority.findMany({
        where: { clusterId, purpose: "cluster", state: "active" },
        select: { id: true },
      });
      await tx.certificateAuthority.updateMany({
        where: { id: { in: previous.map((row) => row.id) } },
        data: { state: "retiring" },
      });
      const created = authorityToView(await createClusterAuthority(tx, clusterId, material, imported));

      return {
        result: created,
        hostIds: await memberHostIds(tx, [clusterId]),
        audit: {
          action: imported ? "ca.import" : "ca.rotate",
          targetType: "certificate_authority",
          targetId: created.id,
          before: { retiring: previous.map((row) => row.id) },
          after: { ...created, certPem: undefined },
        },
      };
    },
    { lockTopology: true },
  );
}

/** Generates a new CA for the cluster with its policy's key type and rotates to it. */
export async function generateClusterAuthority(
  deps: ServiceDeps,
  actor: Actor,
  clusterId: string,
): Promise<AuthorityView> {
  const cluster = await deps.prisma.cluster.findUnique({ where: { id: clusterId } });
  if (!cluster) throw new NotFoundError("cluster", clusterId);
  const material = await generateAuthorityMaterial(
    deps,
    `Tunnelfleet cluster ${cluster.name}`,
    keyTypeFromDb(cluster.keyType),
  );
  return rotateTo(deps, actor, clusterId, material, false);
}

/** Checks an operator's CA (CA:TRUE, key strength, signature, validity, key match) and rotates to it. */
export async function importClusterAuthority(
  deps: ServiceDeps,
  actor: Actor,
  input: { clusterId: string; certPem: string; keyPem: string },
): Promise<AuthorityView> {
  const material = await importAuthorityMaterial(deps, input.certPem, input.keyPem);
  return rotateTo(deps, actor, input.clusterId, material, true);
}

/**
 * Retires the cluster's retiring CAs that no longer sign an active leaf, and returns
 * their ids. With `force`, retires them even if leaves remain (those peers then fail
 * verification until they renew). Bumps members when anything was retired.
 */
export async function finishRotation(
  deps: ServiceDeps,
  actor: Actor,
  input: { clusterId: string; force?: boolean },
): Promise<{ retired: string[]; pending: string[] }> {
  return runChange(
    deps.prisma,
    actor,
    "ca.finish_rotation",
    async (tx) => {
      const { retired, pending } = await retireDrainedAuthorities(tx, input.clusterId, input.force ?? false);
      return {
        result: { retired, pending },
        hostIds: retired.length > 0 ? await memberHostIds(tx, [input.clusterId]) : [],
        audit: {
          action: "ca.finish_rotation",
          targetType: "cluster",
          targetId: input.clusterId,
          after: { retired, pending, force: input.force ?? false },
        },
      };
    },
    { lockTopology: true },
  );
}

/** Marks retiring CAs of the cluster retired when none of their leaves is still active. */
export async function retireDrainedAuthorities(
  tx: Tx,
  clusterId: string,
  force: boolean,
): Promise<{ retired: string[]; pending: string[] }> {
  const retiring = await tx.certificateAuthority.findMany({
    where: { clusterId, state: "retiring" },
    select: { id: true, _count: { select: { certificates: { where: { state: "active" } } } } },
  });
  const drained = retiring.filter((row) => force || row._count.certificates === 0).map((row) => row.id);
  const pending = retiring.filter((row) => !drained.includes(row.id)).map((row) => row.id);
  if (drained.length > 0) {
    await tx.certificateAuthority.updateMany({ where: { id: { in: drained } }, data: { state: "retired" } });
  }
  return { retired: drained, pending };
}

/** Loads a CA certificate with its unsealed private key, for signing. The key stays in memory. */
export async function loadSigningAuthority(
  db: Db,
  caId: string,
  masterKey: Buffer,
): Promise<{ id: string; certPem: string; keyPem: string; crlNumber: number }> {
  const row = await db.certificateAuthority.findUnique({ where: { id: caId } });
  if (!row) throw new NotFoundError("certificate authority", caId);
  return {
    id: row.id,
    certPem: row.certPem,
    keyPem: unsealPrivateKey(row.encryptedKey, masterKey),
    crlNumber: row.crlNumber,
  };
}

/** Returns the cluster's active CA, or throws ConflictError when it has none. */
export async function activeClusterAuthority(db: Db, clusterId: string): Promise<AuthorityRow> {
  const row = await db.certificateAuthority.findFirst({
    where: { clusterId, purpose: "cluster", state: "active" },
    orderBy: { createdAt: "desc" },
  });
  if (!row) {
    throw new ConflictError(`cluster ${clusterId} has no active CA: generate or import one first`);
  }
  return row;
}
