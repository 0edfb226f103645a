// startServer: the console's one process. It opens and migrates the database, loads the
// master key, creates the gateway CA on first start and the first admin when a password
// is given. Then it serves /healthz, /metrics, tRPC at /api/trpc and REST at /api/v1,
// and optionally the Next.js UI and the agent gateway.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { type Database, openDatabase } from "@tunnelfleet/db";
import { validateAddress, validateHostName } from "@tunnelfleet/mesh";
import pino, { type Logger } from "pino";
import type { AppServices } from "./app-services";
import { LoginRateLimiter } from "./auth/rate-limit";
import { ConfigError } from "./config";
import { serveHealth } from "./http/health";
import { createServerMetrics } from "./http/metrics";
import { createRestHandler, openApiDocument, REST_PREFIX } from "./http/rest";
import { loadMasterKey } from "./master-key";
import { ConflictError, InputError } from "./services/errors";
import { ensureGatewayAuthority, issueGatewayServerCertificate } from "./services/gateway-pki";
import { countUsers, setupFirstAdmin } from "./services/users";
import { createRequestContext } from "./trpc/init";
import { appRouter } from "./trpc/router";

/** Folder of the console app (where next.config.ts and .next live). */
export const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface StartServerOptions {
  /** PostgreSQL URL. When absent, an embedded server runs in `dataDir`. */
  databaseUrl?: string;
  /** Data directory for the embedded database and master.key. Default ./.tunnelfleet. */
  dataDir?: string;
  /** Listen address of the console. Default 127.0.0.1; port 0 picks a free port. */
  host?: string;
  port?: number;
  /** Seals CA keys. Default: TUNNELFLEET_MASTER_KEY text, else `<dataDir>/master.key`. */
  masterKey?: Buffer;
  masterKeyText?: string;
  /** Creates the user `admin` with this password when no user exists. */
  adminPassword?: string;
  /** URL agents reach the gateway at, printed in join commands. */
  gatewayUrl?: string;
  /** Serve the Next.js UI: after `next build` ("production"), in dev mode, or not at all (default). */
  next?: "production" | "development" | false;
  /**
   * Start the agent gateway on this address (port 0 picks one), or not at all (default).
   * The gateway lives in src/gateway; startServer hands it the services below.
   */
  gateway?: { host?: string; port?: number } | false;
  /** Failed logins allowed per username and address within the window. Default 10 per 15 min. */
  loginRateLimit?: { maxFailures: number; windowMs: number };
  logger?: Logger;
}

export interface RunningServer {
  /** Base URL of the console, such as http://127.0.0.1:3000. */
  url: string;
  port: number;
  /** Port of the agent gateway, when it was started. */
  gatewayPort: number | null;
  /** Database connection URL (contains the password). */
  databaseUrl: string;
  services: AppServices;
  /** Stops the gateway and the HTTP server, then the database (and its embedded server). */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return hostname();
  return host.includes(":") ? `[${host}]` : host;
}

/** Names for the gateway's server certificate: the gateway URL's host, this machine and loopback. */
function gatewayNames(gatewayUrl: string): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = new Set<string>(["localhost"]);
  const ipAddresses = new Set<string>(["127.0.0.1", "::1"]);
  const urlHostname = new URL(gatewayUrl).hostname.replace(/^\[|\]$/g, "");
  for (const candidate of [urlHostname, hostname()]) {
    if (validateAddress("host", candidate).ok) ipAddresses.add(candidate);
    else if (!validateHostName("host", candidate)) dnsNames.add(candidate.toLowerCase());
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

/** Route group of a path, for metrics labels (bounded cardinality). */
function routeGroup(path: string): string {
  if (path === "/healthz" || path === "/metrics") return path;
  if (path.startsWith("/api/trpc")) return "trpc";
  if (path.startsWith(REST_PREFIX)) return "rest";
  return "ui";
}

export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ name: "tunnelfleet" });
  const dataDir = options.dataDir ?? ".tunnelfleet";
  const host = options.host ?? "127.0.0.1";
  const gatewayUrl = options.gatewayUrl ?? `https://${hostname()}:8443`;

  const database: Database = await openDatabase({ databaseUrl: options.databaseUrl, dataDir, log: logger });
  const cleanups: (() => Promise<void>)[] = [() => database.stop()];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, "shutdown step failed"));
    }
  };

  try {
    let masterKey = options.masterKey;
    if (!masterKey) {
      const loaded = await loadMasterKey(options.masterKeyText, dataDir);
      if (loaded.source === "generated")
        logger.info({ dataDir }, "generated a new master key in the data directory");
      masterKey = loaded.key;
    }

    const services: AppServices = {
      prisma: database.prisma,
      masterKey,
      logger,
      gatewayUrl,
      loginLimiter: new LoginRateLimiter(
        options.loginRateLimit ?? { maxFailures: 10, windowMs: 15 * 60 * 1000 },
      ),
      // NOTE: the console itself serves plain HTTP, so the session cookie is never marked
      // Secure, even when a TLS proxy sits in front of it.
      secureCookies: false,
    };

    const gatewayCa = await ensureGatewayAuthority(services);
    if (gatewayCa.created)
      logger.info({ caId: gatewayCa.id, spkiHash: gatewayCa.spkiHash }, "created the gateway CA");
    await bootstrapAdmin(services, options.adminPassword);

    const metrics = createServerMetrics(database.prisma);
    const trpcHandler = createHTTPHandler({
      router: appRouter,
      basePath: "/api/trpc/",
      createContext: ({ req, res }) => createRequestContext(services, req, res),
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR")
          logger.error({ err: error.cause ?? error, path }, "tRPC request failed");
      },
      maxBodySize: 1024 * 1024,
    });
    const restHandler = createRestHandler(services);

    const server: Server = createServer();
    const nextHandler = options.next
      ? await prepareNext(options.next, host, options.port ?? 3000, server)
      : null;

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? "/").split("?")[0]!;
      const group = routeGroup(path);
      const stopTimer = metrics.duration.startTimer({ route: group });
      res.on("finish", () => {
        stopTimer();
        metrics.requests.inc({ route: group, method: req.method ?? "GET", status: String(res.statusCode) });
      });

      if (path === "/healthz") return serveHealth(database.prisma, logger, res);
      if (path === "/metrics") {
        res.setHeader("content-type", metrics.contentType);
        return void res.end(await metrics.render());
      }
      if (path === "/api/trpc" || path.startsWith("/api/trpc/")) return trpcHandler(req, res);
      if (path === `${REST_PREFIX}/openapi.json`) {
        res.setHeader("content-type", "application/json");
        return void res.end(JSON.stringify(openApiDocument(`${publicUrl()}${REST_PREFIX}`)));
      }
      if (path === REST_PREFIX || path.startsWith(`${REST_PREFIX}/`)) return restHandler(req, res);
      if (nextHandler) return nextHandler(req, res);

      res.statusCode = 404;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ error: `no route for ${path}`, code: "NOT_FOUND", issues: [] }));
    };
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      handle(req, res).catch((error: unknown) => {
        logger.error({ err: error, url: req.url }, "request failed");
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    });

    await new Promise<void>((resolveListen, rejectListen) => {
      server.once("error", rejectListen);
      server.listen(options.port ?? 3000, host, () => {
        server.off("error", rejectListen);
        resolveListen();
      });
    });
    cleanups.push(
      () =>
        new Promise<void>((resolveClose) => {
          server.close(() => resolveClose());
          server.closeAllConnections();
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const publicUrl = () => `http://${urlHost(host)}:${port}`;
    logger.info({ url: publicUrl(), host, port }, "console listening");

    let gatewayPort: number | null = null;
    if (options.gateway) {
      gatewayPort = await startGatewayHook(services, database.url, options.gateway, cleanups);
      logger.info(
        { port: gatewayPort, gatewayUrl },
        "agent gateway started: join commands name the gateway URL",
      );
    }

    if ((await countUsers(database.prisma)) === 0) {
      logger.info(
        { url: `${publicUrl()}/setup` },
        `first run: open ${publicUrl()}/setup to create the first admin`,
      );
    }

    return {
      url: publicUrl(),
      port,
      gatewayPort,
      databaseUrl: database.url,
      services,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Creates `admin` with the given password when no user exists yet; a concurrent setup wins quietly. */
async function bootstrapAdmin(services: AppServices, password: string | undefined): Promise<void> {
  if (!password || (await countUsers(services.prisma)) > 0) return;
  try {
    const user = await setupFirstAdmin(services, { username: "admin", password });
    services.logger.info(
      { userId: user.id, username: user.username },
      "created the first admin from TUNNELFLEET_ADMIN_PASSWORD",
    );
  } catch (error) {
    if (error instanceof InputError) {
      throw new ConfigError(
        `TUNNELFLEET_ADMIN_PASSWORD is invalid: ${error.issues[0]?.message ?? error.message}`,
      );
    }
    if (!(error instanceof ConflictError)) throw error;
  }
}

async function prepareNext(
  mode: "production" | "development",
  host: string,
  port: number,
  httpServer: Server,
): Promise<(req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  // Next.js sends usage telemetry to its vendor unless this variable is set, and a
  // control plane must not send data out on its own.
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";
  const { default: next } = await import("next");
  const app = next({ dev: mode === "development", dir: CONSOLE_DIR, hostname: host, port, httpServer });
  await app.prepare();
  const handler = app.getRequestHandler();
  return (req, res) => handler(req, res);
}

// ---- Gateway hook ---------------------------------------------------------------------
// The agent gateway (src/gateway, owned separately) is started here with the gateway
// server certificate issued from the gateway CA and the services it calls.
async function startGatewayHook(
  services: AppServices,
  databaseUrl: string,
  listen: { host?: string; port?: number },
  cleanups: (() => Promise<void>)[],
): Promise<number> {
  const { startGateway } = await import("../gateway");
  const { createGatewayServices } = await import("../gateway/services");
  const tls = await issueGatewayServerCertificate(services, gatewayNames(services.gatewayUrl));
  const distribution = await distributionRoutes(services, tls.caCertPem);
  const gateway = await startGateway({
    prisma: services.prisma,
    databaseUrl,
    listen,
    tlsMaterial: { certPem: tls.certPem, keyPem: tls.keyPem, caPem: tls.caCertPem },
    log: services.logger.child({ component: "gateway" }),
    services: createGatewayServices(services),
    serverVersion: SERVER_VERSION,
    extraRoutes: distribution,
  });
  cleanups.push(() => gateway.close());
  return gateway.port;
}

/**
 * Loads the agent artefact (building it when missing) and returns the handler of the
 * download and install routes. A failed load is logged and leaves those routes out, so
 * the gateway still serves agents that are installed already.
 */
async function distributionRoutes(
  services: AppServices,
  caPem: string,
): Promise<((request: IncomingMessage, response: ServerResponse) => boolean) | undefined> {
  const { createDistributionHandler, loadAgentArtefact } = await import("../distribution");
  try {
    const artefact = await loadAgentArtefact({ serverVersion: SERVER_VERSION });
    services.logger.info(
      { version: artefact.manifest.version, sha256: artefact.manifest.sha256, size: artefact.manifest.size },
      "serving the agent artefact and install script on the gateway",
    );
    return createDistributionHandler({ artefact, serverUrl: services.gatewayUrl, caPem });
  } catch (error) {
    services.logger.warn(
      { err: error },
      "agent artefact unavailable: the one-line install will not work until npm run build:agent succeeds",
    );
    return undefined;
  }
}

/** Version of this control plane, reported to agents. */
export const SERVER_VERSION = "0.1.0";
