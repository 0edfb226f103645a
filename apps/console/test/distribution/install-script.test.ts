// The install script as the console renders it: the server URL goes in, nothing else
// changes, and the result is valid POSIX sh.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderInstallScript } from "../../src/distribution/install-script";
import { hasCommand } from "./support";

const workDir = mkdtempSync(join(tmpdir(), "tunnelfleet-install-script-"));

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function writeScript(text: string): string {
  const path = join(workDir, `install-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, text);
  return path;
}

describe("renderInstallScript", () => {
  it("writes the server origin into the script", () => {
    const script = renderInstallScript("https://gateway.example:8443/");
    expect(script).toContain("SERVER='https://gateway.example:8443'\n");
    expect(script).not.toContain("@@SERVER_URL@@");
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
  });

  it("rejects a URL that could break out of the quotes", () => {
    expect(() => renderInstallScript("https://gateway.example:8443/'$(id)'")).toThrow(
      /path, query or user name/,
    );
  });

  it("parses as POSIX sh", () => {
    const path = writeScript(renderInstallScript("https://gateway.example:8443"));
    expect(() => execFileSync("dash", ["-n", path])).not.toThrow();
  });

  it("prints its help without touching the node", () => {
    const path = writeScript(renderInstallScript("https://gateway.example:8443"));
    const help = execFileSync("dash", [path, "--help"], { encoding: "utf8" });
    expect(help).toContain("Installs the Tunnelfleet agent from https://gateway.example:8443");
    expect(help).toContain("--install-deps");
  });

  it("rejects a malformed CA hash", () => {
    const path = writeScript(renderInstallScript("https://gateway.example:8443"));
    let stderr = "";
    try {
      execFileSync("dash", [path, "--token", "x".repeat(20), "--ca-hash", "sha256:zz", "--ca-file", path], {
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (error) {
      stderr = String((error as { stderr?: string }).stderr);
    }
    expect(stderr).toContain('--ca-hash "sha256:zz" is not sha256:<64 hex digits>');
  });

  // NOTE: shellcheck is not among the packages .ci/run installs; this check runs where it
  // is installed (apt-get install shellcheck) and is skipped elsewhere.
  it.skipIf(!hasCommand("shellcheck"))("passes shellcheck", () => {
    const path = writeScript(renderInstallScript("https://gateway.example:8443"));
    expect(() => execFileSync("shellcheck", ["--shell=sh", path], { encoding: "utf8" })).not.toThrow();
  });
});
