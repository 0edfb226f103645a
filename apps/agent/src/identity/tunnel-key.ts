// The tunnel key pair stunnel serves. It is generated on the node; only its CSR leaves.
// During a renewal the new key waits in tunnel-next.key and the old one keeps serving
// until a bundle with a leaf for the new key applies (the applier then promotes it).

import { dirname } from "node:path";
import { createCsr, exportPrivateKeyPem, generateKeyPair, type KeyType } from "@tunnelfleet/pki";
import type { HostExecutor } from "../executor/executor";
import type { AgentPaths } from "../paths";

/** Generates a new tunnel key into tunnel-next.key (0600) and returns a CSR for it. */
export async function prepareTunnelCsr(
  executor: HostExecutor,
  paths: AgentPaths,
  hostName: string,
  keyType: KeyType = "ecdsa-p256",
): Promise<string> {
  const keyPair = await generateKeyPair(keyType);
  const keyPem = await exportPrivateKeyPem(keyPair.privateKey);
  await executor.makeDirectory(dirname(paths.tunnelNextKey), 0o700);
  await executor.writeFileAtomic(paths.tunnelNextKey, keyPem, 0o600);
  return createCsr({ commonName: hostName, keyPair });
}
