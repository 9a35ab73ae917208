/** Small helpers shared by several modules. */

/** `fn()`, or `fallback` (by default undefined) if it throws. */
export const safely = <T, F = undefined>(fn: () => T, fallback?: F): T | F => {
  try {
    return fn();
  } catch {
    return fallback as F;
  }
};

/** The engine's own Promise: a page that replaced `window.Promise` can't break ours. */
export const NativePromise = (async () => {})().constructor as PromiseConstructor;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value == 'object' && !Array.isArray(value);
