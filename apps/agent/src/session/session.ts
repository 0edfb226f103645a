// The agent's WebSocket session with the gateway: mutual TLS with the enrolled client
// certificate, the gateway CA pinned, hello then bundles/acks, heartbeats, CSRs.
// Disconnects only schedule a reconnect: stunnel and the rules keep running untouched.
import {
  AGENT_SESSION_PATH,
  type AgentMessage,
  encodeMessage,
  type GatewayMessage,
  type Health,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  parseGatewayMessage,
} from "@tunnelfleet/protocol";
import WebSocket from "ws";
import type { AgentBundle, Applier } from "../apply/applier";
import type { AgentIdentity } from "../identity/identity";
import type { Logger } from "../log";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "./backoff";

export interface SessionFacts {
  agentVersion: string;
  stunnelVersion: string;
  opensslVersion: string;
  netfilterBackend: "nft" | "legacy" | "unknown";
}

export interface SessionOptions {
  identity: AgentIdentity;
  applier: Applier;
  facts: () => Promise<SessionFacts>;
  health: () => Promise<Health>;
  /** Generates a new tunnel key and returns the CSR for it. */
  createTunnelCsr: () => Promise<string>;
  logger: Logger;
  heartbeatMs?: number;
  backoff?: BackoffPolicy;
}

export class AgentSession {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SessionOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    this.socket?.close(1001, "agent stopping");
  }

  /** Sends a CSR for a new tunnel key; used for renewal at 2/3 of the leaf's lifetime. */
  async sendTunnelCsr(requestId: string): Promise<void> {
    const csrPem = await this.options.createTunnelCsr();
    this.send({ type: "csr", purpose: "tunnel", csrPem, requestId });
  }

  private connect(): void {
    const { identity, logger } = this.options;
    const url = new URL(AGENT_SESSION_PATH, identity.server.replace(/^https:/, "wss:"));
    const socket = new WebSocket(url, {
      cert: identity.certPem,
      key: identity.keyPem,
      ca: identity.gatewayCaPem,
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 15_000,
    });
    this.socket = socket;

    socket.on("open", () => {
      logger.info({ server: url.origin, hostId: identity.hostId }, "session open");
      this.sendHello().catch((error: Error) => logger.error({ err: error.message }, "sending hello failed"));
    });
    socket.on("message", (data: WebSocket.RawData) => {
      const parsed = parseGatewayMessage(data as Buffer);
      if (!parsed.ok) {
        logger.error(
          { reason: parsed.error.reason, err: parsed.error.message },
          "invalid gateway message; closing",
        );
        socket.close(1008, parsed.error.reason);
        return;
      }
      this.handle(parsed.message).catch((error: Error) =>
        logger.error({ type: parsed.message.type, err: error.message }, "handling gateway message failed"),
      );
    });
    socket.on("error", (error) => logger.warn({ err: error.message }, "session error"));
    socket.on("close", (code, reason) => {
      clearInterval(this.heartbeatTimer);
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt, this.options.backoff ?? DEFAULT_BACKOFF);
      this.attempt += 1;
      logger.warn(
        { code, reason: reason.toString(), retryInMs: delay, attempt: this.attempt },
        "session closed; reconnecting",
      );
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }

  private async sendHello(): Promise<void> {
    const facts = await this.options.facts();
    const state = await this.options.applier.appliedState();
    this.send({
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: facts.agentVersion,
      stunnelVersion: facts.stunnelVersion,
      opensslVersion: facts.opensslVersion,
      netfilterBackend: facts.netfilterBackend,
      appliedGeneration: state?.generation ?? 0,
      appliedBundleHash: state?.bundleHash ?? null,
    });
  }

  private async handle(message: GatewayMessage): Promise<void> {
    const { logger } = this.options;
    switch (message.type) {
      case "welcome":
        this.attempt = 0;
        logger.info({ hostId: message.hostId, serverVersion: message.serverVersion }, "welcomed by gateway");
        this.startHeartbeats();
        return;
      case "bundle": {
        const { type: _type, ...bundle } = message;
        await this.applyAndAck(bundle);
        return;
      }
      case "csrRequest":
        logger.info(
          { requestId: message.requestId, reason: message.reason },
          "gateway requested a tunnel CSR",
        );
        await this.sendTunnelCsr(message.requestId);
        return;
      case "error":
        logger.error({ code: message.code, err: message.message }, "gateway reported an error");
        return;
    }
  }

  private async applyAndAck(bundle: AgentBundle): Promise<void> {
    const state = await this.options.applier.appliedState();
    if (state?.bundleHash === bundle.bundleHash && state.generation === bundle.generation) {
      this.send({
        type: "ack",
        generation: bundle.generation,
        bundleHash: bundle.bundleHash,
        ok: true,
        durationMs: 0,
      });
      return;
    }
    const result = await this.options.applier.apply(bundle);
    this.send({
      type: "ack",
      generation: result.generation,
      bundleHash: result.bundleHash,
      ok: result.ok,
      durationMs: result.durationMs,
      ...(result.error ? { error: result.error.slice(0, 4096) } : {}),
    });
  }

  /** Sends a heartbeat now, e.g. after the drift check repaired something. Does nothing while disconnected. */
  sendHeartbeat(): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.options
      .health()
      .then((health) => this.send({ type: "heartbeat", health }))
      .catch((error: Error) => this.options.logger.error({ err: error.message }, "collecting health failed"));
  }

  private startHeartbeats(): void {
    clearInterval(this.heartbeatTimer);
    this.sendHeartbeat();
    this.heartbeatTimer = setInterval(() => this.sendHeartbeat(), this.options.heartbeatMs ?? 30_000);
    this.heartbeatTimer.unref();
  }

  private send(message: AgentMessage): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(encodeMessage(message));
  }
}
