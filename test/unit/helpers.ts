/** Small fakes shared by the unit tests. */
import { JSDOM } from 'jsdom';
import type { Queue } from '../../src/queue';
import { localStore } from '../../src/storage';
import { vi, type MockInstance } from 'vitest';
import type { Result, Transport } from '../../src/transport';


/** A window of its own, so listeners and history wrappers never leak between tests. */
export function freshWindow(url = 'https://shop.example.com/', options: { referrer?: string; html?: string } = {}) {
  const dom = new JSDOM(options.html || '<!doctype html><html><head></head><body></body></html>', {
    url,
    referrer: options.referrer,
  });
  return dom.window as unknown as Window & typeof globalThis;
}

/**
 * Makes `win`'s document report that it is still being parsed; the returned
 * function ends the parse (readyState "interactive", then DOMContentLoaded).
 */
export function stillParsing(win: Window & typeof globalThis): () => void {
  const setState = (state: DocumentReadyState) =>
    Object.defineProperty(win.document, 'readyState', { configurable: true, get: () => state });
  setState('loading');
  return () => {
    setState('interactive');
    win.document.dispatchEvent(new win.Event('DOMContentLoaded'));
  };
}

/** An in-memory `Storage`, keys kept in insertion order; `failSet` makes `setItem` throw. */
export function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map<string, string>(Object.entries(initial));
  const store = {
    failSet: undefined as (() => never) | undefined,
    get length() {
      return data.size;
    },
    key: (i: number) => [...data.keys()][i] ?? null,
    getItem: (key: string) => (data.has(key) ? data.get(key)! : null),
    setItem(key: string, value: string) {
      if (store.failSet) store.failSet();
      data.set(key, String(value));
    },
    removeItem: (key: string) => void data.delete(key),
    clear: () => data.clear(),
    /** Test-side view of the contents. */
    dump: () => Object.fromEntries(data),
  };
  return store;
}
export type MemoryStorage = ReturnType<typeof memoryStorage>;
export const asStorage = (s: MemoryStorage) => s as unknown as Storage;
/** The SDK's view of `storage` as a window's localStorage (`undefined`: as where it is blocked). */
export const localStoreOf = (storage: Storage | undefined) => localStore({ localStorage: storage } as unknown as Window);

export const quotaError = () => {
  throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
};

/**
 * A `document` with a cookie jar that records every string written to
 * `document.cookie` and, like browsers, refuses cookies on public suffixes.
 * `blocked` makes both the getter and the setter throw (sandboxed iframe).
 */
export function cookieDocument(
  hostname: string,
  protocol = 'https:',
  { blocked = false, swallowed = false, publicSuffixes = ['com', 'uk', 'co.uk', 'test'] } = {},
) {
  const jar = new Map<string, string>();
  const written: string[] = [];
  const doc = { location: { hostname, protocol }, written, jar } as unknown as Document & {
    written: string[];
    jar: Map<string, string>;
  };
  Object.defineProperty(doc, 'cookie', {
    get() {
      if (blocked) throw new DOMException('The operation is insecure.', 'SecurityError');
      return [...jar].map(([k, v]) => k + '=' + v).join('; ');
    },
    set(text: string) {
      if (blocked) throw new DOMException('The operation is insecure.', 'SecurityError');
      written.push(text);
      // A consent manager's setter that drops every write, and says nothing.
      if (swallowed) return;
      const [pair, ...attributes] = text.split(';');
      const at = pair.indexOf('=');
      const attr = (name: string) => {
        const found = attributes.find((a) => a.trim().toLowerCase().startsWith(name + '='));
        return found && found.slice(found.indexOf('=') + 1).trim();
      };
      const domain = attr('domain');
      if (domain && (publicSuffixes.includes(domain) || !('.' + hostname).endsWith('.' + domain))) return;
      if (attr('max-age') === '0') jar.delete(pair.slice(0, at));
      else jar.set(pair.slice(0, at), pair.slice(at + 1));
    },
  });
  return doc;
}

/** Deletes every cookie of the test environment's own document. */
export function clearCookies(doc: Document = document) {
  for (const pair of doc.cookie.split('; ')) {
    const name = pair.split('=')[0];
    if (name) doc.cookie = name + '=;path=/;max-age=0';
  }
}

/** Console warnings from the SDK (prefixed `[cio-track]`), console itself silenced. */
export function spyWarnings() {
  const spy: MockInstance = vi.spyOn(console, 'warn').mockImplementation(() => {});
  return {
    spy,
    /** Each SDK warning as one line of text. */
    lines: () =>
      spy.mock.calls.filter((args) => args[0] === '[cio-track]').map((args) => args.slice(1).map(String).join(' ')),
  };
}

/** Parsed request body of a `/v1/batch` request. */
export interface Body {
  writeKey: string;
  sentAt: string;
  batch: Record<string, any>[];
}

export const byteLength = (s: string) => new TextEncoder().encode(s).length;

/**
 * A Transport that answers each post with `respond(body)` (200 by default),
 * after `latency` ms when set, and records what was sent.
 */
export function fakeTransport(respond: (body: string, n: number) => Result = () => [200]) {
  const posts: { url: string; body: string; at: number }[] = [];
  const beacons: { url: string; body: string }[] = [];
  let active = 0;
  const t = {
    posts,
    beacons,
    maxConcurrent: 0,
    latency: 0,
    keepsAlive: () => true,
    beaconAccepts: true,
    post: vi.fn(async (url: string, body: string): Promise<Result> => {
      posts.push({ url, body, at: Date.now() });
      t.maxConcurrent = Math.max(t.maxConcurrent, ++active);
      if (t.latency) await new Promise((resolve) => setTimeout(resolve, t.latency));
      active--;
      return respond(body, posts.length);
    }),
    beacon: vi.fn((url: string, body: string) => {
      if (!t.beaconAccepts) return false;
      beacons.push({ url, body });
      return true;
    }),
    /** Messages (parsed) of every post, in order. */
    postedMessages: () => posts.flatMap((p) => (JSON.parse(p.body) as Body).batch),
    beaconedMessages: () => beacons.flatMap((p) => (JSON.parse(p.body) as Body).batch),
  };
  return t as typeof t & Transport;
}

/** A wire-message-like JSON text, unique per `n`, padded to about `size` characters. */
export function message(n: number, size = 200, pad = 'x'): string {
  const head = { type: 'track', messageId: 'M' + String(n).padStart(8, '0'), event: 'e' + n };
  const base = JSON.stringify({ ...head, properties: { pad: '' } });
  return JSON.stringify({ ...head, properties: { pad: pad.repeat(Math.max(0, size - base.length)) } });
}

/** A small seeded PRNG so that property-style loops are reproducible. */
export function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

/** What a queue holds, oldest first: request after request, each skipping those before. */
export const contents = (queue: Queue): string[] => {
  const all: string[] = [];
  for (let batch; (batch = queue.oldest(all)).length; ) all.push(...batch);
  return all;
};
