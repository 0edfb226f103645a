// Runs the real console server for the browser tests, as a child process of the
// Playwright global setup: production Next.js UI, tRPC, REST and the agent gateway, with
// an embedded PostgreSQL in the given data directory. Prints one JSON line with the URLs
// once listening, and stops everything on SIGTERM or SIGINT.
//
// Usage: node --import tsx e2e/support/run-server.ts <dataDir> <gatewayPort | off>
import { startServer } from "../../apps/console/src/server/start";

const [dataDir, gatewayPortText] = process.argv.slice(2);
if (!dataDir || !gatewayPortText) {
  console.error("usage: run-server.ts <dataDir> <gatewayPort | off>");
  process.exit(2);
}
const gatewayPort = gatewayPortText === "off" ? null : Number(gatewayPortText);

const server = await startServer({
  dataDir,
  host: "127.0.0.1",
  port: 0,
  // E2E_NEXT_MODE=development runs Next in dev mode, whose React warnings production hides.
  next: process.env.E2E_NEXT_MODE === "development" ? "development" : "production",
  gateway: gatewayPort === null ? false : { host: "127.0.0.1", port: gatewayPort },
  gatewayUrl: `https://127.0.0.1:${gatewayPort ?? 8443}`,
});
process.stdout.write(
  `${JSON.stringify({ ready: true, url: server.url, gatewayPort: server.gatewayPort })}\n`,
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
