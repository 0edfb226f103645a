import { afterAll, describe, expect, it } from "vitest";
import {
  CLOCK_SKEW_BACKDATE_MS,
  certificateInfo,
  createCa,
  keyMatchesCertificate,
  PkiError,
} from "../src/index";
import { Workdir } from "./openssl";

const work = new Workdir();
afterAll(() => work.remove());

describe("createCa", () => {
  it("passes openssl's CA checks", async () => {
    const ca = await createCa({ commonName: "Cluster CA" });
    const caFile = work.write("ca.pem", ca.certPem);

    const selfCheck = work.openssl(["verify", "-CAfile", caFile, caFile]);
    expect(selfCheck.status).toBe(0);
    const purpose = work.opensslOk(["x509", "-in", caFile, "-noout", "-purpose"]);
    expect(purpose).toContain("SSL client CA : Yes");
    expect(purpose).toContain("SSL server CA : Yes");
    expect(await keyMatchesCertificate(ca.keyPem, ca.certPem)).toBe(true);
    expect(work.opensslOk(["pkey", "-check", "-noout"], ca.keyPem)).toContain("Key is valid");
  });

  it("keeps a common name with a comma as one CN", async () => {
    const ca = await createCa({ commonName: "Acme, Inc. CA,O=Evil" });

    const subject = work.opensslOk(["x509", "-noout", "-subject", "-nameopt", "RFC2253"], ca.certPem);

    // OpenSSL escapes the commas inside the value, so there is one CN and no O attribute.
    expect(subject.trim()).toBe("subject=CN=Acme\\, Inc. CA\\,O=Evil");
    const fields = work.opensslOk(["x509", "-noout", "-subject", "-nameopt", "sep_multiline"], ca.certPem);
    expect(fields.trim().split("\n")).toEqual(["subject=", "    CN=Acme, Inc. CA,O=Evil"]);
  });

  it("sets the validity window", async () => {
    const now = new Date("2026-03-01T00:00:00Z");

    const ca = await createCa({ commonName: "Dated CA", lifetimeDays: 365, now });

    const info = certificateInfo(ca.certPem);
    expect(info.notBefore.getTime()).toBe(now.getTime() - CLOCK_SKEW_BACKDATE_MS);
    expect(info.notAfter.toISOString()).toBe("2027-03-01T00:00:00.000Z");
    expect(info.isCa).toBe(true);
  });

  it.each([
    [{ keyType: "ed25519" }, /keyType "ed25519" is not supported/],
    [{ lifetimeDays: 0 }, /lifetimeDays is 0/],
    [{ lifetimeDays: Number.NaN }, /lifetimeDays is NaN/],
    [{ commonName: " " }, /commonName is missing/],
    [{ commonName: "line\nbreak" }, /contains a control character/],
    [{ now: new Date("invalid") }, /now is Invalid Date/],
  ])("rejects %o", async (override, message) => {
    const options = { commonName: "CA", ...override } as Parameters<typeof createCa>[0];
    await expect(createCa(options)).rejects.toThrow(PkiError);
    await expect(createCa(options)).rejects.toThrow(message);
  });
});
