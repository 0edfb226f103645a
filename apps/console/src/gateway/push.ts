// Fan-out of changes to the sessions of this process. Changed hosts are collected in a
// set (a host changed twice before its turn is synced once), then processed in batches:
// one query re-checks the batch's agent certificates, then the batch's bundles are
// rebuilt with bounded concurrency, and the next batch starts from setImmediate so that a
// change to thousands of hosts never blocks the event loop for long.

import type { Logger } from "pino";

export interface PushTarget {
  /** Hosts with a live session here; others are skipped. */
  localHostIds(): string[];
  /** Closes the sessions among `hostIds` whose agent certificate is no longer active. */
  closeUnauthorized(hostIds: string[]): Promise<void>;
  /** Brings one host's session to the current desired state. */
  syncHost(hostId: string): Promise<void>;
}

const BATCH_SIZE = 256;

export class PushScheduler {
  private readonly pending = new Set<string>();
  private running = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly target: PushTarget,
    private readonly concurrency: number,
    private readonly log: Logger,
  ) {}

  /** Queues hosts; "*" queues every local session. */
  enqueue(hostIds: string[]): void {
    if (this.stopped) return;
    const ids = hostIds.includes("*") ? this.target.localHostIds() : hostIds;
    for (const id of ids) this.pending.add(id);
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
    const batch: string[] = [];
    for (const id of this.pending) {
      batch.push(id);
      this.pending.delete(id);
      if (batch.length >= BATCH_SIZE) break;
    }

    try {
      await this.target.closeUnauthorized(batch);
      await this.syncAll(batch);
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

  private async syncAll(hostIds: string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < hostIds.length && !this.stopped) {
        const hostId = hostIds[next++]!;
        try {
          await this.target.syncHost(hostId);
        } catch (error) {
          this.log.error({ err: error, hostId }, "bundle push failed");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, hostIds.length) }, worker));
  }
}
