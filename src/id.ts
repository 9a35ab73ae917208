/**
 * ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds and 80 random
 * bits in Crockford base32. Written here rather than imported: the `ulid`
 * package costs ~900 bytes gzip and ~120 µs a call (one crypto call per
 * character); this costs ~120 bytes and one crypto call per ID. Tests check
 * every ID against the `ulid` package's own `isValid` and `decodeTime`.
 */
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function ulid(now = Date.now()): string {
  let time = '';
  for (let i = 0; i < 10; i++, now = Math.floor(now / 32)) time = B32[now % 32] + time;
  const random = new Uint8Array(16);
  crypto.getRandomValues(random);
  let id = time;
  // Each byte gives 5 bits, so 16 bytes give the 80 random bits the spec asks for.
  for (let i = 0; i < 16; i++) id += B32[random[i] & 31];
  return id;
}
