import { createCrl } from "@tunnelfleet/pki";
import { describe, expect, it } from "vitest";
import { inboundFilters, removedPeerFilters, revokedSerials } from "../../src/apply/cut-connections";
import { NodeExecutor } from "../../src/executor/node-executor";
import { makeCa } from "../support/pki";
import { planFor, redisTopology, type TestMember } from "../support/topology";

const A: TestMember = { id: "host-a", name: "a", address: "10.213.0.1" };
const B: TestMember = { id: "host-b", name: "b", address: "10.213.0.2" };
const C: TestMember = { id: "host-c", name: "c", address: "10.213.0.3" };

describe("removedPeerFilters", () => {
  it("targets only the peer that left, on tunnel ports", () => {
    const before = planFor(redisTopology([A, B, C]), A.id, undefined);
    const after = planFor(redisTopology([A, C]), A.id, before);

    expect(removedPeerFilters(before, after)).toEqual([
      { remoteAddress: B.address, localPort: 16400 },
      { remoteAddress: B.address, remotePort: 16400 },
    ]);
  });

  it("returns nothing when no peer left", () => {
    const before = planFor(redisTopology([A, B]), A.id, undefined);
    const after = planFor(redisTopology([A, B, C]), A.id, before);

    expect(removedPeerFilters(before, after)).toEqual([]);
  });
});

describe("inboundFilters", () => {
  it("lists every inbound accept port", () => {
    expect(inboundFilters(planFor(redisTopology([A, B]), A.id, undefined))).toEqual([{ localPort: 16400 }]);
  });
});

describe("revokedSerials", () => {
  it("reads the serials of a CRL with openssl", async () => {
    const ca = await makeCa("CRL CA", new Date(Date.now() - 86_400_000));
    const crl = await createCrl({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      revoked: [{ serial: "0a1b2c", revokedAt: new Date(Date.now() - 3_600_000) }],
      crlNumber: 2,
      nextUpdate: new Date(Date.now() + 86_400_000),
    });

    expect(await revokedSerials(new NodeExecutor(), [crl])).toEqual(new Set(["a1b2c"]));
  });
});
