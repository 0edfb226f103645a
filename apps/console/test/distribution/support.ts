// Test support for the distribution routes: the agent bundle built into a temp dir, and
// an HTTPS server on 127.0.0.1 that serves the distribution handler next to stand-ins for
// the gateway's GET /v1/ca and POST /v1/enrol, signed by a CA made for the test.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createCa,
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  issueLeaf,
  spkiHash,
} from "@tunnelfleet/pki";
import { ENROL_PATH, type EnrolRequest, GATEWAY_CA_PATH } from "@tunnelfleet/protocol";
import { buildAgentBundle } from "../../../agent/build/build.mjs";
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
  const ca = await createCa({ commonName: "Distribution Test Gateway CA", lifetimeDays: 30 });
  const serverKeys = await generateKeyPair("ecdsa-p256");
  const serverLeaf = await issueLeaf({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    csrPem: await createCsr({ commonName: "localhost", keyPair: serverKeys }),
    commonName: "localhost",
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
    lifetimeDays: 30,
    usage: "server",
  });

  const requests: string[] = [];
  const enrolments: EnrolRequest[] = [];
  let handleDistribution: ReturnType<typeof createDistributionHandler> = () => false;

  const server: Server = createServer(
    { cert: serverLeaf.certPem, key: await exportPrivateKeyPem(serverKeys.privateKey) },
    (request, response) => {
      requests.push(`${request.method} ${request.url}`);
      if (handleDistribution(request, response)) return;

      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      if (request.method === "GET" && request.url === GATEWAY_CA_PATH) {
        reply(200, { caPem: ca.certPem });
        return;
      }
      if (request.method !== "POST" || request.url !== ENROL_PATH) {
        reply(404, { error: `no route for ${request.method} ${request.url}` });
        return;
      }
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const enrol = JSON.parse(Buffer.concat(chunks).toString("utf8")) as EnrolRequest;
        enrolments.push(enrol);
        const hostName = enrol.hostName ?? "node-1";
        issueLeaf({
          caCertPem: ca.certPem,
          caKeyPem: ca.keyPem,
          csrPem: enrol.agentCsrPem,
          commonName: hostName,
          dnsNames: [hostName],
          lifetimeDays: 30,
          usage: "agent",
        }).then(
          (leaf) =>
            reply(200, { hostId: "host-1", hostName, agentCertPem: leaf.certPem, gatewayCaPem: ca.certPem }),
          (error: Error) => reply(400, { error: error.message }),
        );
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;
  handleDistribution = createDistributionHandler({ artefact, serverUrl: url, caPem: ca.certPem });

  return {
    url,
    caPem: ca.certPem,
    caHash: spkiHash(ca.certPem),
    requests,
    enrolments,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
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
