import { decodeTime, isValid } from 'ulid';
import { describe, expect, it, vi } from 'vitest';
import { ulid } from '../../src/id';
import { ULID_RE } from '../patterns';

describe('ulid', () => {
  it('makes 26-character Crockford base32 IDs that the ulid package accepts', () => {
    for (let i = 0; i < 200; i++) {
      const id = ulid();
      expect(id).toHaveLength(26);
      expect(id).toMatch(ULID_RE);
      expect(isValid(id)).toBe(true);
    }
  });

  it('encodes the given time, as decodeTime reads it', () => {
    for (const time of [0, 1, 31, 32, 1_700_000_000_000, Date.UTC(2030, 5, 1), 2 ** 48 - 1]) {
      const id = ulid(time);
      expect(isValid(id)).toBe(true);
      expect(decodeTime(id)).toBe(time);
    }
  });

  it("encodes each call's own time when calls alternate between milliseconds (the last one's text is reused only for the same one)", () => {
    for (const time of [5, 5, 6, 5, 2 ** 40, 5, 2 ** 40]) expect(decodeTime(ulid(time))).toBe(time);
  });

  it('uses the current time by default', () => {
    vi.useFakeTimers({ now: 1_712_345_678_901 });
    try {
      expect(decodeTime(ulid())).toBe(1_712_345_678_901);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sorts by time: a later ID has a greater time prefix', () => {
    expect(ulid(1000).slice(0, 10) < ulid(1001).slice(0, 10)).toBe(true);
    expect(ulid(31).slice(0, 10)).toBe('000000000Z');
    expect(ulid(1000).slice(0, 10)).toBe('00000000Z8');
  });

  it('makes 10,000 distinct IDs in the same millisecond', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(ulid(1_700_000_000_000));
    expect(ids.size).toBe(10_000);
  });

  it('draws every base32 character in the random part', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) for (const c of ulid(0).slice(10)) seen.add(c);
    expect(seen.size).toBe(32);
  });

  it('still makes valid, distinct ULIDs where the page has no Web Crypto', async () => {
    vi.resetModules();
    vi.stubGlobal('crypto', undefined);
    try {
      // A fresh module: its random pool is drawn at the first call.
      const fresh = (await import('../../src/id')).ulid;
      const ids = new Set<string>();
      for (let i = 0; i < 1000; i++) {
        const id = fresh(1_700_000_000_000);
        expect(isValid(id)).toBe(true);
        expect(decodeTime(id)).toBe(1_700_000_000_000);
        ids.add(id);
      }
      expect(ids.size).toBe(1000);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
