import { describe, expect, it } from "vitest";
import { lintStunnelConf, planHost, renderStunnelConf } from "../src/index";
import { cluster, GOLDEN_PATHS, singleCluster } from "./fixtures";

const rendered = () =>
  renderStunnelConf(
    planHost(singleCluster(cluster("c1", "cache", "redis"), ["10.0.0.1", "fd00::2"]), "node-id-1"),
    GOLDEN_PATHS,
  );

function fieldsOf(text: string): string[] {
  return lintStunnelConf(text).map((issue) => issue.field);
}

describe("lintStunnelConf", () => {
  it("accepts a rendered config", () => {
    expect(lintStunnelConf(rendered())).toEqual([]);
  });

  it("rejects a client without checkIP", () => {
    const text = rendered().replaceAll("checkIP = fd00::2\n", "");
    expect(text).not.toEqual(rendered());
    expect(fieldsOf(text)).toEqual(["[cache/out/node-2/6379].checkIP", "[cache/out/node-2/16379].checkIP"]);
  });

  it("accepts checkHost in place of checkIP", () => {
    const text = rendered().replaceAll("checkIP = fd00::2", "checkHost = node-2");
    expect(lintStunnelConf(text)).toEqual([]);
  });

  it("rejects numeric verify", () => {
    const text = rendered().replace("renegotiation = no", "verify = 2");
    const issues = lintStunnelConf(text);
    expect(issues.map((issue) => issue.field)).toEqual(["[global].verify"]);
    expect(issues[0]!.message).toContain("verifyChain = yes");
  });

  it("rejects a bare accept port", () => {
    const text = rendered().replace("accept = 10.0.0.1:19200", "accept = 19200");
    expect(fieldsOf(text)).toEqual(["[cache/in/6379].accept"]);
  });

  it("rejects a client accept off loopback", () => {
    const text = rendered().replace("accept = ::1:28000", "accept = 10.0.0.1:28000");
    expect(fieldsOf(text)).toEqual(["[cache/out/node-2/6379].accept"]);
  });

  it("rejects a wildcard client accept", () => {
    const text = rendered().replace("accept = ::1:28000", "accept = :::28000");
    expect(fieldsOf(text)).toEqual(["[cache/out/node-2/6379].accept"]);
  });

  it("rejects a service without verifyChain", () => {
    const text = rendered().replace("verifyChain = yes\nrequireCert", "requireCert");
    expect(fieldsOf(text)).toEqual(["[cache/in/6379].verifyChain"]);
  });

  it("rejects zero services", () => {
    expect(fieldsOf("pid = /run/x.pid\nforeground = no\n")).toEqual(["services"]);
  });

  it("rejects a missing connect and stray lines", () => {
    const text = "[svc]\naccept = 127.0.0.1:1\nverifyChain = yes\nnonsense\n";
    expect(fieldsOf(text)).toEqual(["line 4", "[svc].connect"]);
  });
});
