// Fan-out of changes to the sessions of this process. Changed hosts are collected in a
// map, so a host changed twice before its turn is synced once. They are processed in
// batches: one query re-checks the batch's agent certificates, the batch's bundles are
// built together, and then they are pushed with bounded concurrency. The next batch starts from setImmediate,
// so a change to thousands of hosts never blocks the event loop for long.

import type { Logger } from "pino";
import type { HostBundle } from "./types";

export interface PushTarget {
  /** Hosts with a live session here; others are skipped. */
  localHostIds(): string[];
  /** Closes the sessions among `hostIds` whose agent certificate is no longer active. */
  closeUnauthorized(hostIds: string[]): Promise<void>;
  /** Builds the bundles of the hosts to sync at once; a host left out is built by syncHost. */
  buildBundles(hostIds: string[]): Promise<Map<string, HostBundle>>;
  /**
   * Brings one host's session to the current desired state ("sync"), with `bundle` when
   * it was built for the batch, or only checks whether its tunnel leaf needs a CSR ("check").
   */
  syncHost(hostId: string, kind: PushKind, bundle?: HostBundle): Promise<void>;
}

/** "sync" rebuilds the bundle and checks the leaf; "check" checks the leaf only. */
export type PushKind = "sync" | "check";

const BATCH_SIZE = 256;
/** Delay before a failed sync of one host is queued again, in ms. */
const RETRY_DELAY_MS = 5000;

export class PushScheduler {
  private readonly pending = new Map<string, PushKind>();
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly target: PushTarget,
    private readonly concurrency: number,
    private readonly log: Logger,
  ) {}

  /** Queues hosts; "*" queues every local session. A queued "sync" is never downgraded. */
  enqueue(hostIds: string[], kind: PushKind = "sync"): void {
    if (this.stopped) return;
    const ids = hostIds.includes("*") ? this.target.localHostIds() : hostIds;
    for (const id of ids) {
      if (this.pending.get(id) !== "sync") this.pending.set(id, kind);
    }
    if (!this.running && this.pending.size > 0) {
      this.running = true;
      setImmediate(() => this.runBatch());
    }
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }

  private async runBatch(): Promise<void> {
    const batch: [string, PushKind][] = [];
    for (const entry of this.pending) {
      batch.push(entry);
      this.pending.delete(entry[0]);
      if (batch.length >= BATCH_SIZE) break;
    }

    try {
      await this.target.closeUnauthorized(batch.map(([id]) => id));
      const bundles = await this.buildBundles(batch);
      await this.syncAll(batch, bundles);
    } catch (error) {
      this.log.error({ err: error, hosts: batch.length }, "push batch failed");
    }

    if (this.pending.size > 0 && !this.stopped) {
      setImmediate(() => this.runBatch());
      return;
    }
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Queues the host again after RETRY_DELAY_MS (level-triggered: the retry builds the latest state). */
  private retryLater(hostId: string, kind: PushKind): void {
    const timer = setTimeout(() => this.enqueue([hostId], kind), RETRY_DELAY_MS);
    timer.unref();
  }

  /** Builds the batch's bundles; on failure each host falls back to its own build. */
  private async buildBundles(batch: [string, PushKind][]): Promise<Map<string, HostBundle>> {
    const syncIds = batch.filter(([, kind]) => kind === "sync").map(([id]) => id);
    if (syncIds.length === 0) return new Map();
    try {
      return await this.target.buildBundles(syncIds);
    } catch (error) {
      this.log.error(
        { err: error, hosts: syncIds.length },
        "batch bundle build failed; building host by host",
      );
      return new Map();
    }
  }

  private async syncAll(hostIds: [string, PushKind][], bundles: Map<string, HostBundle>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < hostIds.length && !this.stopped) {
        const [hostId, kind] = hostIds[next++]!;
        try {
          const bundle = bundles.get(hostId);
          // Pushed once: the map no longer holds it after this host's turn.
          bundles.delete(hostId);
          await this.target.syncHost(hostId, kind, bundle);
        } catch (error) {
          this.log.error({ err: error, hostId, retryInMs: RETRY_DELAY_MS }, "bundle push failed");
          this.retryLater(hostId, kind);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, hostIds.length) }, worker));
  }
}
