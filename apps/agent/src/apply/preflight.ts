// Checks a bundle against the node before anything is written: stunnel installed and new
// enough, accept ports free, a tunnel key that matches the leaf, a leaf that chains to a
// trusted CA, nothing expired (leaf, CA or CRL). Ports matter because a SIGHUP whose new port is taken
// drops every listener of stunnel.
import type { HostPlan } from "@tunnelfleet/mesh";
import { certificateInfo, keyMatchesCertificate, verifyChain } from "@tunnelfleet/pki";
import type { HostExecutor, ListeningSocket } from "../executor/executor";
import type { AcceptAddress } from "../stunnel/config";
import { MIN_STUNNEL_MAJOR, type StunnelVersion } from "../stunnel/version";

export class PreflightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreflightError";
  }
}

/** Throws when stunnel is missing or older than 5.x. */
export function checkStunnelVersion(version: StunnelVersion | undefined, binary: string): void {
  if (!version) {
    throw new PreflightError(
      `stunnel not found or unreadable at "${binary}": install stunnel 5.x (Debian: apt-get install stunnel4)`,
    );
  }
  if (version.major < MIN_STUNNEL_MAJOR) {
    throw new PreflightError(
      `stunnel ${version.version} is too old: the generated config needs stunnel ${MIN_STUNNEL_MAJOR}.x or newer`,
    );
  }
}

/**
 * Throws when a new accept address is taken by a socket that is not one of ours. `ours` are
 * the accept addresses of the config stunnel runs now; those are rebound by the reload itself.
 */
export function checkAcceptPorts(
  accepts: AcceptAddress[],
  ours: AcceptAddress[],
  sockets: ListeningSocket[],
): void {
  const conflicts: string[] = [];
  for (const accept of accepts) {
    const alreadyOurs = ours.some((own) => own.port === accept.port && own.address === accept.address);
    if (alreadyOurs) continue;
    const taken = sockets.find(
      (socket) =>
        socket.port === accept.port &&
        (socket.address === accept.address ||
          socket.address === "0.0.0.0" ||
          socket.address === "::" ||
          accept.address === "0.0.0.0" ||
          accept.address === "::"),
    );
    if (taken)
      conflicts.push(
        `${accept.address}:${accept.port} (service [${accept.service}], held by ${taken.address}:${taken.port})`,
      );
  }
  if (conflicts.length > 0) {
    throw new PreflightError(
      `accept port already in use by another program: ${conflicts.join(", ")}; free the port or change the cluster's inbound port base`,
    );
  }
}

/** Returns the first candidate key that certifies the leaf; throws when none does. */
export async function selectTunnelKey(
  leafCertPem: string,
  candidates: { path: string; pem: string | undefined }[],
): Promise<{ path: string; pem: string }> {
  for (const candidate of candidates) {
    if (candidate.pem === undefined) continue;
    if (await keyMatchesCertificate(candidate.pem, leafCertPem))
      return { path: candidate.path, pem: candidate.pem };
  }
  const tried = candidates.map((candidate) => candidate.path).join(", ");
  throw new PreflightError(
    `no tunnel key on this node matches the bundle's leaf certificate (tried ${tried}); the control plane must sign a CSR from this node`,
  );
}

/** Throws when the leaf is expired, not yet valid, or not signed by any trusted CA. */
export async function checkLeaf(leafCertPem: string, trustedCaPems: string[], now: Date): Promise<void> {
  const info = certificateInfo(leafCertPem);
  if (now < info.notBefore || now > info.notAfter) {
    throw new PreflightError(
      `leaf certificate ${info.serial} is valid from ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}, not now (${now.toISOString()}); renew it or check the node's clock`,
    );
  }
  if (trustedCaPems.length === 0) {
    throw new PreflightError(
      "the bundle trusts no CA (trustedCaPems is empty); stunnel could not verify any peer",
    );
  }
  if (!(await verifyChain(leafCertPem, trustedCaPems, now))) {
    throw new PreflightError(
      `leaf certificate ${info.serial} (issuer ${info.issuer}) does not chain to any trusted CA of the bundle, or that CA is expired`,
    );
  }
}

/**
 * Throws when a CRL's nextUpdate has passed: OpenSSL then rejects every peer of that CA,
 * so stunnel would drop the whole cluster. Reads the dates with `openssl crl`.
 */
export async function checkCrls(executor: HostExecutor, crlPems: string[], now: Date): Promise<void> {
  for (const [index, crlPem] of crlPems.entries()) {
    const result = await executor.run("openssl", ["crl", "-noout", "-issuer", "-nextupdate"], {
      input: crlPem,
      timeoutMs: 10_000,
    });
    if (result.code !== 0) {
      throw new PreflightError(
        `crlPems[${index}] is not a readable CRL: ${result.stderr.trim().split("\n")[0]}`,
      );
    }
    const nextUpdateText = /^nextUpdate=(.+)$/m.exec(result.stdout)?.[1]?.trim();
    const issuer = /^issuer=(.+)$/m.exec(result.stdout)?.[1]?.trim() ?? "unknown issuer";
    const nextUpdate = nextUpdateText ? new Date(nextUpdateText) : undefined;
    if (!nextUpdate || Number.isNaN(nextUpdate.getTime())) {
      throw new PreflightError(
        `crlPems[${index}] (${issuer}) has no readable nextUpdate ("${nextUpdateText ?? ""}")`,
      );
    }
    if (nextUpdate < now) {
      throw new PreflightError(
        `the CRL of ${issuer} expired at ${nextUpdate.toISOString()}: stunnel would reject every peer of that CA; the control plane must publish a new CRL`,
      );
    }
  }
}

/**
 * Throws when the plan needs IPv6 rules. The agent applies only the IPv4 rule set, and
 * an IPv6 member without its DNAT rule would get the app's traffic in plaintext.
 * NOTE: remove once the agent applies the "ipv6" text with ip6tables-restore.
 */
export function checkAddressFamilies(plan: HostPlan): void {
  const ipv6 = [
    ...plan.dnat.map((rule) => rule.destination),
    ...plan.ingressGuards.map((rule) => rule.address),
    ...plan.egressGuards.map((rule) => rule.destination),
  ].filter((address) => address.includes(":"));
  if (ipv6.length > 0) {
    throw new PreflightError(
      `the plan has IPv6 rules (for ${ipv6.slice(0, 3).join(", ")}), which this agent cannot apply yet; use IPv4 membership addresses`,
    );
  }
}
