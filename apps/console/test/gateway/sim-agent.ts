// A simulated agent for gateway tests and the gateway benchmark: speaks the real protocol
// over real TLS with its own client certificate, and applies bundles to a fake host
// executor instead of stunnel and netfilter.

import {
  AGENT_SESSION_PATH,
  type Bundle,
  encodeMessage,
  type GatewayMessage,
  type Hello,
  PROTOCOL_VERSION,
  parseGatewayMessage,
} from "@tunnelfleet/protocol";
import { WebSocket } from "ws";

/** Records what a real agent would apply; `failNext` makes the next apply fail. */
export class FakeHostExecutor {
  readonly applied: Bundle[] = [];
  failNext: string | null = null;

  apply(bundle: Bundle): { ok: true } | { ok: false; error: string } {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      return { ok: false, error };
    }
    this.applied.push(bundle);
    return { ok: true };
  }
}

export interface SimAgentOptions {
  /** e.g. wss://127.0.0.1:8443 */
  url: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Fields of hello to override (versions, applied generation and hash). */
  hello?: Partial<Hello>;
  /** Signs a CSR for a new tunnel key; without it csrRequests are recorded and ignored. */
  createCsr?: () => Promise<string>;
  executor?: FakeHostExecutor;
  /** Do not keep every received message (benchmark mode). */
  lightweight?: boolean;
  /** Send hello as soon as the socket opens (default true). */
  autoHello?: boolean;
}

export class SimAgent {
  readonly executor: FakeHostExecutor;
  readonly received: GatewayMessage[] = [];
  appliedGeneration = 0;
  appliedBundleHash: string | null = null;
  closeCode: number | null = null;
  closeReason = "";
  /** Gateway frames this agent could not parse. */
  readonly protocolErrors: string[] = [];
  /** HTTP status when the upgrade was rejected. */
  rejectedStatus: number | null = null;
  private ws: WebSocket | null = null;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  /** Called after each ack is sent (benchmark timing). */
  onAck: ((generation: number) => void) | null = null;

  constructor(private readonly options: SimAgentOptions) {
    this.executor = options.executor ?? new FakeHostExecutor();
    this.appliedGeneration = options.hello?.appliedGeneration ?? 0;
    this.appliedBundleHash = options.hello?.appliedBundleHash ?? null;
  }

  /** Connects and sends hello; resolves when the socket opened or was rejected. */
  connect(): Promise<void> {
    this.closeCode = null;
    this.closeReason = "";
    this.rejectedStatus = null;

    const ws = new WebSocket(`${this.options.url}${AGENT_SESSION_PATH}`, {
      ca: this.options.caPem,
      cert: this.options.certPem,
      key: this.options.keyPem,
      perMessageDeflate: false,
    });
    this.ws = ws;

    return new Promise((resolve) => {
      ws.on("open", () => {
        if (this.options.autoHello !== false) this.sendHello();
        resolve();
      });
      ws.on("unexpected-response", (_request, response) => {
        this.rejectedStatus = response.statusCode ?? 0;
        this.closeCode = -1;
        response.resume();
        ws.terminate();
        this.notify();
        resolve();
      });
      ws.on("error", () => {
        if (this.closeCode === null) this.closeCode = -1;
        this.notify();
        resolve();
      });
      ws.on("close", (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.notify();
      });
      ws.on("message", (data) => {
        this.onMessage(data as Buffer).catch(() => {});
      });
    });
  }

  sendHello(): void {
    const hello: Hello = {
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: "0.1.0",
      stunnelVersion: "5.68",
      opensslVersion: "3.0.15",
      netfilterBackend: "nft",
      ...this.options.hello,
      appliedGeneration: this.appliedGeneration,
      appliedBundleHash: this.appliedBundleHash,
    };
    this.sendRaw(encodeMessage(hello));
  }

  /** Sends a frame as is (for bad-input tests). */
  sendRaw(data: string | Buffer): void {
    this.ws?.send(data);
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /**
   * Resolves once `check` holds; re-checked after every message and close. Rejects after
   * `timeoutMs` with what the agent received, so a stuck test shows the cause.
   */
  waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        const types = this.received.map((message) => message.type).join(", ");
        reject(
          new Error(
            `condition not met within ${timeoutMs} ms; received [${types}], close ${this.closeCode}, protocol errors ${JSON.stringify(this.protocolErrors)}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ check, resolve: done });
    });
  }

  waitForClose(): Promise<void> {
    return this.waitFor(() => this.closeCode !== null);
  }

  messagesOf<T extends GatewayMessage["type"]>(type: T): Extract<GatewayMessage, { type: T }>[] {
    return this.received.filter((message) => message.type === type) as Extract<GatewayMessage, { type: T }>[];
  }

  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once("close", () => resolve());
      ws.close(1000, "agent stopping");
    });
  }

  terminate(): void {
    this.ws?.terminate();
  }

  private async onMessage(data: Buffer): Promise<void> {
    const parsed = parseGatewayMessage(data);
    if (!parsed.ok) {
      this.protocolErrors.push(`${parsed.error.reason}: ${parsed.error.message}`);
      this.notify();
      return;
    }
    const message = parsed.message;
    if (!this.options.lightweight || message.type !== "bundle") this.received.push(message);

    if (message.type === "bundle") {
      const started = Date.now();
      const result = this.executor.apply(message);
      if (result.ok) {
        this.appliedGeneration = message.generation;
        this.appliedBundleHash = message.bundleHash;
      }
      this.sendRaw(
        encodeMessage({
          type: "ack",
          generation: message.generation,
          bundleHash: message.bundleHash,
          ok: result.ok,
          ...(result.ok ? {} : { error: result.error }),
          durationMs: Date.now() - started,
        }),
      );
      this.onAck?.(message.generation);
    } else if (message.type === "csrRequest" && this.options.createCsr) {
      const csrPem = await this.options.createCsr();
      this.sendRaw(encodeMessage({ type: "csr", purpose: "tunnel", csrPem, requestId: message.requestId }));
    }
    this.notify();
  }

  private notify(): void {
    const pending = this.waiters;
    this.waiters = [];
    for (const waiter of pending) {
      if (waiter.check()) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }
}
