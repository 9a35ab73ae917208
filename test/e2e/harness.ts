/**
 * End-to-end harness: the real collector (collector/server.mjs) on a free
 * port with a data folder of its own, the test pages it serves (the real
 * snippet pasted in, loading the real built dist/track.js), and polling
 * with a deadline. The engines and the per-test fixture are engines.ts and
 * fixture.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT as ROOT } from '../../collector/root.mjs';
import { startCollector } from '../../collector/server.mjs';
import { renderSnippet } from '../../collector/snippet.mjs';
import type { Message } from '../../src/types';
import { classicSnippet } from '../fixtures/classic-snippet';

export { ROOT };
export const SITE = 'e2e-site';

/** A message as the collector stored it: the SDK's `Message`, its `context` read field by field. */
export interface WireMessage extends Omit<Message, 'type' | 'context'> {
  type: string;
  context: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- wire JSON, checked field by field
}

export interface BatchRequest {
  at: number;
  status: number;
  count: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  bytes: number;
  /** Made by sendBeacon (Sec-Fetch-Mode: no-cors). */
  beacon: boolean;
  method: string;
  url: string;
  /** As Node reports them: lower-case names. */
  headers: Record<string, string | undefined>;
  /** From a body that parsed: its writeKey and sentAt, its top-level keys in order. */
  writeKey?: string;
  sentAt?: string;
  fields?: string[];
  /** What it carried, message by message, also when it failed. */
  carried?: { messageId?: string; type?: string; event?: string; name?: string }[];
  /** The fault injected into this request (`Collector.fault`), if any. */
  fault?: object;
}

export interface Collector {
  url: string;
  port: number;
  close(): Promise<void>;
  fault(spec: { status?: number; count?: number; retryAfter?: number | string; latencyMs?: number; drop?: boolean }): void;
  clearFaults(): void;
  /** Extra pages: the handler returns HTML for a URL, or undefined to fall through. */
  setPages(handler: ((url: URL) => string | { html: string; headers: Record<string, string> } | undefined) | undefined): void;
  store: {
    events(): WireMessage[];
    requests(): BatchRequest[];
    duplicates(): string[];
    rejected(): { message: unknown; reason: string }[];
    clear(): void;
  };
}


/** The collector on a free port with a data folder of its own. */
export async function launchCollector(): Promise<Collector & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cio-e2e-'));
  const collector = await startCollector({ port: 0, dataDir, root: ROOT });
  const close = collector.close.bind(collector);
  return Object.assign(collector, {
    dataDir,
    close: async () => {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export interface PageOptions {
  siteId?: string | null;
  /** Extra data-* attributes on the loader script, e.g. `{ 'data-auto-track-page': 'false' }`. */
  attrs?: Record<string, string>;
  /** Script run right after the snippet, before track.js loads (stub calls). */
  before?: string;
  head?: string;
  body?: string;
  /** Use the classic Customer.io snippet, verbatim but for its src. */
  classic?: boolean;
  title?: string;
  /** Where the snippet loads track.js from; `/track.js` (the collector's) unless given. */
  src?: string;
}

export function pageHtml(opts: PageOptions = {}): string {
  const siteId = opts.siteId === undefined ? SITE : opts.siteId;
  const src = opts.src || '/track.js';
  const snippet = opts.classic
    ? classicSnippet(siteId || '', src)
    : renderSnippet({ siteId: siteId || '', src, attrs: opts.attrs || {} });
  return `<!doctype html><html><head><meta charset="utf-8"><title>${opts.title || 'e2e page'}</title>
<script>${snippet}</script>${opts.before ? `<script>${opts.before}</script>` : ''}${opts.head || ''}</head>
<body>${opts.body || '<h1>e2e</h1>'}</body></html>`;
}

/**
 * `url` on the host `<sub>.<site>.localhost`: the browsers resolve every *.localhost name to this
 * machine, so one collector serves the subdomains of a site, each an origin of its own.
 */
export function onSubdomain(url: string, sub: string, site: string): string {
  const at = new URL(url);
  at.hostname = `${sub}.${site}.localhost`;
  return at.href;
}

/** The messageIds the requests carried, request after request. */
export const carriedIds = (requests: BatchRequest[]) => requests.flatMap((r) => (r.carried ?? []).map((c) => c.messageId));

/** Matches the track named `name`. */
export const byEvent = (name: string) => (m: WireMessage) => m.type === 'track' && m.event === name;

/** Polls `fn` until it returns a truthy value; a busy machine makes this slower, never flaky. */
export async function waitFor<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeout = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Waits until the collector holds at least `count` messages matching `match`. */
export function waitForEvents(
  collector: Collector,
  count: number,
  match: (m: WireMessage) => boolean = () => true,
  timeout?: number,
): Promise<WireMessage[]> {
  return waitFor(
    () => {
      const found = collector.store.events().filter(match);
      return found.length >= count ? found : undefined;
    },
    `${count} matching events at the collector`,
    timeout,
  );
}

/** Ids of the stored messages, with how many times each id was stored (must be 1). */
export function countIds(messages: WireMessage[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (const m of messages) ids.set(m.messageId, (ids.get(m.messageId) || 0) + 1);
  return ids;
}
