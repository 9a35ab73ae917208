/**
 * Shared by the engine-neutral host-page scenarios (hostile.test.ts,
 * host-pages.test.ts): pages built from the real snippet and the script
 * fixtures of test/fixtures/pages (served under /t/fixtures/, the real
 * libraries under /t/npm/), and what every such page must deliver.
 */
import { expect } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import { byEvent, SITE, waitForEvents, type Collector, type WireMessage } from './harness';

/** A `<script src>` of a fixture (`/t/fixtures/<name>`) or a package file (`/t/npm/<path>`), with extra attributes. */
export const script = (src: string, attrs: Record<string, string> = {}) =>
  `<script src="${src}"${Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${v}"`)
    .join('')}></script>`;
export const fixture = (name: string, attrs?: Record<string, string>) => script(`/t/fixtures/${name}`, attrs);
export const npm = (path: string) => script(`/t/npm/${path}`);

export interface HostPage {
  /** Scripts of the page that run before the snippet: its libraries and shims. */
  before?: string;
  /** After the snippet in <head>: by default the host app (test/fixtures/pages/host-app.js). */
  after?: string;
  /** Loader attributes, e.g. `{ 'data-auto-track-spa': 'true' }`. */
  attrs?: Record<string, string>;
  title?: string;
  body?: string;
  /** The snippet goes at the end of <body> rather than in <head>. */
  snippetInBody?: boolean;
}

/** A page with the real snippet; the libraries first, as on the sites that have them. */
export function hostPage({ before = '', after = fixture('host-app.js'), attrs = {}, title = 'host page', body = '<h1>host</h1>', snippetInBody = false }: HostPage = {}): string {
  const snippet = `<script>${renderSnippet({ siteId: SITE, src: '/track.js', attrs })}</script>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${before}${snippetInBody ? '' : snippet}${after}</head>
<body>${body}${snippetInBody ? snippet : ''}</body></html>`;
}

/** One message named `name`, waited for with a deadline. */
export async function arrived(collector: Collector, name: string): Promise<WireMessage> {
  const [m] = await waitForEvents(collector, 1, byEvent(name));
  return m;
}

/**
 * Every request the collector answered was accepted whole (but those it
 * failed on purpose, `collector.fault`): valid JSON, every message valid, no
 * messageId twice (unless `duplicatesAllowed`: at-least-once delivery).
 */
export function expectCleanWire(collector: Collector, duplicatesAllowed = false) {
  const bad = collector.store.requests().filter((r) => !r.fault && (r.status !== 200 || r.rejected > 0));
  expect(bad, 'requests not accepted whole').toEqual([]);
  expect(collector.store.rejected(), 'messages the collector rejected').toEqual([]);
  if (!duplicatesAllowed) expect(collector.store.duplicates(), 'duplicate messageIds').toEqual([]);
}

/** What host-app.js's `host-types` event carries, converted as JSON would. */
export const HOST_TYPES = {
  when: '2020-01-02T03:04:05.678Z',
  epoch: '1970-01-01T00:00:00.000Z',
  set: [1, 'a', [2]],
  map: { k: 1, nested: ['v'] },
  list: [1, [2, 'x']],
  bytes: [1, 2],
  boxed: 'boxed',
  n: 1.5,
  s: 'text',
  nested: { ok: true, at: ['1970-01-01T00:00:00.000Z'] },
};

/**
 * Every call of host-app.js arrived, exact, for one visitor, with the
 * automatic page event of `path`; returns that page event.
 */
export async function expectHostApp(collector: Collector, path: string): Promise<WireMessage> {
  const [auto] = await waitForEvents(collector, 1, (m) => m.type === 'page' && m.name === path);
  const a = await arrived(collector, 'host-a');
  expect(a.properties).toEqual({ list: [1, 2, { x: [3] }], n: 1, s: 'text' });
  const types = await arrived(collector, 'host-types');
  expect(types.properties).toEqual(HOST_TYPES);
  const b = await arrived(collector, 'host-b');
  expect(b.userId).toBe('host-user');
  expect(b.anonymousId).toBe(auto.anonymousId);
  expect(a.anonymousId).toBe(auto.anonymousId);
  const flushed = await arrived(collector, 'host-flushed');
  expect(flushed.properties).toEqual({ ok: true });
  const [identify] = await waitForEvents(collector, 1, (m) => m.type === 'identify' && m.userId === 'host-user');
  expect(identify.traits).toEqual({ created_at: '1970-01-01T00:00:00.000Z' });
  return auto;
}
