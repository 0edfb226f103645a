// Test support for the distribution routes: the agent bundle built into a temp dir, and
// an HTTPS server on 127.0.0.1 that serves the distribution handler next to the agent
// tests' stand-ins for the gateway's GET /v1/ca and POST /v1/enrol.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnrolRequest } from "@tunnelfleet/protocol";
import { buildAgentBundle } from "../../../agent/build/build.mjs";
import { startEnrolServer } from "../../../agent/test/dist/enrol-server";
import { type AgentArtefact, loadAgentArtefact } from "../../src/distribution/artefact";
import { createDistributionHandler } from "../../src/distribution/handler";

/** Builds the agent bundle into a fresh temp dir and loads it as the console does. */
export async function buildTestArtefact(): Promise<{ dir: string; path: string; artefact: AgentArtefact }> {
  const dir = mkdtempSync(join(tmpdir(), "tunnelfleet-artefact-"));
  const built = await buildAgentBundle({ outfile: join(dir, "tunnelfleet-agent.mjs") });
  return { dir, path: built.path, artefact: await loadAgentArtefact({ path: built.path }) };
}

export interface DistributionServer {
  url: string;
  caPem: string;
  caHash: string;
  /** "METHOD path" of every request, in order. */
  requests: string[];
  enrolments: EnrolRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in gateway with the distribution handler on 127.0.0.1, port picked free. */
export async function startDistributionServer(artefact: AgentArtefact): Promise<DistributionServer> {
  const server = await startEnrolServer();
  server.setExtraRoutes(createDistributionHandler({ artefact, serverUrl: server.url, caPem: server.caPem }));
  return {
    url: server.url,
    caPem: server.caPem,
    caHash: server.caHash,
    requests: server.log,
    enrolments: server.requests,
    close: () => server.close(),
  };
}

/** Returns whether `command` is on PATH. */
export function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
