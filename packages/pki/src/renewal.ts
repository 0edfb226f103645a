// When a member should renew its leaf.

/** Renewal point, as a fraction of the lifetime after notBefore. */
const RENEWAL_FRACTION = 2 / 3;

/** Largest jitter either side of the renewal point, as a fraction of the lifetime. */
const JITTER_FRACTION = 0.05;

/** Latest renewal point, as a fraction of the lifetime, whatever the jitter. */
const LATEST_FRACTION = 0.8;

/**
 * Computes when a leaf should be renewed: at 2/3 of its lifetime, moved by a uniform jitter
 * of up to 5% of the lifetime either way, so between about 61.7% and 71.7%. The jitter keeps
 * members issued together from renewing at once. The result is never later than 80% of the
 * lifetime. `random` returns a number in [0, 1), like Math.random; values outside are clamped.
 */
export function renewalDueAt(
  validity: { notBefore: Date; notAfter: Date },
  random: () => number = Math.random,
): Date {
  const start = validity.notBefore.getTime();
  const lifetime = validity.notAfter.getTime() - start;
  if (!Number.isFinite(lifetime) || lifetime <= 0) {
    throw new RangeError(
      `notAfter ${String(validity.notAfter)} is not after notBefore ${String(validity.notBefore)}; pass a valid validity window`,
    );
  }

  const draw = Math.min(Math.max(random(), 0), 1);
  const fraction = RENEWAL_FRACTION + (draw * 2 - 1) * JITTER_FRACTION;
  return new Date(start + Math.min(fraction, LATEST_FRACTION) * lifetime);
}
