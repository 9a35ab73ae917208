/**
 * Event data to JSON text, in one pass: makes any value JSON-safe (README, "Bad input and host pages")
 * and, if asked, reshapes every array into an object with keys
 * "0", "1", … (README, "Configuration"). Writing the text ourselves rather than cleaning a
 * copy for `JSON.stringify` means the host page can't break us by replacing
 * `JSON`, and the data is walked only once.
 */

import { isoTime, pad } from './util';

const utf8 = new TextEncoder();

/** Deeper data is cut: real event data is never this deep, hostile data can be. */
const MAX_DEPTH = 50;

/** Made once: a pattern written in a function is a new object on every call, and `quote` runs for every key and string. */
const UNSAFE = /[\0-\x1f"\\\u2028\u2029]/g;

/** What `quote` writes for each of them: \u and four hex digits. */
const escape = (c: string) => '\\u' + pad(c.charCodeAt(0).toString(16), 4);

export const quote = (s: string): string => '"' + s.replace(UNSAFE, escape) + '"';

/** Size of `s` on the wire, in UTF-8 (counted only when not plain ASCII: the usual case stays allocation-free). */
export const bytes = (s: string): number => (/[^\0-\x7f]/.test(s) ? utf8.encode(s).length : s.length);

/**
 * JSON text for `value`, or `undefined` where JSON would leave it out
 * (functions, symbols, undefined); `arraysAsObjects` writes arrays as
 * objects keyed by index. Past `limit` characters the walk stops
 * early, so the text may be cut short: callers drop any result over their limit.
 */
export const encode = (value: unknown, arraysAsObjects?: boolean, limit = Infinity): string | undefined => {
  /** Objects on the path from the root, to spot cycles. */
  const parents: object[] = [];
  /** Characters surely written so far: never more than the text's length, so a walk stopped at `limit` is over it. */
  let size = 0;

  const walk = (value: unknown): string | undefined => {
    const type = typeof value;
    if (type == 'object') return value ? walkObject(value as object) : 'null';
    const text =
      type == 'string' || type == 'bigint'
        ? quote('' + value)
        : type == 'number' || type == 'boolean'
          ? // isFinite(true) and isFinite(false) hold: booleans print as themselves.
            isFinite(value as number) ? '' + value : 'null'
          : // undefined, functions and symbols: left out, as JSON does.
            undefined;
    // Only leaves count: an object's text is its leaves' and keys' text.
    if (text) size += text.length;
    return text;
  };

  // `v` is the object, or a plain stand-in for an Error, Map or Set once it is on the path.
  const walkObject = (v: object): string => {
    if (parents.indexOf(v) >= 0) return '"[Circular]"';
    if (parents.length >= MAX_DEPTH) return '"[Truncated]"';
    parents.push(v);
    try {
      // Built-in types by language-level paths, never their toJSON or Array.from: the host page's
      // libraries (Prototype.js, MooTools) replace those before we load (README, "Works on pages that…").
      // Boxed primitives and Dates by their value, as JSON writes them: new String('x') is "x"; a Date's
      // value is its time, written as ISO text, or as null when the Date is invalid (NaN).
      if (v instanceof Date || v instanceof String || v instanceof Number || v instanceof Boolean) {
        const inner = v.valueOf();
        return walk(v instanceof Date && inner == inner ? isoTime(inner as number) : inner)!;
      }
      if (v instanceof Error) v = { name: v.name, message: v.message };
      else if (v instanceof Map) v = Object.fromEntries(v);
      else if (v instanceof Set) v = [...v];
      // Arrays (and typed arrays) go by index, as JSON does: holes are null, extra keys ignored.
      const isArray = Array.isArray(v) || ArrayBuffer.isView(v);
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      // Objects of the page's own classes that say how they serialise (one on Object.prototype is a library's, not theirs).
      if (!isArray && typeof toJSON == 'function' && toJSON != ({} as { toJSON?: unknown }).toJSON) return walk(toJSON.call(v)) || 'null';
      const asList = isArray && !arraysAsObjects;
      // An array gives only its length here: its keys are its indices.
      const keys = (isArray ? v : Object.keys(v)) as ArrayLike<unknown>;
      const count = keys.length;
      const parts: string[] = [];
      for (let i = 0; i < count && size <= limit; i++) {
        const key = isArray ? '' + i : (keys[i] as string);
        let item: string | undefined;
        try {
          item = walk((v as Record<string, unknown>)[key]);
        } catch {
          // A throwing getter, toJSON or proxy trap loses that one value, not the event.
        }
        if (isArray) item = item || 'null';
        if (item) {
          if (!asList) {
            // Counted short, without its quotes and escapes.
            size += key.length;
            item = quote(key) + ':' + item;
          }
          parts.push(item);
        }
      }
      return asList ? '[' + parts + ']' : '{' + parts + '}';
    } finally {
      parents.pop();
    }
  };

  return walk(value);
};
