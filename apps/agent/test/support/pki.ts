// Certificates for agent tests, issued with packages/pki: a CA, and a leaf for a key
// generated the way the agent generates its tunnel key.
import { createCa, createCsr, exportPrivateKeyPem, generateKeyPair, issueLeaf } from "@tunnelfleet/pki";
import type { Agent } from "../../src/agent";
import { prepareTunnelCsr } from "../../src/identity/tunnel-key";

export interface TestCa {
  certPem: string;
  keyPem: string;
}

export interface TestLeaf {
  certPem: string;
  keyPem: string;
  serial: string;
}

export async function makeCa(commonName = "Test Cluster CA", now?: Date): Promise<TestCa> {
  return createCa({ commonName, keyType: "ecdsa-p256", lifetimeDays: 365, ...(now ? { now } : {}) });
}

/** Issues a tunnel leaf with the given IP SANs for a new P-256 key (or `keyPem` when given). */
export async function makeLeaf(
  ca: TestCa,
  hostName: string,
  ipAddresses: string[],
  options: { keyPem?: string; lifetimeDays?: number; now?: Date } = {},
): Promise<TestLeaf> {
  let keyPem = options.keyPem;
  let csrPem: string;
  if (keyPem) {
    csrPem = await createCsr({ commonName: hostName, keyPem });
  } else {
    const keyPair = await generateKeyPair("ecdsa-p256");
    keyPem = await exportPrivateKeyPem(keyPair.privateKey);
    csrPem = await createCsr({ commonName: hostName, keyPair });
  }
  const leaf = await issueLeaf({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    csrPem,
    commonName: hostName,
    dnsNames: [hostName],
    ipAddresses,
    lifetimeDays: options.lifetimeDays ?? 30,
    usage: "tunnel",
    ...(options.now ? { now: options.now } : {}),
  });
  return { certPem: leaf.certPem, keyPem, serial: leaf.serial };
}

/**
 * Has the agent generate its tunnel key and CSR (as it does on a csrRequest) and signs a
 * tunnel leaf for it with the member's address as IP SAN. Returns the leaf PEM.
 */
export async function issueTunnelLeaf(
  agent: Agent,
  ca: TestCa,
  hostName: string,
  address: string,
): Promise<string> {
  const csrPem = await prepareTunnelCsr(agent.executor, agent.paths, hostName);
  const leaf = await issueLeaf({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    csrPem,
    commonName: hostName,
    dnsNames: [hostName],
    ipAddresses: [address],
    lifetimeDays: 30,
    usage: "tunnel",
  });
  return leaf.certPem;
}
