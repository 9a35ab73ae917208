import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTime, isValid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import pkg from '../../package.json';
import { classicSnippet } from '../fixtures/classic-snippet';
import { clearCookies, ISO_RE, spyWarnings, type Body } from './helpers';

type Cio = unknown[] & Record<string, any>;
/** The page's `window._cio`. */
const host = window as unknown as { _cio?: Cio };

const SNIPPET = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../snippet/snippet.js'), 'utf8');
const SRC = 'http://collector.test/track.js';
const SITE = 'site-123';

/**
 * The classic Customer.io snippet (test/fixtures/classic-snippet.ts). It is run
 * through `new Function` below, where its top-level `var _cio` would be a local:
 * so `_cio` is declared on `window`, as a page's top-level `var` is.
 */
const CLASSIC_SNIPPET = classicSnippet(SITE, SRC).replace('var _cio = _cio || [];', 'window._cio = window._cio || [];');

let fetch: Mock;
let warnings: ReturnType<typeof spyWarnings>;

/**
 * Runs this project's snippet as a page would (jsdom does not load the
 * script it inserts), then sets the loader's attributes: `null` removes one.
 */
function pasteSnippet(attributes: Record<string, string | null> = {}) {
  new Function(SNIPPET)();
  const script = document.getElementById('cio-tracker')!;
  const all = { 'data-site-id': SITE, src: SRC, ...attributes };
  for (const [name, value] of Object.entries(all))
    if (value == null) script.removeAttribute(name);
    else script.setAttribute(name, value);
  return host._cio!;
}

/** What track.js does when it arrives. */
const loadSdk = () => import('../../src/auto');

/** Lets the SDK's timers run (batch wait, write-behind) and its requests settle. */
const settle = (ms = 1000) => vi.advanceTimersByTimeAsync(ms);

const bodies = () => fetch.mock.calls.map(([, init]) => JSON.parse((init as RequestInit).body as string) as Body);
const sent = () => bodies().flatMap((body) => body.batch);

beforeEach(() => {
  vi.resetModules();
  vi.useFakeTimers({ now: Date.UTC(2025, 5, 1, 12) });
  delete host._cio;
  document.head.innerHTML = '';
  document.body.innerHTML = '';
  document.title = 'Item page';
  clearCookies();
  localStorage.clear();
  history.replaceState(null, '', '/shop/item?color=red&size=m&size=l');
  fetch = vi.fn(async () => new Response('{}'));
  window.fetch = fetch as unknown as typeof window.fetch;
  warnings = spyWarnings();
});
afterEach(() => {
  // Undo data-auto-track-spa's wrapping of the shared window's history.
  delete (history as Partial<History>).pushState;
  delete (history as Partial<History>).replaceState;
  vi.clearAllTimers();
  vi.useRealTimers();
  vi.restoreAllMocks();
  history.replaceState(null, '', '/');
});

describe('auto.ts (the script the snippet loads)', () => {
  it('replays the queued calls in order, then sends the page view', async () => {
    const cio = pasteSnippet();
    cio.track('Before login', { step: 1 });
    cio.identify('user-1', { plan: 'pro' });
    cio.track('After login');
    cio.page('Custom page', { a: 1 });
    await loadSdk();
    await settle();
    expect(fetch).toHaveBeenCalledTimes(1);
    const messages = sent();
    expect(messages.map((m) => [m.type, m.event || m.name || m.userId])).toEqual([
      ['track', 'Before login'],
      ['identify', 'user-1'],
      ['track', 'After login'],
      ['page', 'Custom page'],
      ['page', '/shop/item'],
    ]);
    expect(messages[0].properties).toEqual({ step: 1 });
    expect(messages[0].userId).toBeUndefined();
    expect(messages[1].traits).toEqual({ plan: 'pro' });
    expect(messages.slice(1).every((m) => m.userId == 'user-1')).toBe(true);
    expect(new Set(messages.map((m) => m.anonymousId)).size).toBe(1);
    expect(new Set(messages.map((m) => m.messageId)).size).toBe(5);
    expect(warnings.lines()).toEqual([]);
  });

  it('sends the page view with the query parameters, arrays reshaped by default', async () => {
    pasteSnippet({ 'data-use-array-params': null });
    await loadSdk();
    await settle();
    const [page] = sent();
    expect(page).toMatchObject({ type: 'page', name: '/shop/item' });
    expect(page.properties).toEqual({ color: 'red', size: { 0: 'm', 1: 'l' } });
  });

  it('keeps the arrays with data-use-array-params="true"', async () => {
    pasteSnippet({ 'data-use-array-params': 'true' });
    await loadSdk();
    await settle();
    expect(sent()[0].properties).toEqual({ color: 'red', size: ['m', 'l'] });
  });

  it('POSTs {writeKey, sentAt, batch} to <src origin>/v1/batch with every message field', async () => {
    history.replaceState(null, '', '/landing?utm_source=ads&utm_campaign=summer&utm_medium=cpc&ref=x');
    pasteSnippet();
    await loadSdk();
    await settle();
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('http://collector.test/v1/batch');
    expect(init).toMatchObject({ method: 'POST', credentials: 'omit' });
    expect(typeof init.body).toBe('string');
    const body = JSON.parse(init.body as string) as Body;
    expect(Object.keys(body)).toEqual(['writeKey', 'sentAt', 'batch']);
    expect(body.writeKey).toBe(SITE);
    expect(body.sentAt).toMatch(ISO_RE);
    const [page] = body.batch;
    expect(page).toEqual({
      type: 'page',
      name: '/landing',
      messageId: expect.any(String),
      timestamp: '2025-06-01T12:00:00.000Z',
      anonymousId: expect.any(String),
      properties: { utm_source: 'ads', utm_campaign: 'summer', utm_medium: 'cpc', ref: 'x' },
      context: {
        library: { name: 'cio-track', version: pkg.version },
        page: {
          path: '/landing',
          url: location.href,
          search: location.search,
          title: 'Item page',
          referrer: document.referrer,
        },
        userAgent: navigator.userAgent,
        locale: navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        screen: { width: screen.width, height: screen.height },
        campaign: { source: 'ads', name: 'summer', medium: 'cpc' },
      },
    });
    expect(isValid(page.messageId)).toBe(true);
    expect(decodeTime(page.messageId)).toBe(Date.UTC(2025, 5, 1, 12));
    expect(isValid(page.anonymousId)).toBe(true);
  });

  it('keeps the same _cio array, emptied, with working track and push afterwards', async () => {
    const cio = pasteSnippet();
    cio.track('queued');
    await loadSdk();
    expect(host._cio).toBe(cio);
    expect(cio.length).toBe(0);
    expect(cio.version).toBe(pkg.version);
    host._cio!.track('direct', { via: 'method' });
    host._cio!.push(['track', 'pushed', { via: 'push' }], ['page', 'Pushed page']);
    await settle();
    expect(sent().map((m) => m.event || m.name)).toEqual(['queued', '/shop/item', 'direct', 'pushed', 'Pushed page']);
    expect(sent()[3].properties).toEqual({ via: 'push' });
    expect(cio.length).toBe(0);
  });

  it('changes nothing when loaded twice', async () => {
    const cio = pasteSnippet();
    await loadSdk();
    const track = cio.track;
    vi.resetModules();
    await loadSdk();
    expect(host._cio).toBe(cio);
    expect(cio.track).toBe(track);
    await settle();
    expect(sent().filter((m) => m.type == 'page')).toHaveLength(1);
    // Running the snippet again does not replace the real methods either.
    new Function(SNIPPET)();
    expect(cio.track).toBe(track);
    cio.track('once');
    await settle();
    expect(sent().filter((m) => m.event == 'once')).toHaveLength(1);
  });

  it('sends no page view with data-auto-track-page="false"', async () => {
    const cio = pasteSnippet({ 'data-auto-track-page': 'false' });
    await loadSdk();
    await settle(5000);
    expect(fetch).not.toHaveBeenCalled();
    cio.track('only this');
    await settle();
    expect(sent().map((m) => m.event || m.name)).toEqual(['only this']);
  });

  it('warns once and sends nothing without data-site-id', async () => {
    const cio = pasteSnippet({ 'data-site-id': null });
    cio.track('queued');
    await loadSdk();
    expect(() => cio.track('after', { a: 1 })).not.toThrow();
    await expect(cio.flush()).resolves.toBe(true);
    await settle(10_000);
    expect(fetch).not.toHaveBeenCalled();
    expect(warnings.lines()).toHaveLength(1);
    expect(warnings.lines()[0]).toMatch(/data-site-id/);
  });

  it('sends to data-endpoint when given', async () => {
    pasteSnippet({ 'data-endpoint': 'https://ingest.example.net/api/' });
    await loadSdk();
    await settle();
    expect(fetch.mock.calls[0][0]).toBe('https://ingest.example.net/api/v1/batch');
  });

  it('tells `on` listeners registered before load about ready and sent batches', async () => {
    const cio = pasteSnippet();
    const ready = vi.fn();
    const sentBatches: unknown[] = [];
    cio.on('ready', ready);
    cio.on('sent', (batch: unknown) => sentBatches.push(batch));
    await loadSdk();
    await settle();
    expect(ready).toHaveBeenCalledTimes(1);
    expect(sentBatches).toHaveLength(1);
    expect(sentBatches[0]).toEqual(sent());
  });

  it('flush() resolves true once what waits is delivered', async () => {
    const cio = pasteSnippet();
    await loadSdk();
    cio.track('now');
    const done = vi.fn();
    cio.flush().then(done);
    await settle(0);
    expect(sent().map((m) => m.event || m.name)).toEqual(['/shop/item', 'now']);
    expect(done).toHaveBeenCalledWith(true);
  });

  it('warns about bad push commands without throwing', async () => {
    const cio = pasteSnippet();
    await loadSdk();
    expect(() => cio.push('track', 42, ['nope'], ['load', 'x'])).not.toThrow();
    expect(warnings.lines()).toHaveLength(3);
    await settle();
    expect(sent().map((m) => m.name)).toEqual(['/shop/item']);
  });

  it('tells `error` listeners about a message dropped for its size', async () => {
    const cio = pasteSnippet();
    await loadSdk();
    const errors: unknown[] = [];
    cio.on('error', (error: unknown) => errors.push(error));
    cio.track('huge', { blob: 'x'.repeat(40_000) });
    expect(errors).toEqual([{ status: 0, reason: expect.stringMatching(/32 KB/), dropped: 1 }]);
    await settle();
    expect(sent().map((m) => m.event || m.name)).toEqual(['/shop/item']);
  });

  it('logs calls and requests with data-debug="true"', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const cio = pasteSnippet({ 'data-debug': 'true' });
    await loadSdk();
    cio.track('debugged');
    await settle();
    const lines = log.mock.calls
      .filter((args) => args[0] == '[cio-track]')
      .map((args) => args.filter((arg) => typeof arg == 'string').join(' '));
    expect(lines.some((line) => line.includes('track'))).toBe(true);
    expect(lines.some((line) => line.includes('http://collector.test/v1/batch'))).toBe(true);
  });

  it('logs nothing without data-debug', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    pasteSnippet();
    await loadSdk();
    await settle();
    expect(log).not.toHaveBeenCalled();
  });

  it('sends a page view on History API navigation with data-auto-track-spa="true"', async () => {
    pasteSnippet({ 'data-auto-track-spa': 'true' });
    await loadSdk();
    history.pushState(null, '', '/shop/cart?coupon=X');
    history.replaceState(null, '', '/shop/cart?coupon=X#top');
    await settle();
    expect(sent().map((m) => [m.name, m.properties])).toEqual([
      ['/shop/item', { color: 'red', size: ['m', 'l'] }],
      ['/shop/cart', { coupon: 'X' }],
    ]);
  });

  it('does not watch the History API by default', async () => {
    pasteSnippet();
    await loadSdk();
    history.pushState(null, '', '/elsewhere');
    await settle();
    expect(sent().map((m) => m.name)).toEqual(['/shop/item']);
  });

  it('sends on the next load what was still waiting when the page closed', async () => {
    const cio = pasteSnippet();
    await loadSdk();
    await settle(0);
    // The page view went at once; the next call waits out the batch window after that request.
    expect(sent().map((m) => m.name)).toEqual(['/shop/item']);
    cio.track('before close');
    // The page goes away before the batch timer; jsdom has no sendBeacon.
    window.dispatchEvent(new Event('pagehide'));
    vi.clearAllTimers();
    expect(fetch).toHaveBeenCalledTimes(1);

    // Next page load.
    vi.resetModules();
    delete host._cio;
    document.head.innerHTML = '';
    const next = pasteSnippet({ 'data-auto-track-page': 'false' });
    await loadSdk();
    await settle(1000);
    expect(sent().map((m) => m.event || m.name)).toEqual(['/shop/item', 'before close']);
    expect(new Set(sent().map((m) => m.anonymousId)).size).toBe(1);
    next.track('later');
    await settle();
    expect(sent().filter((m) => m.event == 'before close')).toHaveLength(1);
  });

  it('works with the classic Customer.io snippet', async () => {
    document.head.innerHTML = '<script></script>';
    new Function(CLASSIC_SNIPPET)();
    const cio = host._cio!;
    cio.identify({ id: 'classic-user', email: 'c@example.com', created_at: 1700000000 });
    cio.track('classic', { list: [1, 2] });
    await loadSdk();
    expect(host._cio).toBe(cio);
    await settle();
    const messages = sent();
    expect(messages.map((m) => m.type)).toEqual(['identify', 'track', 'page']);
    expect(messages[0]).toMatchObject({
      userId: 'classic-user',
      traits: { email: 'c@example.com', created_at: 1700000000 },
    });
    expect(messages[1].properties).toEqual({ list: [1, 2] });
    expect(messages[2].properties).toEqual({ color: 'red', size: ['m', 'l'] });
    expect(bodies()[0].writeKey).toBe(SITE);
  });
});
