// Login throttling per (username, source address): a fixed budget of failures per window.
// In-memory, so each replica counts on its own.
// NOTE: with N replicas behind a load balancer an attacker gets up to N times the budget.

export interface RateLimiterOptions {
  /** Failed attempts allowed per key within the window. */
  maxFailures: number;
  /** Window length in milliseconds. */
  windowMs: number;
  /** Upper bound on tracked keys, so a flood of distinct names cannot exhaust memory. */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  failures: number;
  windowStart: number;
}

export class LoginRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  private static key(username: string, address: string): string {
    return `${username.toLowerCase()}\u0000${address}`;
  }

  /** Returns 0 when an attempt is allowed, else the seconds until the window ends. */
  retryAfterSeconds(username: string, address: string): number {
    const bucket = this.buckets.get(LoginRateLimiter.key(username, address));
    if (!bucket) return 0;

    const elapsed = this.now() - bucket.windowStart;
    if (elapsed >= this.options.windowMs) return 0;
    if (bucket.failures < this.options.maxFailures) return 0;
    return Math.ceil((this.options.windowMs - elapsed) / 1000);
  }

  recordFailure(username: string, address: string): void {
    const key = LoginRateLimiter.key(username, address);
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (bucket && now - bucket.windowStart < this.options.windowMs) {
      bucket.failures += 1;
      return;
    }

    if (this.buckets.size >= (this.options.maxKeys ?? 10_000)) this.evictExpired(now);
    this.buckets.set(key, { failures: 1, windowStart: now });
  }

  recordSuccess(username: string, address: string): void {
    this.buckets.delete(LoginRateLimiter.key(username, address));
  }

  private evictExpired(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.windowStart >= this.options.windowMs) this.buckets.delete(key);
    }
    // Still full: drop the oldest entries (Map iterates in insertion order).
    const excess = this.buckets.size - (this.options.maxKeys ?? 10_000) + 1;
    let dropped = 0;
    for (const key of this.buckets.keys()) {
      if (dropped >= excess) break;
      this.buckets.delete(key);
      dropped += 1;
    }
  }
}
