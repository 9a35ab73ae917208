/** Small helpers shared by several modules. */

/** `fn()`, or `fallback` (by default undefined) if it throws. */
export const safely = <T, F = undefined>(fn: () => T, fallback?: F): T | F => {
  try {
    return fn();
  } catch {
    return fallback as F;
  }
};

/**
 * A promise of the engine's own, already resolved: what it runs `then` runs
 * at the end of the current task (a microtask).
 */
export const resolved = (async () => {})();

/**
 * The engine's own Promise: a page that replaced `window.Promise` can't break ours. A promise
 * handed to the page is made with it (or by an async function), never by `then()`: zone.js
 * patches the native `then`, which then returns zone's promise (seen with Firefox's WebDriver,
 * which does not await it).
 */
export const NativePromise = resolved.constructor as PromiseConstructor;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value == 'object' && !!value && !Array.isArray(value);

/** `n` with zeros in front, to `width` characters (at most 3 zeros added). */
export const pad = (n: number | string, width = 2) => ('000' + n).slice(-width);

/**
 * The last time formatted, and its text (unset until then): a burst of calls
 * in one millisecond formats it once.
 */
let formattedAt: number | undefined;
let formatted: string;

/**
 * `time` as JSON writes a Date (ISO 8601, UTC, milliseconds), formatted here:
 * a page's library may have replaced `toISOString` (MooTools More's gives
 * local time; README, "Works on pages that…"). For years 0–9999.
 */
export const isoTime = (time: number): string => {
  if (time != formattedAt) {
    const date = new Date(time);
    formattedAt = time;
    formatted =
      pad(date.getUTCFullYear(), 4) + '-' + pad(date.getUTCMonth() + 1) + '-' + pad(date.getUTCDate()) +
      'T' + pad(date.getUTCHours()) + ':' + pad(date.getUTCMinutes()) + ':' + pad(date.getUTCSeconds()) +
      '.' + pad(date.getUTCMilliseconds(), 3) + 'Z';
  }
  return formatted;
};
