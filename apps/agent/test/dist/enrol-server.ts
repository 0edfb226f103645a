// A stand-in for the gateway's enrolment endpoints on 127.0.0.1, for testing the bundled
// agent's `join`: serves GET /v1/ca and signs the CSR of POST /v1/enrol with a test CA.
// The console's distribution tests mount their routes on it too.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createCa, createCsr, exportPrivateKeyPem, generateKeyPair, issueLeaf, spkiHash } from "@tunnelfleet/pki";
import { ENROL_PATH, type EnrolRequest, GATEWAY_CA_PATH } from "@tunnelfleet/protocol";

export interface EnrolServer {
  url: string;
  caPem: string;
  caHash: string;
  /** Enrolment requests received, in order. */
  requests: EnrolRequest[];
  /** "METHOD path" of every HTTP request, in order. */
  log: string[];
  /** Sets a handler tried before the enrolment routes; it returns true when it responded. */
  setExtraRoutes(handler: (request: IncomingMessage, response: ServerResponse) => boolean): void;
  close(): Promise<void>;
}

export async function startEnrolServer(): Promise<EnrolServer> {
  const ca = await createCa({ commonName: "Bundle Test Gateway CA", lifetimeDays: 30 });
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

  const requests: EnrolRequest[] = [];
  const log: string[] = [];
  let extraRoutes: (request: IncomingMessage, response: ServerResponse) => boolean = () => false;
  const server: Server = createServer(
    { cert: serverLeaf.certPem, key: await exportPrivateKeyPem(serverKeys.privateKey) },
    (request, response) => {
      log.push(`${request.method} ${request.url}`);
      if (extraRoutes(request, response)) return;

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
        requests.push(enrol);
        issueLeaf({
          caCertPem: ca.certPem,
          caKeyPem: ca.keyPem,
          csrPem: enrol.agentCsrPem,
          commonName: enrol.hostName ?? "node-1",
          dnsNames: [enrol.hostName ?? "node-1"],
          lifetimeDays: 30,
          usage: "agent",
        }).then(
          (leaf) =>
            reply(200, {
              hostId: "host-1",
              hostName: enrol.hostName ?? "node-1",
              agentCertPem: leaf.certPem,
              gatewayCaPem: ca.certPem,
            }),
          (error: Error) => reply(400, { error: error.message }),
        );
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}`,
    caPem: ca.certPem,
    caHash: spkiHash(ca.certPem),
    requests,
    log,
    setExtraRoutes: (handler) => {
      extraRoutes = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
