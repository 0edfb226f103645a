// The agent artefact the console serves: the bundle that `npm run build:agent` writes,
// built here at start-up when it is missing, read once and hashed once.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { isAgentVersionSupported } from "@tunnelfleet/protocol";

const run = promisify(execFile);

/** Path of the bundle that the agent build script writes (apps/agent/dist). */
export const DEFAULT_ARTEFACT_PATH = fileURLToPath(
  new URL("../../../agent/dist/tunnelfleet-agent.mjs", import.meta.url),
);
const BUILD_SCRIPT_PATH = fileURLToPath(new URL("../../../agent/build/build.mjs", import.meta.url));

/** Body of GET /v1/agent/manifest.json. */
export interface AgentManifest {
  /** Agent version, as `tunnelfleet-agent --version` prints it. */
  version: string;
  /** SHA-256 of the artefact bytes, lowercase hex. */
  sha256: string;
  /** Size of the artefact in bytes. */
  size: number;
}

export interface AgentArtefact {
  bytes: Buffer;
  manifest: AgentManifest;
}

export interface LoadArtefactOptions {
  /** Bundle to serve; default apps/agent/dist/tunnelfleet-agent.mjs. */
  path?: string;
  /** Build the bundle when `path` does not exist (default true, only for the default path). */
  buildWhenMissing?: boolean;
  /**
   * Version of this control plane. When given, an artefact whose version the gateway
   * would reject at hello (isAgentVersionSupported) is not served.
   */
  serverVersion?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the artefact into memory and returns it with its manifest. The version is what
 * the artefact itself prints for --version, so a stale bundle cannot claim a newer one.
 * Serving from memory keeps the bytes and the hash in step even if the file is rebuilt
 * while the console runs.
 */
export async function loadAgentArtefact(options: LoadArtefactOptions = {}): Promise<AgentArtefact> {
  const path = options.path ?? DEFAULT_ARTEFACT_PATH;
  const buildWhenMissing = options.buildWhenMissing ?? path === DEFAULT_ARTEFACT_PATH;

  if (!(await exists(path))) {
    if (!buildWhenMissing) {
      throw new Error(`agent artefact ${path} does not exist; build it with: npm run build:agent`);
    }
    try {
      await run(process.execPath, [BUILD_SCRIPT_PATH], { timeout: 120_000 });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new Error(`building the agent artefact failed: ${detail}; run npm run build:agent to see why`);
    }
  }

  const bytes = await readFile(path);
  let version: string;
  try {
    const { stdout } = await run(process.execPath, [path, "--version"], { timeout: 60_000 });
    version = stdout.trim();
  } catch (error) {
    throw new Error(
      `agent artefact ${path} does not run (${(error as Error).message}); rebuild it with: npm run build:agent`,
    );
  }

  if (options.serverVersion !== undefined && !isAgentVersionSupported(version, options.serverVersion)) {
    throw new Error(
      `agent artefact ${path} is version ${version}, which this control plane (${options.serverVersion}) rejects; rebuild it with: npm run build:agent`,
    );
  }

  return {
    bytes,
    manifest: { version, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length },
  };
}
