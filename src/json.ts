/**
 * Event data to JSON text, in one pass: makes any value JSON-safe (SPEC §8)
 * and, unless arrays are kept, reshapes every array into an object with keys
 * "0", "1", … (SPEC §3). Writing the text ourselves rather than cleaning a
 * copy for `JSON.stringify` means the host page can't break us by replacing
 * `JSON.stringify` or adding `Array.prototype.toJSON`, and the data is walked
 * only once.
 */

/** Deeper data is cut: real event data is never this deep, hostile data can be. */
const MAX_DEPTH = 50;

const escape = (c: string) => '\\u' + ('000' + c.charCodeAt(0).toString(16)).slice(-4);

export const quote = (s: string): string =>
  '"' + s.replace(/[\u0000-\u001f"\\\u2028\u2029]/g, escape) + '"';

/** UTF-8 size of `s`, or a little over for non-ASCII text: enough to keep under a byte limit. */
export const bytes = (s: string): number => s.length + (s.match(/[^\0-\x7f]/g) || []).length * 2;

/**
 * JSON text for `value`, or `undefined` where JSON would leave it out
 * (functions, symbols, undefined). Past `limit` characters the walk stops
 * early, so the text may be cut short: callers drop any result over their limit.
 */
export function encode(value: unknown, keepArrays = true, limit = Infinity): string | undefined {
  /** Objects on the path from the root, to spot cycles. */
  const parents: object[] = [];
  let size = 0;

  const walk = (value: unknown): string | undefined => {
    let text: string | undefined;
    switch (typeof value) {
      case 'string':
        text = quote(value);
        break;
      case 'number':
        text = isFinite(value) ? '' + value : 'null';
        break;
      case 'boolean':
        text = '' + value;
        break;
      case 'bigint':
        text = '"' + value + '"';
        break;
      case 'object':
        text = value ? walkObject(value) : 'null';
    }
    if (text) size += text.length;
    return text;
  };

  const walkObject = (value: object): string => {
    if (parents.indexOf(value) >= 0) return '"[Circular]"';
    if (parents.length >= MAX_DEPTH) return '"[Truncated]"';
    parents.push(value);
    try {
      let v: object = value;
      if (v instanceof Error) v = { name: v.name, message: v.message };
      else if (v instanceof Map) v = Object.fromEntries(v);
      else if (v instanceof Set) v = Array.from(v);
      else if (!Array.isArray(v) && typeof (v as { toJSON?: unknown }).toJSON == 'function') {
        // Dates and other objects that say how they serialise.
        return walk((v as { toJSON(): unknown }).toJSON()) || 'null';
      }
      const isArray = Array.isArray(v);
      const asList = isArray && keepArrays;
      const parts: string[] = [];
      for (const key of Object.keys(v)) {
        if (size > limit) break;
        let item: string | undefined;
        try {
          item = walk((v as Record<string, unknown>)[key]);
        } catch {
          // A throwing getter, toJSON or proxy trap loses that one value, not the event.
        }
        if (isArray) item = item || 'null';
        if (item) parts.push(asList ? item : quote(key) + ':' + item);
      }
      return asList ? '[' + parts + ']' : '{' + parts + '}';
    } finally {
      parents.pop();
    }
  };

  return walk(value);
}
