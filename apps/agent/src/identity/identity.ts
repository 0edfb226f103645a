// The agent's gateway identity on disk (state dir/identity, directory 0700, key 0600):
// server URL, host id and name, client key and certificate, and the pinned gateway CA.
import { z } from "zod";
import type { HostExecutor } from "../executor/executor";
import type { AgentPaths } from "../paths";

const identityRecordSchema = z.object({
  server: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  caHash: z.string(),
  enrolledAt: z.string(),
});

export type IdentityRecord = z.infer<typeof identityRecordSchema>;

export interface AgentIdentity extends IdentityRecord {
  keyPem: string;
  certPem: string;
  gatewayCaPem: string;
}

export async function saveIdentity(
  executor: HostExecutor,
  paths: AgentPaths,
  identity: AgentIdentity,
): Promise<void> {
  await executor.makeDirectory(paths.stateDir, 0o700);
  await executor.makeDirectory(paths.identityDir, 0o700);
  await executor.writeFileAtomic(paths.agentKey, identity.keyPem, 0o600);
  await executor.writeFileAtomic(paths.agentCert, identity.certPem, 0o644);
  await executor.writeFileAtomic(paths.gatewayCa, identity.gatewayCaPem, 0o644);
  const record: IdentityRecord = {
    server: identity.server,
    hostId: identity.hostId,
    hostName: identity.hostName,
    caHash: identity.caHash,
    enrolledAt: identity.enrolledAt,
  };
  await executor.writeFileAtomic(paths.identityFile, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/** Loads the identity; throws naming the missing file and the fix when the node has not joined. */
export async function loadIdentity(executor: HostExecutor, paths: AgentPaths): Promise<AgentIdentity> {
  const text = await executor.readFile(paths.identityFile);
  const keyPem = await executor.readFile(paths.agentKey);
  const certPem = await executor.readFile(paths.agentCert);
  const gatewayCaPem = await executor.readFile(paths.gatewayCa);
  if (text === undefined || keyPem === undefined || certPem === undefined || gatewayCaPem === undefined) {
    throw new Error(
      `this node has not joined a control plane (no identity in ${paths.identityDir}); run "tunnelfleet-agent join --server URL --token T --ca-hash sha256:..." first`,
    );
  }
  const record = identityRecordSchema.parse(JSON.parse(text));
  return { ...record, keyPem, certPem, gatewayCaPem };
}
