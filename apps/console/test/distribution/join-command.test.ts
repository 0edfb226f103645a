// The one-line join command: what it embeds, that it parses as sh, and which inputs it rejects.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderJoinCommand } from "../../src/distribution/join-command";
import { DistributionInputError, parseServerOrigin } from "../../src/distribution/server-origin";
import { hasCommand } from "./support";

const CA_HASH = `sha256:${"ab".repeat(32)}`;
const TOKEN = "tfj_Q2xhc3Nyb29tLXRva2VuLWZvci10ZXN0cy0wMTIz";

/** The program inside `sh -c '…'`. */
function innerProgram(line: string): string {
  const match = /^sh -c '([^']*)' tunnelfleet-install$/.exec(line);
  if (!match?.[1]) throw new Error(`not a rendered join command: ${line}`);
  return match[1];
}

describe("renderJoinCommand", () => {
  it("embeds the pin, the token and the install URL", () => {
    const line = renderJoinCommand({
      serverUrl: "https://gateway.example:8443",
      token: TOKEN,
      caHash: CA_HASH,
    });
    const program = innerProgram(line);
    expect(program).toContain(`p="${CA_HASH}"`);
    expect(program).toContain(`--token ${TOKEN}`);
    expect(program).toContain('s="gateway.example:8443"');
    expect(program).toContain("https://gateway.example:8443/v1/install.sh");
    expect(line).not.toContain("\n");
  });

  it("checks the pin before the first curl", () => {
    const program = innerProgram(
      renderJoinCommand({ serverUrl: "https://10.0.0.1:8443", token: TOKEN, caHash: CA_HASH }),
    );
    const pinCheck = program.indexOf('[ "$h" = "$p" ]');
    expect(pinCheck).toBeGreaterThan(0);
    expect(program.indexOf("curl")).toBeGreaterThan(pinCheck);
    expect(program).not.toMatch(/curl[^;]* (-k|--insecure)\b/);
  });

  it("parses as POSIX sh", () => {
    const line = renderJoinCommand({
      serverUrl: "https://gateway.example:8443",
      token: TOKEN,
      caHash: CA_HASH,
      hostName: "node-1.example",
    });
    expect(() => execFileSync("dash", ["-n", "-c", innerProgram(line)])).not.toThrow();
    expect(innerProgram(line)).toContain("--name node-1.example");
  });

  // NOTE: skipped where shellcheck is not installed; .ci/run does not install it.
  it.skipIf(!hasCommand("shellcheck"))("passes shellcheck", () => {
    const line = renderJoinCommand({ serverUrl: "https://[fd00::1]:8443", token: TOKEN, caHash: CA_HASH });
    expect(() =>
      execFileSync("shellcheck", ["--shell=sh", "-"], { input: innerProgram(line) }),
    ).not.toThrow();
  });

  it("passes appended options to the script", () => {
    const program = innerProgram(
      renderJoinCommand({ serverUrl: "https://gw:8443", token: TOKEN, caHash: CA_HASH }),
    );
    expect(program.endsWith('"$@"')).toBe(true);
  });

  it.each([
    ["serverUrl", { serverUrl: "http://gateway.example:8443" }, /must use https/],
    ["serverUrl", { serverUrl: "https://gateway.example:8443/path" }, /path, query or user name/],
    ["serverUrl", { serverUrl: "https://user@gateway.example:8443" }, /path, query or user name/],
    ["serverUrl", { serverUrl: "not a url" }, /is not a URL/],
    ["token", { token: "tfj_short" }, /token is not a join token/],
    ["token", { token: "tfj_0123456789abcdef'; rm -rf /" }, /token is not a join token/],
    ["token", { token: "tfj_0123456789abcdef$(id)" }, /token is not a join token/],
    ["caHash", { caHash: `sha256:${"AB".repeat(32)}` }, /caHash .* is not sha256/],
    ["caHash", { caHash: "sha256:abcd" }, /caHash .* is not sha256/],
    ["hostName", { hostName: "node 1" }, /hostName "node 1" is not a DNS host name/],
  ])("rejects a bad %s", (_field, override, message) => {
    const render = () =>
      renderJoinCommand({
        serverUrl: "https://gateway.example:8443",
        token: TOKEN,
        caHash: CA_HASH,
        ...override,
      });
    expect(render).toThrow(DistributionInputError);
    expect(render).toThrow(message);
  });
});

describe("parseServerOrigin", () => {
  it("adds the default port for s_client", () => {
    expect(parseServerOrigin("https://gateway.example")).toEqual({
      origin: "https://gateway.example",
      connect: "gateway.example:443",
    });
  });

  it("keeps IPv6 addresses in brackets", () => {
    expect(parseServerOrigin("https://[fd00::1]:8443/")).toEqual({
      origin: "https://[fd00::1]:8443",
      connect: "[fd00::1]:8443",
    });
  });
});
