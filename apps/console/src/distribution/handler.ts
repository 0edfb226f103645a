// Request handler of the agent distribution routes. The gateway calls it for every
// request on its HTTPS port before its own routes; it serves the artefact, its manifest,
// the CA as PEM and the install script, and leaves every other request to the gateway.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AgentArtefact } from "./artefact";
import { renderInstallScript } from "./install-script";
import { AGENT_ARTEFACT_PATH, AGENT_CA_PEM_PATH, AGENT_MANIFEST_PATH, INSTALL_SCRIPT_PATH } from "./paths";

export interface DistributionOptions {
  artefact: AgentArtefact;
  /** Gateway URL written into the install script, https://host:port. */
  serverUrl: string;
  /** Gateway CA certificate (PEM), the one GET /v1/ca serves. */
  caPem: string;
}

/** Returns true when it sent a response, false when the request is not one of its routes. */
export type DistributionHandler = (request: IncomingMessage, response: ServerResponse) => boolean;

interface Route {
  contentType: string;
  body: Buffer;
}

/** Renders every response once; throws when the server URL cannot go into a script. */
export function createDistributionHandler(options: DistributionOptions): DistributionHandler {
  const routes = new Map<string, Route>([
    [AGENT_ARTEFACT_PATH, { contentType: "text/javascript; charset=utf-8", body: options.artefact.bytes }],
    [
      AGENT_MANIFEST_PATH,
      { contentType: "application/json", body: Buffer.from(JSON.stringify(options.artefact.manifest)) },
    ],
    [AGENT_CA_PEM_PATH, { contentType: "application/x-pem-file", body: Buffer.from(options.caPem) }],
    [
      INSTALL_SCRIPT_PATH,
      {
        contentType: "text/x-shellscript; charset=utf-8",
        body: Buffer.from(renderInstallScript(options.serverUrl)),
      },
    ],
  ]);

  return (request, response) => {
    const path = (request.url ?? "").split("?")[0] ?? "";
    const route = routes.get(path);
    if (!route) return false;

    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
      response.end(JSON.stringify({ error: `${request.method} is not allowed on ${path}; use GET` }));
      return true;
    }
    response.writeHead(200, {
      "content-type": route.contentType,
      "content-length": route.body.length,
      "cache-control": "no-store",
    });
    response.end(request.method === "HEAD" ? undefined : route.body);
    return true;
  };
}
