// The demo's control plane, run inside its own network namespace with `node --import tsx`:
// the real console server (production UI, tRPC, REST) on 127.0.0.1 of that namespace,
// the agent gateway on the namespace's bridge address, and an embedded PostgreSQL.
// The console is also served on a Unix socket, which the demo forwards to 127.0.0.1 in
// the root namespace. A socket file crosses network namespaces. So the root namespace
// needs no address, route or rule for the operator's browser to reach the console.
//
// Usage: control-plane.ts <gatewayAddress> <dataDir> <consoleSocket>
// The first admin's password comes from TUNNELFLEET_ADMIN_PASSWORD. Prints one JSON
// line {"ready":true,...} when serving, and stops everything on SIGTERM or SIGINT.
import { rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import pino from "pino";
import { startServer } from "../../apps/console/src/server/start";

const GATEWAY_PORT = 8443;

const [gatewayAddress, dataDir, consoleSocket] = process.argv.slice(2);
if (!gatewayAddress || !dataDir || !consoleSocket) {
  console.error("usage: control-plane.ts <gatewayAddress> <dataDir> <consoleSocket>");
  process.exit(2);
}

const server = await startServer({
  dataDir,
  host: "127.0.0.1",
  port: 0,
  next: "production",
  adminPassword: process.env.TUNNELFLEET_ADMIN_PASSWORD,
  gatewayUrl: `https://${gatewayAddress}:${GATEWAY_PORT}`,
  gateway: { host: gatewayAddress, port: GATEWAY_PORT },
  logger: pino({ level: process.env.DEMO_LOG ?? "warn" }, pino.destination(2)),
});

// Each connection on the socket is piped to the console's TCP port, bytes unchanged, so
// the browser's Host and Origin headers arrive as it sent them.
rmSync(consoleSocket, { force: true });
const forwarder = createServer((incoming) => {
  const outgoing = connect(server.port, "127.0.0.1");
  incoming.pipe(outgoing).pipe(incoming);
  incoming.on("error", () => outgoing.destroy());
  outgoing.on("error", () => incoming.destroy());
});
await new Promise<void>((resolve, reject) => {
  forwarder.once("error", reject);
  forwarder.listen(consoleSocket, () => resolve());
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  forwarder.close();
  await server.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());

process.stdout.write(
  `${JSON.stringify({ ready: true, gatewayUrl: `https://${gatewayAddress}:${GATEWAY_PORT}`, gatewayPort: server.gatewayPort })}\n`,
);
