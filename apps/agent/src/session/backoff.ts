// Reconnect delays: exponential growth with full jitter, capped. After a control-plane
// restart, agents spread their reconnects over the whole window instead of arriving at once.

export interface BackoffPolicy {
  /** Delay bound of the first retry, in milliseconds. */
  initialMs: number;
  /** Largest delay, in milliseconds. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000 };

/**
 * Returns the delay before reconnect attempt `attempt` (0 for the first retry): uniform
 * in [bound / 2, bound], where bound = min(maxMs, initialMs * 2^attempt). `random`
 * returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const exponent = Math.min(Math.max(0, attempt), 30);
  const bound = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  return Math.floor(bound / 2 + random() * (bound / 2));
}
