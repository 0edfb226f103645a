// The agent gateway: one HTTPS listener serving enrolment (POST /v1/enrol), the gateway
// CA (GET /v1/ca) and the agents' WebSocket sessions (/v1/agent, mutual TLS). Pushes
// bundles when the changes channel names a host with a session in this process.

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import {
  AGENT_SESSION_PATH,
  CLOSE_CODES,
  DEFAULT_GATEWAY_PORT,
  ENROL_PATH,
  GATEWAY_CA_PATH,
  type Health,
  MAX_FRAME_BYTES,
} from "@tunnelfleet/protocol";
import { WebSocketServer } from "ws";
import { writeAuditEvent } from "../server/services/change";
import { authenticateAgent, findActiveAgentCertificate } from "./auth";
import { createPgChangeFeed } from "./change-feed";
import { EnrolError, enrolHost, parseEnrolRequest } from "./enrol";
import { gatewayMetrics } from "./metrics";
import { type PreparedPush, PushScheduler } from "./push";
import { SessionRegistry } from "./registry";
import { AgentSession, type SessionHost } from "./session";
import type { GatewayOptions, HostBundle, RunningGateway } from "./types";

const MAX_ENROL_BODY_BYTES = 256 * 1024;
/** Serials per authorisation query. */
const AUTH_CHECK_CHUNK = 1000;
/** Minimum time between two authorisation sweeps over all sessions, in ms. */
const AUTH_SWEEP_MIN_INTERVAL_MS = 1000;
/** Maximum interval between two checks for late hellos, in ms. */
const HELLO_CHECK_INTERVAL_MS = 1000;

/** Starts the gateway and resolves once it listens and receives change notifications. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { prisma, log, services } = options;
  const heartbeatWriteIntervalMs = options.heartbeatWriteIntervalMs ?? 15_000;
  const helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
  const registry = new SessionRegistry();
  const lastHealthWrite = new Map<string, number>();

  const sessionHost: SessionHost = {
    serverVersion: options.serverVersion,
    log,
    buildHostBundle: (hostId): Promise<HostBundle> => services.buildHostBundle(hostId),
    tunnelLeafNeed: (hostId) => services.tunnelLeafNeed(hostId, new Date()),
    issueTunnelLeaf: (hostId, csrPem) => services.issueTunnelLeaf(hostId, csrPem),

    async recordHello(session, hello) {
      const fields = {
        agentVersion: hello.agentVersion,
        stunnelVersion: hello.stunnelVersion,
        opensslVersion: hello.opensslVersion,
        netfilterBackend: hello.netfilterBackend,
        connected: true,
        lastSeenAt: new Date(),
        sourceAddress: session.sourceAddress,
      };
      await prisma.observedState.upsert({
        where: { hostId: session.hostId },
        create: { hostId: session.hostId, ...fields },
        update: fields,
      });
    },

    async recordAck(session, ack) {
      const applied = ack.ok ? { generation: ack.generation, bundleHash: ack.bundleHash } : {};
      const fields = {
        ...applied,
        appliedAt: new Date(),
        applyOk: ack.ok,
        applyError: ack.ok ? null : (ack.error ?? "apply failed without a message"),
        applyDurationMs: ack.durationMs,
        lastSeenAt: new Date(),
      };
      await prisma.observedState.upsert({
        where: { hostId: session.hostId },
        create: { hostId: session.hostId, connected: true, ...fields },
        update: fields,
      });
    },

    async recordHealth(session, health: Health) {
      // Heartbeats are throttled per host: one write per interval at most; the ones in
      // between are dropped, since each carries the full current health.
      const now = Date.now();
      const last = lastHealthWrite.get(session.hostId) ?? 0;
      if (now - last < heartbeatWriteIntervalMs) return;
      lastHealthWrite.set(session.hostId, now);
      await prisma.observedState.update({
        where: { hostId: session.hostId },
        data: { health, lastSeenAt: new Date(), connected: true },
      });
    },

    async isAuthorized(session) {
      const active = await findActiveAgentCertificate(prisma, [session.identity.serial]);
      return active.get(session.identity.serial)?.hostId === session.hostId;
    },

    async sessionReady(session) {
      const previous = registry.add(session);
      gatewayMetrics.connectedAgents.set(registry.size);
      scheduler.enqueue([session.hostId], "sync");
      if (!previous) return;

      // Newer wins: a legitimate agent reconnecting before its old TCP connection timed
      // out looks the same as a clone, and must not be locked out. A real clone shows as
      // repeated replacements in the audit log, each with both source addresses.
      log.warn(
        {
          hostId: session.hostId,
          sessionId: session.sessionId,
          previousSessionId: previous.sessionId,
          sourceAddress: session.sourceAddress,
          previousSourceAddress: previous.sourceAddress,
        },
        "second session for the same agent identity; closing the older one",
      );
      previous.fail(
        "replaced-by-newer-session",
        "another session authenticated with this agent's certificate; if that was not this agent, its key was copied: revoke the host",
        CLOSE_CODES.replaced,
      );
      await prisma.$transaction(async (tx) => {
        await writeAuditEvent(
          tx,
          {
            type: "agent",
            id: session.hostId,
            name: session.identity.hostName,
            role: null,
            userId: null,
            sourceAddress: session.sourceAddress,
          },
          {
            action: "agent.session.duplicate",
            targetType: "host",
            targetId: session.hostId,
            before: { sessionId: previous.sessionId, sourceAddress: previous.sourceAddress },
            after: {
              sessionId: session.sessionId,
              sourceAddress: session.sourceAddress,
              certificateSerial: session.identity.serial,
            },
          },
        );
      });
    },

    sessionClosed(session, reason) {
      gatewayMetrics.sessionsClosed.inc({ reason });
      const wasCurrent = registry.remove(session);
      gatewayMetrics.connectedAgents.set(registry.size);
      log.info({ hostId: session.hostId, sessionId: session.sessionId, reason }, "agent session closed");
      if (!wasCurrent || !session.hello) return;

      lastHealthWrite.delete(session.hostId);
      // NOTE: with several replicas, a host that already reconnected elsewhere can be
      // marked disconnected here for a moment; its next heartbeat sets it back.
      prisma.observedState
        .updateMany({ where: { hostId: session.hostId }, data: { connected: false, lastSeenAt: new Date() } })
        .catch((error: unknown) =>
          log.warn({ err: error, hostId: session.hostId }, "recording disconnect failed"),
        );
    },
  };

  /** Closes the sessions among `hostIds` whose agent certificate is no longer active. */
  async function closeUnauthorized(hostIds: string[]): Promise<void> {
    const sessions = hostIds.map((id) => registry.get(id)).filter((s): s is AgentSession => !!s);
    for (let start = 0; start < sessions.length; start += AUTH_CHECK_CHUNK) {
      const chunk = sessions.slice(start, start + AUTH_CHECK_CHUNK);
      const active = await findActiveAgentCertificate(
        prisma,
        chunk.map((s) => s.identity.serial),
      );
      for (const session of chunk) {
        const identity = active.get(session.identity.serial);
        if (identity && identity.hostId === session.hostId) continue;
        session.fail(
          "unauthorized",
          "this agent's certificate was revoked or its host was deleted; enrol again with a new join token",
          CLOSE_CODES.unauthorized,
        );
      }
    }
  }

  const scheduler = new PushScheduler(
    {
      localHostIds: () => registry.all().map((session) => session.hostId),
      closeUnauthorized,
      prepare: async (batch) => {
        const live = batch.filter(([id]) => registry.get(id)?.hello);
        const liveIds = live.map(([id]) => id);
        const syncIds = live.filter(([, kind]) => kind === "sync").map(([id]) => id);
        const bundles =
          services.buildHostBundles && syncIds.length > 0 ? await services.buildHostBundles(syncIds) : null;
        const needs =
          services.tunnelLeafNeeds && liveIds.length > 0
            ? await services.tunnelLeafNeeds(liveIds, new Date())
            : null;
        const prepared = new Map<string, PreparedPush>();
        for (const id of liveIds) prepared.set(id, { bundle: bundles?.get(id), leafNeed: needs?.get(id) });
        return prepared;
      },
      syncHost: async (hostId, kind, prepared) => {
        const session = registry.get(hostId);
        if (!session) return;
        if (kind === "sync") await session.sync(prepared);
        else await session.checkLeaf(prepared?.leafNeed);
      },
    },
    options.pushConcurrency ?? 8,
    log,
  );

  // A deleted host or revoked certificate may not be named in the notification (a
  // deleted host has no generation left to bump), so every notification also schedules a
  // check of all local sessions, at most one per AUTH_SWEEP_MIN_INTERVAL_MS.
  let authSweepTimer: NodeJS.Timeout | null = null;
  let lastAuthSweep = 0;
  function scheduleAuthSweep(): void {
    if (authSweepTimer) return;
    const wait = Math.max(0, lastAuthSweep + AUTH_SWEEP_MIN_INTERVAL_MS - Date.now());
    authSweepTimer = setTimeout(() => {
      authSweepTimer = null;
      lastAuthSweep = Date.now();
      closeUnauthorized(registry.all().map((session) => session.hostId)).catch((error: unknown) =>
        log.error({ err: error }, "agent authorisation sweep failed"),
      );
    }, wait);
    authSweepTimer.unref();
  }

  // No per-message compression: its zlib contexts cost tens of KiB per idle session.
  // NOTE: an idle session still costs about 80 KiB of resident memory (benchmark at
  // 1,000 and 5,000 agents), nearly all native TLS state, over the 64 KiB budget.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const server = createServer({
    cert: options.tlsMaterial.certPem,
    key: options.tlsMaterial.keyPem,
    ca: options.tlsMaterial.caPem,
    requestCert: true,
    // Enrolment and /v1/ca are reached without a client certificate, so the TLS layer
    // lets every client in and the upgrade handler rejects unauthorised agents.
    rejectUnauthorized: false,
    minVersion: "TLSv1.2",
  });

  server.on("request", (request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      log.error({ err: error, path: request.url }, "gateway request failed");
      sendJson(response, 500, { error: "internal error; see the control plane log" });
    });
  });
  server.on("upgrade", (request, socket, head) => {
    handleUpgrade(request, socket, head).catch((error: unknown) => {
      log.error({ err: error }, "agent upgrade failed");
      rejectUpgrade(socket, 500, "internal error");
    });
  });
  server.on("tlsClientError", (error, socket) => {
    log.debug({ err: error, sourceAddress: socket.remoteAddress }, "TLS handshake failed");
  });
  server.on("clientError", (error, socket) => {
    log.debug({ err: error }, "HTTP client error");
    socket.destroy();
  });

  async function handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (options.extraRoutes?.(request, response)) return;
    const path = (request.url ?? "").split("?")[0];

    if (path === GATEWAY_CA_PATH && request.method === "GET") {
      sendJson(response, 200, { caPem: options.tlsMaterial.caPem });
      return;
    }

    if (path === ENROL_PATH && request.method === "POST") {
      await handleEnrol(request, response);
      return;
    }

    sendJson(response, 404, { error: `no route for ${request.method} ${path}` });
  }

  async function handleEnrol(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const sourceAddress = request.socket.remoteAddress ?? null;
    try {
      const body = await readBody(request, MAX_ENROL_BODY_BYTES);
      const enrolRequest = parseEnrolRequest(body);
      const result = await enrolHost(
        { prisma, services, log, gatewayCaPem: options.tlsMaterial.caPem },
        enrolRequest,
        sourceAddress,
      );
      gatewayMetrics.enrolments.inc({ result: "ok" });
      log.info({ hostId: result.hostId, hostName: result.hostName, sourceAddress }, "host enrolled");
      sendJson(response, 200, result);
    } catch (error) {
      if (!(error instanceof EnrolError)) throw error;
      gatewayMetrics.enrolments.inc({ result: String(error.status) });
      log.warn({ status: error.status, detail: error.message, sourceAddress }, "enrolment rejected");
      sendJson(response, error.status, { error: error.message });
    }
  }

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (request.url ?? "").split("?")[0];
    if (path !== AGENT_SESSION_PATH) {
      rejectUpgrade(socket, 404, "not found");
      return;
    }

    const tlsSocket = request.socket as TLSSocket;
    const auth = await authenticateAgent(prisma, tlsSocket);
    if (!auth.ok) {
      log.warn({ reason: auth.reason, sourceAddress: tlsSocket.remoteAddress }, "agent rejected at upgrade");
      gatewayMetrics.sessionsClosed.inc({ reason: "unauthorized" });
      rejectUpgrade(socket, auth.status, auth.reason);
      return;
    }

    wss.handleUpgrade(request, socket, head, (ws) => {
      awaitingHello.add(
        new AgentSession(ws, auth.identity, tlsSocket.remoteAddress ?? null, sessionHost, helloTimeoutMs),
      );
    });
  }

  const changeFeed =
    options.changeFeed ?? (options.databaseUrl ? createPgChangeFeed(options.databaseUrl, log) : null);
  if (!changeFeed)
    throw new Error("startGateway needs databaseUrl or changeFeed to receive change notifications");
  const unsubscribe = await changeFeed.subscribe((change) => {
    const ids = change.hostIds.includes("*") ? ["*"] : change.hostIds.filter((id) => registry.get(id));
    if (ids.length > 0) scheduler.enqueue(ids, "sync");
    scheduleAuthSweep();
  });

  // One interval closes the sessions whose hello is late, instead of a timer per session.
  const awaitingHello = new Set<AgentSession>();
  const helloTimer = setInterval(
    () => {
      const now = Date.now();
      for (const session of awaitingHello) {
        session.expireHello(now);
        if (!session.awaitingHello) awaitingHello.delete(session);
      }
    },
    Math.min(helloTimeoutMs, HELLO_CHECK_INTERVAL_MS),
  );
  helloTimer.unref();

  const leafCheckTimer = setInterval(
    () => scheduler.enqueue(["*"], "check"),
    options.leafCheckIntervalMs ?? 60_000,
  );
  leafCheckTimer.unref();
  // Bundles also change without a notification when their CRLs are re-signed for a new
  // period, so every session is rebuilt periodically.
  const resyncTimer = setInterval(
    () => scheduler.enqueue(["*"], "sync"),
    options.resyncIntervalMs ?? 3_600_000,
  );
  resyncTimer.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.listen?.port ?? DEFAULT_GATEWAY_PORT, options.listen?.host ?? "0.0.0.0", () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    clearInterval(helloTimer);
    clearInterval(leafCheckTimer);
    clearInterval(resyncTimer);
    await unsubscribe();
    throw error;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  log.info({ port }, "agent gateway listening");

  return {
    port,
    async close() {
      clearInterval(helloTimer);
      awaitingHello.clear();
      clearInterval(leafCheckTimer);
      clearInterval(resyncTimer);
      if (authSweepTimer) clearTimeout(authSweepTimer);
      scheduler.stop();
      await unsubscribe();
      for (const session of registry.all()) session.end(CLOSE_CODES.goingAway, "shutdown");
      for (const client of wss.clients) client.terminate();
      await closeServer(server);
      log.info({ port }, "agent gateway stopped");
    },
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  const statusText = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
  }[status];
  socket.end(
    `HTTP/1.1 ${status} ${statusText ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new EnrolError(400, `request body exceeds ${maxBytes} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
