import { describe, expect, it } from "vitest";
import { checkAcceptPorts } from "../../src/apply/preflight";
import { parseSsListening } from "../../src/executor/node-executor";
import { parseIptablesVersion } from "../../src/netfilter/backend";
import {
  chainRules,
  declaredChains,
  normaliseSave,
  renderChainRemoval,
} from "../../src/netfilter/restore-text";
import { backoffDelay } from "../../src/session/backoff";
import { parseAcceptAddresses, restartOnlyChanges } from "../../src/stunnel/config";
import { findLogFailure, missingListeners } from "../../src/stunnel/controller";
import { parseStunnelVersion } from "../../src/stunnel/version";

describe("backoffDelay", () => {
  it("stays within half and all of the bound", () => {
    const policy = { initialMs: 1000, maxMs: 60_000 };
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const bound = Math.min(60_000, 1000 * 2 ** attempt);
      expect(backoffDelay(attempt, policy, () => 0)).toBe(bound / 2);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeLessThanOrEqual(bound);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeGreaterThan(bound * 0.99);
    }
  });

  it("never exceeds the cap", () => {
    expect(backoffDelay(1000, { initialMs: 1000, maxMs: 60_000 }, () => 0.999999)).toBeLessThanOrEqual(
      60_000,
    );
  });

  it("grows with the attempt", () => {
    const policy = { initialMs: 500, maxMs: 1_000_000 };
    expect(backoffDelay(3, policy, () => 0.5)).toBeGreaterThan(backoffDelay(2, policy, () => 0.5));
  });
});

describe("restartOnlyChanges", () => {
  const base = "pid = /run/tf/stunnel.pid\nforeground = no\ncert = /a\n[svc]\naccept = 127.0.0.1:1\n";

  it("ignores service and certificate changes", () => {
    const next = base.replace("cert = /a", "cert = /b").replace("127.0.0.1:1", "127.0.0.1:2");
    expect(restartOnlyChanges(base, next)).toEqual([]);
  });

  it("names a changed pid file", () => {
    expect(restartOnlyChanges(base, base.replace("/run/tf/", "/run/other/"))).toEqual(["pid"]);
  });

  it("names an added setuid", () => {
    expect(restartOnlyChanges(base, `setuid = stunnel4\n${base}`)).toEqual(["setuid"]);
  });

  it("ignores options inside services", () => {
    expect(restartOnlyChanges(base, `${base}chroot = /x\n`)).toEqual([]);
  });
});

describe("parseAcceptAddresses", () => {
  it("reads IPv4, IPv6 and port-only accepts", () => {
    const conf =
      "[a]\n; accept = 1.1.1.1:1\naccept = 10.0.0.1:16400\n[b]\naccept = ::1:28000\n[c]\naccept = 9000\n";
    expect(parseAcceptAddresses(conf)).toEqual([
      { service: "a", address: "10.0.0.1", port: 16400 },
      { service: "b", address: "::1", port: 28000 },
      { service: "c", address: "0.0.0.0", port: 9000 },
    ]);
  });
});

describe("checkAcceptPorts", () => {
  const accept = { service: "redis/in/6379", address: "10.0.0.1", port: 16400 };

  it("rejects a port another program holds on the wildcard address", () => {
    expect(() => checkAcceptPorts([accept], [], [{ address: "0.0.0.0", port: 16400 }])).toThrow(
      /10\.0\.0\.1:16400/,
    );
  });

  it("accepts the same port on another address", () => {
    expect(() => checkAcceptPorts([accept], [], [{ address: "10.0.0.2", port: 16400 }])).not.toThrow();
  });

  it("accepts a port our stunnel holds", () => {
    expect(() => checkAcceptPorts([accept], [accept], [{ address: "10.0.0.1", port: 16400 }])).not.toThrow();
  });
});

describe("stunnel output", () => {
  it("parses the version banner", () => {
    const banner =
      "stunnel 5.68 on x86_64-pc-linux-gnu platform\nCompiled with OpenSSL 3.0.9 30 May 2023\nRunning  with OpenSSL 3.0.19 27 Jan 2026\n";
    expect(parseStunnelVersion(banner)).toEqual({ major: 5, minor: 68, version: "5.68", openssl: "3.0.19" });
  });

  it("returns undefined for other programs", () => {
    expect(parseStunnelVersion("bash: stunnel: command not found")).toBeUndefined();
  });

  it("finds a bind failure after a successful parse", () => {
    const log = [
      "2026.12.04 20:08:39 LOG5[main]: Configuration successful",
      "2026.12.04 20:08:39 LOG5[main]: Binding service [svc2] to 10.9.9.9:7003: Cannot assign requested address (99)",
      "2026.12.04 20:08:39 LOG3[main]: Binding service [svc2] failed",
    ].join("\n");
    expect(findLogFailure(log)).toEqual([
      "LOG5[main]: Binding service [svc2] to 10.9.9.9:7003: Cannot assign requested address (99)",
      "LOG3[main]: Binding service [svc2] failed",
    ]);
  });

  it("finds a reload parse failure", () => {
    expect(findLogFailure("x y LOG3[main]: Failed to reload the configuration file")).toHaveLength(1);
  });

  it("reports listeners not covered by any socket", () => {
    const accepts = [
      { service: "a", address: "10.0.0.1", port: 1 },
      { service: "b", address: "127.0.0.1", port: 2 },
    ];
    expect(missingListeners(accepts, [{ address: "0.0.0.0", port: 1 }])).toEqual([accepts[1]]);
  });
});

describe("system command output", () => {
  it("parses ss -ltnH", () => {
    const output = [
      "LISTEN 0      4096   127.0.0.1:28000 0.0.0.0:*",
      "LISTEN 0      4096   [::1]:6379      [::]:*",
      "LISTEN 0      4096   *:22            *:*",
      "LISTEN 0      4096   10.0.0.1%eth0:53 0.0.0.0:*",
    ].join("\n");
    expect(parseSsListening(output)).toEqual([
      { address: "127.0.0.1", port: 28000 },
      { address: "::1", port: 6379 },
      { address: "0.0.0.0", port: 22 },
      { address: "10.0.0.1", port: 53 },
    ]);
  });

  it("tells the iptables backends apart", () => {
    expect(parseIptablesVersion("iptables v1.8.9 (nf_tables)")).toBe("nft");
    expect(parseIptablesVersion("iptables v1.8.9 (legacy)")).toBe("legacy");
    expect(parseIptablesVersion("iptables v1.4.21")).toBeUndefined();
  });
});

describe("restore text", () => {
  const restore = "*nat\n:TF-OUT - [0:0]\n-A TF-OUT -j RETURN\nCOMMIT\n*filter\n:TF-IN - [0:0]\nCOMMIT\n";

  it("lists declared chains per table", () => {
    expect([...declaredChains(restore)]).toEqual([
      ["nat", ["TF-OUT"]],
      ["filter", ["TF-IN"]],
    ]);
  });

  it("selects only our chains' rules from a save dump", () => {
    const save =
      "*nat\n:OUTPUT ACCEPT [3:180]\n:TF-OUT - [0:0]\n-A OUTPUT -j TF-OUT\n-A TF-OUT -j RETURN\nCOMMIT\n";
    expect(chainRules(save, ["TF-OUT"])).toEqual(["-A TF-OUT -j RETURN"]);
  });

  it("normalises counters and comments", () => {
    const save =
      "# Generated by iptables-save v1.8.9 on Fri\n*nat\n:OUTPUT ACCEPT [3:180]\nCOMMIT\n# Completed on Fri\n";
    expect(normaliseSave(save)).toBe("*nat\n:OUTPUT ACCEPT [0:0]\nCOMMIT");
  });

  it("renders the removal of chains: flush all, then delete", () => {
    expect(renderChainRemoval(declaredChains(restore))).toBe(
      "*nat\n-F TF-OUT\n-X TF-OUT\nCOMMIT\n*filter\n-F TF-IN\n-X TF-IN\nCOMMIT\n",
    );
  });
});
