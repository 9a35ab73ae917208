import { describe, expect, it } from 'vitest';
import { bytes, encode, quote } from '../../src/json';
import { isoTime } from '../../src/util';
import { byteLength, prng } from './helpers';

const parse = (value: unknown, keepArrays = true) => JSON.parse(encode(value, !keepArrays)!);

describe('encode: JSON-safe values', () => {
  it('writes primitives as JSON does', () => {
    expect(encode('a')).toBe('"a"');
    expect(encode(1.5)).toBe('1.5');
    expect(encode(-0)).toBe('0');
    expect(encode(1e21)).toBe('1e+21');
    expect(encode(true)).toBe('true');
    expect(encode(false)).toBe('false');
    expect(encode(null)).toBe('null');
    expect(encode('')).toBe('""');
    expect(encode(0)).toBe('0');
  });

  it('leaves out undefined, functions and symbols at the top level', () => {
    expect(encode(undefined)).toBeUndefined();
    expect(encode(() => 1)).toBeUndefined();
    expect(encode(Symbol('s'))).toBeUndefined();
  });

  it('drops undefined, functions and symbols from objects', () => {
    expect(encode({ a: undefined, b: () => 1, c: Symbol('s'), d: 1 })).toBe('{"d":1}');
    expect(encode({ [Symbol('key')]: 1, e: 2 })).toBe('{"e":2}');
  });

  it('turns undefined, functions and symbols into null inside arrays', () => {
    expect(encode([undefined, () => 1, Symbol('s'), 1])).toBe('[null,null,null,1]');
    expect(encode([undefined, 1], true)).toBe('{"0":null,"1":1}');
  });

  it('writes a Date as its ISO string and an invalid Date as null', () => {
    const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
    expect(encode(date)).toBe('"2024-01-02T03:04:05.006Z"');
    expect(parse({ at: date })).toEqual({ at: '2024-01-02T03:04:05.006Z' });
    expect(encode(new Date(NaN))).toBe('null');
  });

  it('writes a BigInt as a string', () => {
    expect(encode(BigInt('12345678901234567890'))).toBe('"12345678901234567890"');
    expect(parse({ n: BigInt(-5) })).toEqual({ n: '-5' });
  });

  it('writes NaN and ±Infinity as null', () => {
    expect(encode(NaN)).toBe('null');
    expect(encode({ a: Infinity, b: -Infinity, c: NaN })).toBe('{"a":null,"b":null,"c":null}');
    expect(encode([NaN, Infinity])).toBe('[null,null]');
  });

  it('marks circular references and serialises repeated non-circular ones normally', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(parse(a)).toEqual({ name: 'a', self: '[Circular]' });

    const list: unknown[] = [1];
    list.push(list);
    expect(parse(list)).toEqual([1, '[Circular]']);

    const outer: Record<string, unknown> = { inner: { deeper: {} } };
    (outer.inner as { deeper: Record<string, unknown> }).deeper.back = outer;
    expect(parse(outer)).toEqual({ inner: { deeper: { back: '[Circular]' } } });

    const shared = { x: 1 };
    expect(parse({ a: shared, b: shared, c: [shared, shared] })).toEqual({
      a: { x: 1 },
      b: { x: 1 },
      c: [{ x: 1 }, { x: 1 }],
    });
  });

  it('writes an Error as {name, message}', () => {
    expect(parse(new Error('boom'))).toEqual({ name: 'Error', message: 'boom' });
    expect(parse({ e: new TypeError('bad type') })).toEqual({ e: { name: 'TypeError', message: 'bad type' } });
    class MyError extends Error {
      name = 'MyError';
      code = 42;
    }
    expect(parse(new MyError('mine'))).toEqual({ name: 'MyError', message: 'mine' });
  });

  it('loses only the key whose getter throws', () => {
    const data = {
      a: 1,
      get b(): number {
        throw new Error('getter');
      },
      c: 3,
    };
    expect(parse(data)).toEqual({ a: 1, c: 3 });
    const list = [1, 2];
    Object.defineProperty(list, 1, {
      get() {
        throw new Error('getter');
      },
      enumerable: true,
    });
    expect(parse(list)).toEqual([1, null]);
  });

  it('loses only the key whose toJSON throws', () => {
    const bad = {
      toJSON() {
        throw new Error('toJSON');
      },
    };
    expect(parse({ a: 1, bad, c: 3 })).toEqual({ a: 1, c: 3 });
    expect(parse({ custom: { toJSON: () => ({ replaced: true }) } })).toEqual({ custom: { replaced: true } });
  });

  it('writes a Map as an object and a Set as an array', () => {
    const map = new Map<unknown, unknown>([
      ['a', 1],
      ['b', new Set([1, 2])],
    ]);
    expect(parse(map)).toEqual({ a: 1, b: [1, 2] });
    expect(parse(new Set(['x', 'y']))).toEqual(['x', 'y']);
    expect(parse({ s: new Set(['x', 'y']) }, false)).toEqual({ s: { 0: 'x', 1: 'y' } });
  });

  it('writes typed arrays as arrays (reshaped like any array), walking them by index', () => {
    const typed = { u8: new Uint8Array([1, 2, 3]), f32: new Float32Array([0.5]) };
    expect(encode(typed)).toBe('{"u8":[1,2,3],"f32":[0.5]}');
    expect(encode(typed, true)).toBe('{"u8":{"0":1,"1":2,"2":3},"f32":{"0":0.5}}');
    // A huge one is cut at the limit rather than listed whole.
    expect(encode(new Uint8Array(1e7), false, 1000)!.length).toBeLessThan(2100);
  });

  it('cuts data deeper than 50 levels with "[Truncated]"', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 60; i++) deep = { c: deep };
    let node = parse(deep);
    for (let level = 0; level < 50; level++) {
      expect(typeof node).toBe('object');
      node = node.c;
    }
    expect(node).toBe('[Truncated]');
  });

  it('does not throw on a 10,000-deep object or array', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) deep = { c: deep };
    let text: string | undefined;
    expect(() => (text = encode(deep))).not.toThrow();
    expect(() => JSON.parse(text!)).not.toThrow();
    expect(text!.length).toBeLessThan(1000);

    let list: unknown[] = [];
    for (let i = 0; i < 10_000; i++) list = [list];
    expect(() => JSON.parse(encode(list, true)!)).not.toThrow();
  });

  it('never pollutes Object.prototype through __proto__ or constructor keys', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    const text = encode(hostile)!;
    expect(text).toBe('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    const map = new Map([['__proto__', { polluted: true }]]);
    expect(encode(map)).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('encode: arrays reshaped unless kept', () => {
  const cases: [string, unknown, unknown][] = [
    ['a top-level array', ['a', 'b'], { 0: 'a', 1: 'b' }],
    ['arrays in arrays', [[1, 2], [3]], { 0: { 0: 1, 1: 2 }, 1: { 0: 3 } }],
    ['arrays in objects', { tags: ['x'] }, { tags: { 0: 'x' } }],
    ['arrays of objects', [{ id: 1 }, { id: 2 }], { 0: { id: 1 }, 1: { id: 2 } }],
    ['objects holding arrays in arrays', [{ list: [[true]] }], { 0: { list: { 0: { 0: true } } } }],
    ['arrays deep in objects', { a: { b: { c: [{ d: [1] }] } } }, { a: { b: { c: { 0: { d: { 0: 1 } } } } } }],
    ['an empty array', { none: [] }, { none: {} }],
  ];

  it.each(cases)('reshapes %s into objects with keys "0", "1", …', (_, value, reshaped) => {
    expect(parse(value, false)).toEqual(reshaped);
  });

  it.each(cases)('keeps %s as arrays when keepArrays is true', (_, value) => {
    expect(parse(value, true)).toEqual(value);
    expect(encode(value, false)).toBe(JSON.stringify(value));
  });

  it('keeps arrays by default', () => {
    expect(encode({ a: [1] })).toBe('{"a":[1]}');
  });

  it('writes holes of a sparse array as null, keeping every index in place', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3];
    expect(encode(sparse, false)).toBe(JSON.stringify(sparse)); // [1,null,3]
    expect(encode(new Array(2), false)).toBe('[null,null]');
  });

  it('leaves out non-index properties of an array, as JSON does', () => {
    const list = Object.assign([1, 2], { extra: 3 });
    expect(encode(list, false)).toBe('[1,2]');
  });
});

describe('encode: matches JSON.stringify for plain data', () => {
  const SAFE = 'abcXYZ019 _-.,:/@é€😀';
  const ANY = SAFE + '"\\\n\r\t\b\f\u0000\u001f\u007f\u2028\u2029';

  function plainValue(random: () => number, alphabet: string, depth = 0): unknown {
    const pick = Math.floor(random() * (depth > 3 ? 4 : 6));
    const string = () => {
      let s = '';
      const length = Math.floor(random() * 12);
      // Whole code points, so surrogate pairs stay paired.
      const chars = Array.from(alphabet);
      for (let i = 0; i < length; i++) s += chars[Math.floor(random() * chars.length)];
      return s;
    };
    switch (pick) {
      case 0:
        return string();
      case 1: {
        const numbers = [0, -0, 1, -1, 0.1, 123456.789, -1e-7, 1e21, 2 ** 53, Number.MIN_VALUE];
        return random() < 0.5 ? numbers[Math.floor(random() * numbers.length)] : (random() - 0.5) * 1e6;
      }
      case 2:
        return random() < 0.5;
      case 3:
        return null;
      case 4:
        return Array.from({ length: Math.floor(random() * 5) }, () => plainValue(random, alphabet, depth + 1));
      default: {
        const object: Record<string, unknown> = {};
        for (let i = Math.floor(random() * 5); i--; ) object[string() || 'k'] = plainValue(random, alphabet, depth + 1);
        return object;
      }
    }
  }

  it('writes the same text as JSON.stringify for 2,000 plain values without escapes', () => {
    const random = prng(42);
    for (let i = 0; i < 2000; i++) {
      const value = plainValue(random, SAFE);
      expect(encode(value, false)).toBe(JSON.stringify(value));
    }
  });

  it('parses back to the same value as JSON.stringify for 2,000 plain values with any characters', () => {
    const random = prng(7);
    for (let i = 0; i < 2000; i++) {
      const value = plainValue(random, ANY);
      const text = encode(value, false)!;
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    }
  });

  it('always writes text JSON.parse accepts, arrays reshaped or not', () => {
    const random = prng(99);
    for (let i = 0; i < 500; i++) {
      const value = { v: plainValue(random, ANY) };
      expect(() => JSON.parse(encode(value, true)!)).not.toThrow();
    }
  });
});

describe('encode: string escaping', () => {
  it('escapes quotes, backslashes, control characters and line separators', () => {
    const nasty = 'say "hi"\\ \n\r\t\b\f \u0000 \u001f \u2028 \u2029 </script>';
    const text = encode(nasty)!;
    expect(JSON.parse(text)).toBe(nasty);
    // Nothing raw that would break a JSON or JS parser.
    expect(text).not.toMatch(/[\u0000-\u001f\u2028\u2029]/);
    expect(text.slice(1, -1)).not.toMatch(/(^|[^\\])"/);
  });

  it('escapes keys as well as values', () => {
    const data = { 'a"b\n\u2028': 'v' };
    expect(JSON.parse(encode(data)!)).toEqual(data);
  });

  it('quote() writes a JSON string literal', () => {
    expect(quote('x')).toBe('"x"');
    expect(JSON.parse(quote('\u0001\\"'))).toBe('\u0001\\"');
    expect(quote('\n')).toBe('"\\u000a"');
  });
});

describe('encode: limit', () => {
  it('stops early once the text passes the limit', () => {
    const big = Array.from({ length: 10_000 }, (_, i) => 'item number ' + i);
    const full = encode(big)!;
    const cut = encode(big, false, 1000)!;
    expect(cut.length).toBeGreaterThan(1000);
    expect(cut.length).toBeLessThan(2000);
    expect(full.length).toBeGreaterThan(100_000);
  });

  it('writes data whose text is within the limit completely, however it nests', () => {
    const inner: Record<string, string> = {};
    for (let i = 0; i < 40; i++) inner['k' + i] = 'x'.repeat(500);
    const data = { props: inner, other: 1 };
    const limit = 32 * 1024;
    expect(JSON.stringify(data).length).toBeLessThan(limit);
    const parsed = JSON.parse(encode(data, true, limit)!);
    expect(Object.keys(parsed)).toEqual(['props', 'other']);
    expect(parsed).toEqual(data);
  });

  it('writes nested data within the limit completely', () => {
    let deep: Record<string, unknown> = { blob: 'y'.repeat(3000) };
    for (let i = 0; i < 12; i++) deep = { level: deep };
    const data = { deep, after: 'kept' };
    expect(JSON.stringify(data).length).toBeLessThan(4000);
    const parsed = JSON.parse(encode(data, true, 32 * 1024)!);
    expect(Object.keys(parsed)).toEqual(['deep', 'after']);
    expect(parsed).toEqual(data);
  });
});

describe('encode: a hostile page', () => {
  it('works when JSON.stringify and Array.prototype.toJSON are overwritten', () => {
    const stringify = JSON.stringify;
    const proto = Array.prototype as unknown as { toJSON?: () => unknown };
    try {
      JSON.stringify = () => '"hacked"';
      proto.toJSON = () => 'nope';
      expect(encode({ list: [1, [2]], when: new Date(0) })).toBe('{"list":[1,[2]],"when":"1970-01-01T00:00:00.000Z"}');
      expect(encode({ list: [1] }, true)).toBe('{"list":{"0":1}}');
    } finally {
      JSON.stringify = stringify;
      delete proto.toJSON;
    }
    expect(JSON.stringify([1])).toBe('[1]');
  });
});

/** Runs `fn` with properties set on built-ins, as a page's library sets them; puts everything back after. */
function withPatches(patches: [object, string, unknown][], fn: () => void) {
  const saved = patches.map(([target, key]) => Object.getOwnPropertyDescriptor(target, key));
  try {
    for (const [target, key, value] of patches)
      Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true });
    fn();
  } finally {
    patches.forEach(([target, key], i) => {
      if (saved[i]) Object.defineProperty(target, key, saved[i]!);
      else delete (target as Record<string, unknown>)[key];
    });
  }
}

describe('encode: built-in types by language-level paths (README, "Works on pages that…")', () => {
  const DATA = () => ({
    when: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 678)),
    bad: new Date(NaN),
    set: new Set([1, 'a', [2]]),
    map: new Map<unknown, unknown>([['k', new Set(['v'])]]),
    list: ['x', new Date(0)],
    bytes: new Uint8Array([1, 2]),
    boxed: [new String('s'), new Number(2), new Boolean(false)],
    s: 'plain',
  });
  const EXPECTED =
    '{"when":"2020-01-02T03:04:05.678Z","bad":null,"set":[1,"a",[2]],"map":{"k":["v"]},"list":["x","1970-01-01T00:00:00.000Z"],' +
    '"bytes":[1,2],"boxed":["s",2,false],"s":"plain"}';

  it('writes boxed primitives as their value, as JSON does', () => {
    expect(encode(new String('x'))).toBe('"x"');
    expect(encode({ n: new Number(1.5), b: new Boolean(true) })).toBe('{"n":1.5,"b":true}');
    expect(encode(DATA())).toBe(EXPECTED);
  });

  it("Prototype.js 1.6: toJSON on Array, Date, String and Number returning pre-quoted text, Array.from = $A", () => {
    const quoted = function (this: unknown) {
      return '"' + String(this) + '"';
    };
    withPatches(
      [
        [Array.prototype, 'toJSON', function (this: unknown[]) {
          return '[' + this.join(',') + ']';
        }],
        [Date.prototype, 'toJSON', function (this: Date) {
          return '"' + this.getUTCFullYear() + '-01-01T00:00:00Z"';
        }],
        [String.prototype, 'toJSON', quoted],
        [Number.prototype, 'toJSON', quoted],
        // $A: an object's toArray, else its length-indexed items: a Set has neither, so [].
        [Array, 'from', (it: { toArray?: () => unknown[]; length?: number }) => (it.toArray ? it.toArray() : [])],
      ],
      () => expect(encode(DATA())).toBe(EXPECTED),
    );
  });

  it("MooTools More: toISOString and toJSON on Date giving local time without milliseconds", () => {
    const local = function (this: Date) {
      return this.getFullYear() + '-01-01T00:00:00+0100';
    };
    withPatches(
      [
        [Date.prototype, 'toISOString', local],
        [Date.prototype, 'toJSON', local],
      ],
      () => expect(encode(DATA())).toBe(EXPECTED),
    );
  });

  it('MooTools: Array.from wrapping what is not array-like, enumerable additions on Object, Array and Function prototypes', () => {
    withPatches(
      [
        [Array, 'from', (it: unknown) => (Array.isArray(it) ? it : [it])],
        [Object.prototype, 'mooExtra', function () {}],
        [Array.prototype, 'mooEach', function () {}],
        [Function.prototype, 'mooBind', function () {}],
      ],
      () => {
        expect(encode(DATA())).toBe(EXPECTED);
        expect(encode({ nested: { list: [1] } }, true)).toBe('{"nested":{"list":{"0":1}}}');
      },
    );
  });

  it("calls the page's own classes' toJSON, not one a library put on Object.prototype", () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return { amount: this.cents / 100 };
      }
    }
    expect(encode({ price: new Money(1250) })).toBe('{"price":{"amount":12.5}}');
    withPatches([[Object.prototype, 'toJSON', () => 'library']], () => {
      expect(encode({ a: { b: 1 }, price: new Money(5) })).toBe('{"a":{"b":1},"price":{"amount":0.05}}');
    });
  });
});

describe('bytes', () => {
  it('is the UTF-8 length for ASCII and never under it otherwise', () => {
    for (const s of ['', 'hello', '{"a":1}', 'é', '€uro', '😀 emoji', '中文字符', 'mixed é€😀 text']) {
      const n = bytes(s);
      if (/^[\x00-\x7f]*$/.test(s)) expect(n).toBe(byteLength(s));
      else expect(n).toBeGreaterThanOrEqual(byteLength(s));
    }
  });
});

describe('isoTime', () => {
  it('writes any time of years 0–9999 as toISOString does', () => {
    const random = prng(7);
    const times = [0, -1, 1, 951782400000, 951868800000, -62167219200000, 253402300799999, Date.UTC(2024, 1, 29, 23, 59, 59, 999)];
    // Year 0 to year 9999, with dates before 1970 (negative times) among them.
    for (let i = 0; i < 2000; i++) times.push(Math.floor(-62167219200000 + random() * (253402300799999 + 62167219200000)));
    for (const time of times) expect(isoTime(time)).toBe(new Date(time).toISOString());
  });

  it("formats each call's own time when calls alternate between times, the same one twice included", () => {
    for (const time of [0, 0, 1, 0, 1_700_000_000_123, 1_700_000_000_123, 1])
      expect(isoTime(time)).toBe(new Date(time).toISOString());
  });

  it('does not use toISOString, which a page may have replaced', () => {
    withPatches([[Date.prototype, 'toISOString', () => 'replaced']], () =>
      expect(isoTime(Date.UTC(2020, 0, 2, 3, 4, 5, 678))).toBe('2020-01-02T03:04:05.678Z'),
    );
  });
});
