// CRL preflight with the real openssl CLI on CRLs made by packages/pki.
import { createCrl } from "@tunnelfleet/pki";
import { beforeAll, describe, expect, it } from "vitest";
import { checkCrls } from "../../src/apply/preflight";
import { NodeExecutor } from "../../src/executor/node-executor";
import { makeCa, type TestCa } from "../support/pki";

const DAY_MS = 86_400_000;
const executor = new NodeExecutor();
let ca: TestCa;

beforeAll(async () => {
  ca = await makeCa("CRL Test CA", new Date(Date.now() - 10 * DAY_MS));
});

describe("checkCrls", () => {
  it("accepts a current CRL", async () => {
    const crl = await createCrl({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      revoked: [],
      crlNumber: 1,
      nextUpdate: new Date(Date.now() + DAY_MS),
    });

    await expect(checkCrls(executor, [crl], new Date())).resolves.toBeUndefined();
  });

  it("rejects an expired CRL naming its issuer", async () => {
    const crl = await createCrl({
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      revoked: [],
      crlNumber: 1,
      thisUpdate: new Date(Date.now() - 3 * DAY_MS),
      nextUpdate: new Date(Date.now() - DAY_MS),
    });

    await expect(checkCrls(executor, [crl], new Date())).rejects.toThrow(/CRL of .*CRL Test CA expired/);
  });

  it("rejects text that is not a CRL", async () => {
    await expect(
      checkCrls(executor, ["-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"], new Date()),
    ).rejects.toThrow(/crlPems\[0\] is not a readable CRL/);
  });
});
