// The gateway's services backed by the control plane: bundles built from the stored
// topology, tunnel leaf and agent certificate issuance through the cluster and gateway CAs.

import { issueLeaf } from "@tunnelfleet/pki";
import type { PrismaClient, Tx } from "../server/db";
import { loadSigningAuthority } from "../server/services/authorities";
import { buildHostBundle, buildHostBundles } from "../server/services/bundle";
import { AGENT_CERT_LIFETIME_DAYS, issueTunnelLeaf } from "../server/services/certificates";
import { activeGatewayAuthority } from "../server/services/gateway-pki";
import { tunnelLeafNeed, tunnelLeafNeeds } from "./leaf-need";
import type { GatewayServices } from "./types";

/** Builds the gateway's services over the database and the master key. */
export function createGatewayServices(deps: { prisma: PrismaClient; masterKey: Buffer }): GatewayServices {
  const { prisma, masterKey } = deps;

  return {
    buildHostBundle: (hostId) => buildHostBundle(prisma, hostId, { masterKey }),
    buildHostBundles: (hostIds) => buildHostBundles(prisma, hostIds, { masterKey }),

    async issueTunnelLeaf(hostId, csrPem) {
      await issueTunnelLeaf({ prisma, masterKey }, hostId, csrPem);
    },

    async issueAgentCertificate(tx: Tx, input) {
      const ca = await activeGatewayAuthority(tx);
      const signer = await loadSigningAuthority(tx, ca.id, masterKey);
      const leaf = await issueLeaf({
        caCertPem: signer.certPem,
        caKeyPem: signer.keyPem,
        csrPem: input.csrPem,
        commonName: input.hostName,
        lifetimeDays: AGENT_CERT_LIFETIME_DAYS,
        usage: "agent",
      });
      await tx.certificate.create({
        data: {
          caId: ca.id,
          hostId: input.hostId,
          purpose: "agent",
          serial: leaf.serial,
          subject: `CN=${input.hostName}`,
          sans: [],
          certPem: leaf.certPem,
          notBefore: leaf.notBefore,
          notAfter: leaf.notAfter,
        },
      });
      return { certPem: leaf.certPem, serial: leaf.serial };
    },

    tunnelLeafNeed: (hostId, now) => tunnelLeafNeed(prisma, hostId, now),
    tunnelLeafNeeds: (hostIds, now) => tunnelLeafNeeds(prisma, hostIds, now),
  };
}
