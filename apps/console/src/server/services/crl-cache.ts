// Signed CRLs kept in process memory, so that bundle builds within one CRL period re-use
// the bytes instead of signing the same CRL again for every host.

/** Identity of a CRL: two CRLs with the same CA, CRL number, period and revoked serials are interchangeable. */
export interface CrlIdentity {
  caId: string;
  crlNumber: number;
  periodStart: Date;
  /** Revoked serials, in any order. */
  serials: string[];
}

/**
 * Formats the identity as one string. Bundle hashes use it in place of the CRL bytes,
 * which differ on every signing because ECDSA signatures are randomised.
 */
export function crlIdentityKey(identity: CrlIdentity): string {
  const serials = [...identity.serials].sort();
  return `${identity.caId}/${identity.crlNumber}/${identity.periodStart.toISOString()}/${serials.join(",")}`;
}

/**
 * A bounded least-recently-used map from CRL identity to PEM. A revocation changes the
 * serial set (and the CA's CRL number), so it changes the key and the next build signs
 * a new CRL; the stale entry ages out.
 */
export class CrlCache {
  /** Pending signings are kept too, so that concurrent builds sign a CRL once. */
  private readonly entries = new Map<string, Promise<string>>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Returns the cached PEM for the identity, or signs one with `sign` and keeps it. */
  async get(identity: CrlIdentity, sign: () => Promise<string>): Promise<string> {
    const key = crlIdentityKey(identity);
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.hits++;
      // Re-inserting moves the key to the end: Map iterates in insertion order.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }

    this.misses++;
    const pem = sign();
    this.entries.set(key, pem);
    // A failed signing is not kept: the next build tries again.
    pem.catch(() => {
      if (this.entries.get(key) === pem) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return pem;
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

/** CRLs of up to this many CA, period and serial-set combinations stay in memory. */
const CRL_CACHE_ENTRIES = 4096;

/** The process-wide cache the bundle builder uses. */
export const crlCache = new CrlCache(CRL_CACHE_ENTRIES);
