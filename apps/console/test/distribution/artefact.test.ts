// Loading the built agent bundle as the console does at start-up.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isAgentVersionSupported } from "@tunnelfleet/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAgentArtefact } from "../../src/distribution/artefact";
import { buildTestArtefact } from "./support";

const agentPackage = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../../agent/package.json"), "utf8"),
) as { version: string };

let built: Awaited<ReturnType<typeof buildTestArtefact>>;

beforeAll(async () => {
  built = await buildTestArtefact();
});

afterAll(() => {
  if (built) rmSync(built.dir, { recursive: true, force: true });
});

describe("loadAgentArtefact", () => {
  it("hashes the bundle bytes", () => {
    const sha256sum = execFileSync("sha256sum", [built.path], { encoding: "utf8" }).slice(0, 64);
    expect(built.artefact.manifest.sha256).toBe(sha256sum);
    expect(built.artefact.manifest.size).toBe(readFileSync(built.path).length);
    expect(built.artefact.bytes.equals(readFileSync(built.path))).toBe(true);
  });

  it("takes the version the bundle prints", () => {
    expect(built.artefact.manifest.version).toBe(agentPackage.version);
  });

  it("names the build command when the bundle is missing", async () => {
    await expect(loadAgentArtefact({ path: join(built.dir, "missing.mjs") })).rejects.toThrow(
      /does not exist; build it with: npm run build:agent/,
    );
  });
});

describe("artefact version skew", () => {
  const consoleVersion = (
    JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8")) as { version: string }
  ).version;

  it("is accepted by the gateway of this console", () => {
    expect(isAgentVersionSupported(built.artefact.manifest.version, consoleVersion)).toBe(true);
  });

  it("loads for a server one minor ahead", async () => {
    const [major, minor] = built.artefact.manifest.version.split(".").map(Number);
    const serverVersion = `${major}.${(minor ?? 0) + 1}.0`;
    const artefact = await loadAgentArtefact({ path: built.path, serverVersion });
    expect(artefact.manifest.version).toBe(built.artefact.manifest.version);
  });

  it("is refused for a server two minors ahead", async () => {
    const [major, minor] = built.artefact.manifest.version.split(".").map(Number);
    const serverVersion = `${major}.${(minor ?? 0) + 2}.0`;
    await expect(loadAgentArtefact({ path: built.path, serverVersion })).rejects.toThrow(
      `which this control plane (${serverVersion}) rejects`,
    );
  });
});
