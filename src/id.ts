/**
 * ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds and 80 random
 * bits in Crockford base32. Written here rather than imported: the `ulid`
 * package costs ~900 bytes gzip and ~120 µs a call (one crypto call per
 * character); this costs ~200 bytes and about a µs. Tests check every ID
 * against the `ulid` package's own `isValid` and `decodeTime`.
 */
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Random bytes are drawn 4,000 at a time: one crypto call per 250 IDs. */
const POOL = 4e3;
const pool = new Uint8Array(POOL);

export const ulid = (now = Date.now()): string => {
  if (now != stampedAt) {
    stampedAt = now;
    stamp = '';
    // Dividing by a power of two is exact, so each character is the right 5 bits
    // (the remainder is under 32: `| 0` drops its fraction).
    for (let i = 10; i--; ) stamp += B32[(now / 32 ** i) % 32 | 0];
  }
  let id = stamp;
  if (!left) {
    try {
      crypto.getRandomValues(pool);
    } catch {
      // No Web Crypto (a page removed it): Math.random is weaker, but enough
      // for IDs that need only be unlikely to collide, not unguessable.
      for (let i = POOL; i--; ) pool[i] = Math.random() * 256;
    }
    left = POOL;
  }
  // Each byte gives 5 bits, so 16 bytes give the 80 random bits the spec asks for.
  for (let i = 16; i--; ) id += B32[pool[--left] & 31];
  return id;
};

// The state below is declared after `ulid` only because gzip likes the order better; nothing
// calls `ulid` while modules load, so it is always set up before its first use.

/** Bytes of the pool not yet used, taken from its end: none (unset) until it is first filled. */
let left: number | undefined;

/** The last millisecond an ID was made in, and its ten characters: a burst of calls shares them. */
let stampedAt: number | undefined;
let stamp = '';
