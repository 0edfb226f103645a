// Entry point of the console process: reads the environment (see src/server/config.ts),
// starts the server and stops it cleanly on SIGINT or SIGTERM.
//   node --import tsx server.ts
import pino from "pino";
import { ConfigError, loadConfig } from "./src/server/config";
import { MasterKeyError } from "./src/server/master-key";
import { startServer } from "./src/server/start";

const logger = pino({ name: "tunnelfleet" });

async function main(): Promise<void> {
  const config = loadConfig();
  const mode = process.env.NODE_ENV === "development" ? "development" : "production";
  logger.info(
    { mode, dataDir: config.dataDir, embeddedDatabase: !config.databaseUrl },
    "starting the console",
  );

  const running = await startServer({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    host: config.listen.host,
    port: config.listen.port,
    masterKeyText: config.masterKeyText,
    adminPassword: config.adminPassword,
    gatewayUrl: config.gatewayUrl,
    next: process.env.TUNNELFLEET_UI === "off" ? false : mode,
    gateway: config.gatewayListen ?? false,
    logger,
  });
  logger.info({ url: running.url }, `console ready at ${running.url}`);
  const setupRequired = (await running.services.prisma.user.count()) === 0;
  printSummary(running.url, running.gatewayPort === null ? null : config.gatewayUrl, setupRequired);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    running.close().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/**
 * Prints the few lines a person starting the server needs, in plain text on stderr, so
 * they are not lost among the JSON log lines on stdout.
 */
function printSummary(consoleUrl: string, gatewayUrl: string | null, setupRequired: boolean): void {
  const lines = ["", "Tunnelfleet is running.", `  console:   ${consoleUrl}`];
  if (gatewayUrl) {
    lines.push(`  gateway:   ${gatewayUrl}  (nodes must reach this URL; set TUNNELFLEET_GATEWAY_URL if not)`);
  }
  if (setupRequired) lines.push(`  first run: open ${consoleUrl}/setup to create the first admin`);
  lines.push("  stop:      Ctrl-C", "");
  process.stderr.write(lines.join("\n"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof MasterKeyError) {
    logger.error(error.message);
  } else {
    logger.error({ err: error }, "the console failed to start");
  }
  process.exit(1);
});
