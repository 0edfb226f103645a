// Fan-out of changes to the sessions of this process. Changed hosts are collected in a
// map, so a host changed twice before its turn is synced once. They are processed in
// batches: one query re-checks the batch's agent certificates, the batch's bundles and
// tunnel leaf needs are found together, and then they are pushed with bounded concurrency
// while the next batch is checked and built. The next batch starts from setImmediate,
// so a change to thousands of hosts never blocks the event loop for long.

import type { Logger } from "pino";
import type { HostBundle, LeafNeed } from "./types";

export interface PushTarget {
  /** Hosts with a live session here; others are skipped. */
  localHostIds(): string[];
  /** Closes the sessions among `hostIds` whose agent certificate is no longer active. */
  closeUnauthorized(hostIds: string[]): Promise<void>;
  /**
   * Builds the bundles of the batch's "sync" hosts and finds the tunnel leaf needs of all
   * its hosts at once. What a host lacks in the result, syncHost looks up by itself.
   */
  prepare(batch: [string, PushKind][]): Promise<Map<string, PreparedPush>>;
  /**
   * Brings one host's session to the current desired state ("sync"), or only checks
   * whether its tunnel leaf needs a CSR ("check"), using what `prepare` found for it.
   */
  syncHost(hostId: string, kind: PushKind, prepared?: PreparedPush): Promise<void>;
}

/** The batch step's findings for one host; a field left out is looked up per host. */
export interface PreparedPush {
  bundle?: HostBundle;
  leafNeed?: LeafNeed | null;
}

interface StartedBatch {
  batch: [string, PushKind][];
  prepared: Promise<Map<string, PreparedPush> | null>;
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

  /**
   * Takes the next batch off the queue and starts its authorisation check and its
   * prepare step. `prepared` is null when the check failed; the batch is then skipped.
   */
  private startBatch(): StartedBatch {
    const batch: [string, PushKind][] = [];
    for (const entry of this.pending) {
      batch.push(entry);
      this.pending.delete(entry[0]);
      if (batch.length >= BATCH_SIZE) break;
    }
    const prepared = (async () => {
      try {
        await this.target.closeUnauthorized(batch.map(([id]) => id));
        return await this.prepare(batch);
      } catch (error) {
        this.log.error({ err: error, hosts: batch.length }, "push batch failed");
        return null;
      }
    })();
    return { batch, prepared };
  }

  private async runBatch(started: StartedBatch = this.startBatch()): Promise<void> {
    const prepared = await started.prepared;
    // The next batch is checked and built while this one is pushed.
    let next = this.pending.size > 0 && !this.stopped ? this.startBatch() : null;
    if (prepared) {
      try {
        await this.syncAll(started.batch, prepared);
      } catch (error) {
        this.log.error({ err: error, hosts: started.batch.length }, "push batch failed");
      }
    }

    if (!next && this.pending.size > 0 && !this.stopped) next = this.startBatch();
    if (next) {
      const ahead = next;
      setImmediate(() => this.runBatch(ahead));
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

  /** Runs the batch step; on failure each host falls back to its own look-ups. */
  private async prepare(batch: [string, PushKind][]): Promise<Map<string, PreparedPush>> {
    try {
      return await this.target.prepare(batch);
    } catch (error) {
      this.log.error({ err: error, hosts: batch.length }, "batch bundle build failed; building host by host");
      return new Map();
    }
  }

  private async syncAll(hostIds: [string, PushKind][], prepared: Map<string, PreparedPush>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < hostIds.length && !this.stopped) {
        const [hostId, kind] = hostIds[next++]!;
        try {
          const found = prepared.get(hostId);
          // Pushed once: the map no longer contains the bundle after this host's turn.
          prepared.delete(hostId);
          await this.target.syncHost(hostId, kind, found);
        } catch (error) {
          this.log.error({ err: error, hostId, retryInMs: RETRY_DELAY_MS }, "bundle push failed");
          this.retryLater(hostId, kind);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, hostIds.length) }, worker));
  }
}
