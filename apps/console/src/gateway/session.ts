// One agent's WebSocket session: the hello handshake, the bounded bundle send queue,
// acks, heartbeats and CSR exchange. The gateway owns the sessions; a session reports
// everything it needs from the database and the services through SessionHost.

import { randomUUID } from "node:crypto";
import {
  type AgentMessage,
  type Bundle,
  CLOSE_CODES,
  type CsrRequest,
  encodeMessage,
  type GatewayErrorCode,
  type GatewayMessage,
  type Health,
  type Hello,
  isAgentVersionSupported,
  parseAgentMessage,
} from "@tunnelfleet/protocol";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import type { AgentIdentity } from "./auth";
import { gatewayMetrics } from "./metrics";
import type { PreparedPush } from "./push";
import type { HostBundle, LeafNeed } from "./types";

/** Callbacks a session uses to reach the database and the services. */
export interface SessionHost {
  readonly serverVersion: string;
  readonly log: Logger;
  buildHostBundle(hostId: string): Promise<HostBundle>;
  tunnelLeafNeed(hostId: string): Promise<LeafNeed | null>;
  issueTunnelLeaf(hostId: string, csrPem: string): Promise<void>;
  recordHello(session: AgentSession, hello: Hello): Promise<void>;
  recordAck(session: AgentSession, ack: Extract<AgentMessage, { type: "ack" }>): Promise<void>;
  recordHealth(session: AgentSession, health: Health): Promise<void>;
  /** Reports whether the session's agent certificate is still active and its host exists. */
  isAuthorized(session: AgentSession): Promise<boolean>;
  /** Called once after hello was accepted: registers the session and queues its first sync. */
  sessionReady(session: AgentSession): Promise<void>;
  sessionClosed(session: AgentSession, reason: string): void;
}

/** Bundles remembered per session to check acks against; older ones are forgotten. */
const SENT_BUNDLES_KEPT = 16;

export class AgentSession {
  readonly sessionId = randomUUID();
  hello: Hello | null = null;
  closed = false;

  /** Hash the agent has or is about to have: its applied hash, then each bundle sent. */
  private knownBundleHash: string | null = null;
  /** Highest generation queued in this session; an older prebuilt bundle is not sent. */
  private queuedGeneration = 0;
  private readonly sentBundles = new Map<number, string>();
  // Created on first use, like csrIssuing, so an idle session allocates neither.
  private csrRequests: Map<string, LeafNeed> | null = null;
  /** Requests whose CSR is being signed; a second csr for one of them is rejected. */
  private csrIssuing: Set<string> | null = null;
  /** The only queued bundle: a newer one replaces it, because only the latest matters. */
  private queuedBundle: Bundle | null = null;
  private writing = false;
  private syncRunning = false;
  private syncAgain = false;
  /** Time (ms since the epoch) by which hello must arrive; see expireHello. */
  private readonly helloDeadline: number;

  private readonly helloTimeoutMs: number;

  constructor(
    readonly ws: WebSocket,
    readonly identity: AgentIdentity,
    readonly sourceAddress: string | null,
    private readonly host: SessionHost,
    helloTimeoutMs: number,
  ) {
    this.helloDeadline = Date.now() + helloTimeoutMs;
    this.helloTimeoutMs = helloTimeoutMs;

    ws.on("message", (data, isBinary) => {
      this.onFrame(data as Buffer | Buffer[] | ArrayBuffer, isBinary).catch((error: unknown) =>
        this.onHandlerError(error),
      );
    });
    ws.on("error", (error) => {
      // ws emits this for frames over maxPayload and for framing errors, then closes.
      const code = (error as { code?: string }).code;
      const reason = code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? "oversized" : "websocket-error";
      this.log.warn({ err: error, reason }, "agent session error");
      this.markClosed(reason);
    });
    ws.on("close", (code) => {
      this.markClosed(code === CLOSE_CODES.messageTooBig ? "oversized" : "agent-closed");
    });
  }

  get hostId(): string {
    return this.identity.hostId;
  }

  /**
   * A logger bound to the host and session. Made on each use rather than kept: sessions
   * log rarely, and thousands of idle sessions would otherwise each hold a child logger.
   */
  get log(): Logger {
    return this.host.log.child({ hostId: this.identity.hostId, sessionId: this.sessionId });
  }

  /** Whether the session still waits for hello. */
  get awaitingHello(): boolean {
    return !this.closed && this.hello === null;
  }

  /**
   * Closes the session when hello has not arrived by its deadline. The gateway calls it
   * from one shared interval instead of each session keeping a timer.
   */
  expireHello(now: number): void {
    if (!this.awaitingHello || now < this.helloDeadline) return;
    this.fail("hello-required", `no hello within ${this.helloTimeoutMs} ms`, CLOSE_CODES.protocolError);
  }

  /** Sends an error message, then closes the session. Other sessions are unaffected. */
  fail(code: GatewayErrorCode, message: string, closeCode: number = CLOSE_CODES.policyViolation): void {
    if (this.closed) return;
    this.log.warn({ reason: code, detail: message }, "closing agent session");
    this.sendRaw({ type: "error", code, message });
    this.ws.close(closeCode, code);
    this.markClosed(code);
  }

  /** Closes without an error message (shutdown). */
  end(closeCode: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(closeCode, reason);
    this.markClosed(reason);
  }

  /**
   * Brings the agent to the host's current desired state: sends the bundle when its hash
   * differs from what the agent has, then sends a csrRequest when the tunnel leaf needs one.
   * Concurrent calls coalesce into one more run, so bundles never go out of order.
   * `prepared` is what a batch step found: its bundle is used only when no newer
   * generation went out since, and a coalesced run looks everything up afresh.
   */
  async sync(prepared?: PreparedPush): Promise<void> {
    if (this.closed || !this.hello) return;
    if (this.syncRunning) {
      this.syncAgain = true;
      return;
    }

    this.syncRunning = true;
    const bundle = prepared?.bundle;
    let found: PreparedPush | undefined = {
      bundle: bundle && bundle.generation >= this.queuedGeneration ? bundle : undefined,
      leafNeed: prepared?.leafNeed,
    };
    try {
      do {
        this.syncAgain = false;
        await this.syncOnce(found);
        found = undefined;
      } while (this.syncAgain && !this.closed);
    } finally {
      this.syncRunning = false;
    }
  }

  private async syncOnce(prepared: PreparedPush | undefined): Promise<void> {
    const bundle = prepared?.bundle ?? (await this.host.buildHostBundle(this.hostId));
    if (this.closed) return;
    if (bundle.bundleHash !== this.knownBundleHash) {
      this.queueBundle(bundle);
    }
    await this.checkLeaf(prepared?.leafNeed);
  }

  /**
   * Sends a csrRequest when the host's tunnel leaf needs one and none is outstanding.
   * `known` is the need a batch step found; undefined looks it up.
   */
  async checkLeaf(known?: LeafNeed | null): Promise<void> {
    if (this.closed || !this.hello || this.hasPendingCsrRequest()) return;
    const need = known !== undefined ? known : await this.host.tunnelLeafNeed(this.hostId);
    if (need && !this.closed && !this.hasPendingCsrRequest()) {
      this.requestCsr(need);
    }
  }

  private queueBundle(bundle: HostBundle): void {
    this.knownBundleHash = bundle.bundleHash;
    this.queuedGeneration = Math.max(this.queuedGeneration, bundle.generation);
    this.queuedBundle = {
      type: "bundle",
      generation: bundle.generation,
      bundleHash: bundle.bundleHash,
      plan: bundle.plan,
      trustedCaPems: bundle.trustedCaPems,
      leafCertPem: bundle.leafCertPem,
      crlPems: bundle.crlPems,
    };
    this.flushBundle();
  }

  /** Writes the queued bundle unless one is still being written; at most one waits. */
  private flushBundle(): void {
    if (this.writing || !this.queuedBundle || this.closed) return;

    const bundle = this.queuedBundle;
    this.queuedBundle = null;
    this.writing = true;
    this.rememberSent(bundle.generation, bundle.bundleHash);
    this.ws.send(encodeMessage(bundle), (error) => {
      this.writing = false;
      if (error) return;
      gatewayMetrics.bundlesSent.inc();
      this.log.debug({ generation: bundle.generation, bundleHash: bundle.bundleHash }, "bundle sent");
      this.flushBundle();
    });
  }

  private rememberSent(generation: number, bundleHash: string): void {
    this.sentBundles.delete(generation);
    this.sentBundles.set(generation, bundleHash);
    if (this.sentBundles.size > SENT_BUNDLES_KEPT) {
      const oldest = this.sentBundles.keys().next().value;
      if (oldest !== undefined) this.sentBundles.delete(oldest);
    }
  }

  requestCsr(reason: LeafNeed): void {
    const request: CsrRequest = { type: "csrRequest", requestId: randomUUID(), purpose: "tunnel", reason };
    this.csrRequests ??= new Map();
    this.csrRequests.set(request.requestId, reason);
    gatewayMetrics.csrRequests.inc({ reason });
    this.log.info({ requestId: request.requestId, reason }, "requesting a tunnel CSR");
    this.sendRaw(request);
  }

  hasPendingCsrRequest(): boolean {
    return (this.csrRequests?.size ?? 0) > 0;
  }

  private async onFrame(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): Promise<void> {
    if (this.closed) return;
    if (isBinary) {
      this.fail("malformed-json", "binary frames are not accepted; send JSON text frames");
      return;
    }

    const parsed = parseAgentMessage(data);
    if (!parsed.ok) {
      const closeCode =
        parsed.error.reason === "bad-version" ? CLOSE_CODES.unsupportedVersion : CLOSE_CODES.policyViolation;
      this.fail(parsed.error.reason, parsed.error.message, closeCode);
      return;
    }

    const message = parsed.message;
    if (message.type === "hello") {
      await this.onHello(message);
      return;
    }
    if (!this.hello) {
      this.fail("hello-required", `received ${message.type} before hello; send hello first`);
      return;
    }

    switch (message.type) {
      case "ack":
        await this.onAck(message);
        return;
      case "heartbeat":
        await this.host.recordHealth(this, message.health);
        return;
      case "csr":
        await this.onCsr(message);
        return;
    }
  }

  private async onHello(hello: Hello): Promise<void> {
    if (this.hello) {
      this.fail("invalid-field", "hello was already received in this session");
      return;
    }

    // parseAgentMessage already rejected another protocol version with bad-version.
    if (!isAgentVersionSupported(hello.agentVersion, this.host.serverVersion)) {
      this.fail(
        "unsupported-agent-version",
        `agent version ${hello.agentVersion} is not supported by control plane ${this.host.serverVersion}: the agent must have the same major version and at most one minor version less; upgrade the agent`,
        CLOSE_CODES.unsupportedVersion,
      );
      return;
    }

    this.hello = hello;
    this.knownBundleHash = hello.appliedBundleHash;
    await this.host.recordHello(this, hello);
    if (this.closed) return;

    this.sendRaw({
      type: "welcome",
      hostId: this.identity.hostId,
      hostName: this.identity.hostName,
      serverVersion: this.host.serverVersion,
    });
    this.log.info(
      {
        agentVersion: hello.agentVersion,
        appliedGeneration: hello.appliedGeneration,
        sourceAddress: this.sourceAddress,
      },
      "agent session started",
    );

    // The first sync goes through the gateway's bounded push queue like every other, so a
    // reconnect storm of thousands of agents cannot open thousands of builds at once.
    await this.host.sessionReady(this);
  }

  private async onAck(ack: Extract<AgentMessage, { type: "ack" }>): Promise<void> {
    const sentHash = this.sentBundles.get(ack.generation);
    if (sentHash === undefined || sentHash !== ack.bundleHash) {
      this.fail(
        "unexpected-ack",
        `ack for generation ${ack.generation} (${ack.bundleHash}) which this session never sent`,
      );
      return;
    }

    gatewayMetrics.acks.inc({ result: ack.ok ? "ok" : "error" });
    if (ack.ok) {
      this.log.info({ generation: ack.generation, durationMs: ack.durationMs }, "bundle applied");
    } else {
      this.log.warn({ generation: ack.generation, error: ack.error }, "bundle apply failed on the agent");
    }
    await this.host.recordAck(this, ack);
  }

  private async onCsr(csr: Extract<AgentMessage, { type: "csr" }>): Promise<void> {
    const reason = this.csrRequests?.get(csr.requestId);
    if (reason === undefined || this.csrIssuing?.has(csr.requestId)) {
      this.fail("unknown-csr-request", `csr for request ${csr.requestId} which this session never sent`);
      return;
    }
    // The request stays outstanding until the leaf is stored, so that a leaf check
    // running meanwhile does not request a second CSR.
    this.csrIssuing ??= new Set();
    this.csrIssuing.add(csr.requestId);
    try {
      await this.host.issueTunnelLeaf(this.hostId, csr.csrPem);
      this.csrRequests?.delete(csr.requestId);
    } catch (error) {
      this.log.warn({ err: error, requestId: csr.requestId }, "tunnel CSR rejected");
      this.fail("csr-rejected", `tunnel CSR rejected: ${(error as Error).message}`);
      return;
    } finally {
      this.csrIssuing?.delete(csr.requestId);
    }

    this.log.info({ requestId: csr.requestId, reason }, "tunnel leaf issued");
    await this.sync();
  }

  /**
   * Closes the session after a failed handler. A write for a host deleted a moment ago
   * fails on its foreign key, so a session whose identity is gone is closed as
   * unauthorised rather than with an internal error.
   */
  private async onHandlerError(error: unknown): Promise<void> {
    const authorized = await this.host.isAuthorized(this).catch(() => true);
    if (!authorized) {
      this.fail(
        "unauthorized",
        "this agent's certificate was revoked or its host was deleted; enrol again with a new join token",
        CLOSE_CODES.unauthorized,
      );
      return;
    }
    this.log.error({ err: error }, "agent message handling failed");
    this.fail("internal", "internal error while handling the message; reconnect", CLOSE_CODES.protocolError);
  }

  private sendRaw(message: GatewayMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeMessage(message));
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queuedBundle = null;
    this.host.sessionClosed(this, reason);
  }
}
