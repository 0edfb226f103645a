// The control plane of the install system test, run inside its own network namespace:
// the real console server (embedded PostgreSQL, no UI) with its gateway on
// <address>:8443 serving the distribution routes, and one join token. Prints JSON lines on
// stdout: {"ready": …} once listening, then {"connected": …} when an agent's session
// reaches the database. Stops on SIGTERM.
//
// Usage: node --import tsx control-plane.ts <dataDir> <address> <artefactPath>
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";
import pino from "pino";
import { loadAgentArtefact } from "../../../src/distribution/artefact";
import { createDistributionHandler } from "../../../src/distribution/handler";
import { SYSTEM_ACTOR } from "../../../src/server/services/context";
import { gatewayCaHash } from "../../../src/server/services/gateway-pki";
import { createJoinToken } from "../../../src/server/services/join-tokens";
import { SERVER_VERSION, startServer } from "../../../src/server/start";

const [dataDir, address, artefactPath] = process.argv.slice(2);
if (!dataDir || !address || !artefactPath) {
  console.error("usage: control-plane.ts <dataDir> <address> <artefactPath>");
  process.exit(2);
}
const gatewayUrl = `https://${address}:8443`;
const artefact = await loadAgentArtefact({ path: artefactPath, serverVersion: SERVER_VERSION });

// The test serves the artefact it built itself, not the server's default one, so this
// wraps the request listener of the one HTTPS server the process creates (the gateway's)
// and answers the distribution routes before the gateway's own handler sees them.
// NOTE: startServer has no option to choose the artefact path; one would replace this.
const createHttpsServer = https.createServer;
https.createServer = ((options: https.ServerOptions, listener?: unknown) => {
  const server = createHttpsServer(options, listener as Parameters<typeof createHttpsServer>[1]);
  const distribution = createDistributionHandler({
    artefact,
    serverUrl: gatewayUrl,
    caPem: String(options.ca),
  });
  const on = server.on.bind(server);
  server.on = ((event: string, handler: (...args: unknown[]) => void) => {
    if (event !== "request") return on(event, handler);
    return on("request", (request, response) => {
      if (!distribution(request, response)) handler(request, response);
    });
  }) as typeof server.on;
  return server;
}) as typeof https.createServer;
syncBuiltinESMExports();

const logger = pino({ level: process.env.TUNNELFLEET_TEST_LOG ?? "error" }, pino.destination(2));
const server = await startServer({
  dataDir,
  host: "127.0.0.1",
  port: 0,
  next: false,
  gateway: { host: address, port: 8443 },
  gatewayUrl,
  logger,
});
const token = await createJoinToken(server.services, SYSTEM_ACTOR, { hostName: "node-1" });
const caHash = await gatewayCaHash(server.services.prisma);
process.stdout.write(
  `${JSON.stringify({ ready: { gatewayUrl, token: token.secret, caHash, installCommand: token.installCommand } })}\n`,
);

// Reports the first connected agent; the test waits for this line.
const poll = setInterval(() => {
  server.services.prisma.observedState
    .findFirst({ where: { connected: true }, include: { host: { select: { name: true } } } })
    .then((state) => {
      if (!state) return;
      clearInterval(poll);
      process.stdout.write(
        `${JSON.stringify({ connected: { hostId: state.hostId, hostName: state.host.name, agentVersion: state.agentVersion } })}\n`,
      );
    })
    .catch((error: unknown) => logger.error({ err: error }, "polling observed state failed"));
}, 500);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(poll);
  await server.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
