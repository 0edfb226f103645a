// Local renewal: at 2/3 of the served leaf's lifetime the agent generates a new key and
// sends its CSR, without waiting for the gateway to ask. The old key keeps serving until
// a bundle with the new leaf applies.
import { join } from "node:path";
import { certificateInfo } from "@tunnelfleet/pki";
import type { Agent } from "./agent";
import { GENERATION_FILES } from "./paths";

export interface CsrSender {
  sendTunnelCsr(requestId: string): Promise<void>;
}

/** Returns the time at which renewal is due: notBefore + 2/3 of the lifetime. */
export function renewalDue(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
}

/**
 * Sends a CSR when the served leaf is past 2/3 of its lifetime and no renewal is pending.
 * NOTE: the gateway may reply "unknown-csr-request" to a CSR it did not request. Renewal
 * then waits for the gateway's own csrRequest, because a pending tunnel-next.key stops
 * further local attempts.
 */
export async function renewalCheck(agent: Agent, sender: CsrSender, now = new Date()): Promise<boolean> {
  const certPem = await agent.executor.readFile(join(agent.paths.currentLink, GENERATION_FILES.cert));
  if (!certPem?.includes("BEGIN CERTIFICATE")) return false;
  if ((await agent.executor.readFile(agent.paths.tunnelNextKey)) !== undefined) return false;
  const info = certificateInfo(certPem);
  if (now < renewalDue(info.notBefore, info.notAfter)) return false;
  agent.logger.info(
    { serial: info.serial, notAfter: info.notAfter.toISOString() },
    "tunnel leaf due for renewal",
  );
  await sender.sendTunnelCsr(`renewal-${info.serial}`);
  return true;
}
