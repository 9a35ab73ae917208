/**
 * Consent in every engine (README, "Consent"): the real dist/track.js
 * through the real snippet, the real collector. Negative checks ("nothing
 * sent") wait a bounded time by the page's own clock, after the SDK has
 * proved it runs.
 */
import { describe, expect, it } from 'vitest';
import type { Tab } from './engines';
import { sdkLoaded, useEngineSuite } from './fixture';
import { byEvent, onSubdomain, pageHtml, waitFor, waitForEvents, type PageOptions, type WireMessage } from './harness';

const suite = useEngineSuite(() => '<!doctype html><html><head><title>no such test page</title></head></html>');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's global, untyped in the page
type Page = Window & { _cio: any };

/** Serves `path` with the snippet, and returns its URL. */
const serve = (path: string, opts: PageOptions = {}) => {
  suite.pages.set(path, pageHtml(opts));
  return suite.collector.url + path;
};

/** Opens `url` in a new tab (of `session`, or of a fresh one) and waits for the SDK. */
async function open(url: string, session?: Awaited<ReturnType<typeof suite.openPage>>['session']) {
  const opened = await suite.openPage(session);
  await opened.tab.goto(url);
  await sdkLoaded(opened.tab);
  return opened;
}

/** Everything a page could have stored: cookies, both storages, IndexedDB databases. */
const storedIn = (tab: Tab) =>
  tab.evaluate(async () => ({
    cookies: document.cookie.split('; ').filter(Boolean).map((c) => c.split('=')[0]).sort(),
    local: Object.keys(localStorage).sort(),
    session: Object.keys(sessionStorage).sort(),
    indexedDB: indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [],
  }));

const NOTHING = { cookies: [], local: [], session: [], indexedDB: [] };
const ONLY_DECISION = { cookies: ['_cioconsent'], local: ['_cioconsent'], session: [], indexedDB: [] };

/** Lets `ms` pass by the page's clock (timers run there, not here), then returns. */
async function pageWait(tab: Tab, ms: number) {
  const start = await tab.evaluate(() => performance.now());
  await waitFor(async () => (await tab.evaluate(() => performance.now())) - start > ms, `${ms} ms in the page`);
}

/** Past the batch window: had anything been going to leave, it would have. */
const BOUNDED = 2500;

const consentOf = (tab: Tab) => tab.evaluate(() => (window as unknown as Page)._cio.consent() as string);
const decide = (tab: Tab, state: string, categories?: Record<string, boolean>) =>
  tab.evaluate(([s, c]) => (window as unknown as Page)._cio.consent(s, c ?? undefined) as string, [state, categories ?? null] as const);
const track = (tab: Tab, name: string) => tab.evaluate((n) => (window as unknown as Page)._cio.track(n), name);

const at = (m: WireMessage) => Date.parse(m.timestamp);

describe('pending', () => {
  it('writes and sends nothing; the grant sends the held calls in order with their own times; the next page starts granted', async () => {
    const a = serve('/t/consent/a', {
      attrs: { 'data-consent': 'pending' },
      before: `_cio.track('held-1'); _cio.identify('u-consent', { plan: 'pro' }); _cio.track('held-2');`,
    });
    const { tab, session, errors } = await open(a);
    expect(await consentOf(tab)).toBe('pending');
    expect(await tab.evaluate(() => (window as unknown as Page)._cio.flush() as Promise<boolean>)).toBe(false);
    await pageWait(tab, BOUNDED);
    expect(suite.collector.store.requests()).toEqual([]);
    expect(await storedIn(tab)).toEqual(NOTHING);

    const grantedAt = await tab.evaluate(() => Date.now());
    expect(await decide(tab, 'granted', { analytics: true, advertising: false })).toBe('granted');
    const got = await waitForEvents(suite.collector, 4);
    expect(got.map((m) => [m.type, m.event ?? m.name ?? null, m.userId ?? null])).toEqual([
      ['track', 'held-1', null],
      ['identify', null, 'u-consent'],
      ['track', 'held-2', 'u-consent'],
      ['page', '/t/consent/a', 'u-consent'],
    ]);
    // Their own times, from before the grant, in call order.
    for (const m of got) expect(at(m)).toBeLessThan(grantedAt);
    expect(got.map(at)).toEqual([...got.map(at)].sort((x, y) => x - y));
    expect(new Set(got.map((m) => m.anonymousId)).size).toBe(1);
    for (const m of got) expect(m.context.consent).toEqual({ categoryPreferences: { analytics: true, advertising: false } });
    const stored = await storedIn(tab);
    expect(stored.cookies).toEqual(expect.arrayContaining(['_cioanonid', '_cioconsent', '_cioid']));

    // The next page of the site, still configured pending: the decision is remembered.
    const b = serve('/t/consent/b', { attrs: { 'data-consent': 'pending' } });
    const next = await open(b, session);
    expect(await consentOf(next.tab)).toBe('granted');
    const [page] = await waitForEvents(suite.collector, 1, (m) => m.type == 'page' && m.name == '/t/consent/b');
    expect(page.anonymousId).toBe(got[0].anonymousId);
    expect(page.userId).toBe('u-consent');
    expect(page.context.consent).toEqual({ categoryPreferences: { analytics: true, advertising: false } });
    expect(await errors()).toEqual([]);
    expect(await next.errors()).toEqual([]);
  });
});

describe('subdomains', () => {
  it('a decision on one subdomain reaches an open page of another when it is shown again, with the same IDs', async () => {
    // Two subdomains of one site, whose localStorage and storage events are their own; only the shared cookies connect them.
    const on = (host: string) => onSubdomain(serve(`/t/sibling/${host}`, { attrs: { 'data-consent': 'pending' } }), host, 'sibling');
    const www = await open(on('www'));
    const blog = await open(on('blog'), www.session);
    expect(await decide(www.tab, 'granted', { analytics: true })).toBe('granted');
    const [first] = await waitForEvents(suite.collector, 1, (m) => m.name == '/t/sibling/www');

    // No storage event crosses origins: the other page looks at the cookie when the visitor comes back to it.
    await blog.tab.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    const [held] = await waitForEvents(suite.collector, 1, (m) => m.name == '/t/sibling/blog');
    expect(await consentOf(blog.tab)).toBe('granted');
    expect(held.anonymousId).toBe(first.anonymousId);
    expect(held.context.consent).toEqual({ categoryPreferences: { analytics: true } });
    expect(await www.errors()).toEqual([]);
    expect(await blog.errors()).toEqual([]);
  });
});

describe('denied', () => {
  it('after a grant: deletes the IDs and the stored queue, and sends nothing more on this page or the next', async () => {
    const a = serve('/t/deny/a');
    const { tab, session } = await open(a);
    await waitForEvents(suite.collector, 1, (m) => m.type == 'page');
    await tab.evaluate(() => (window as unknown as Page)._cio.identify('u-deny'));
    await waitForEvents(suite.collector, 1, (m) => m.type == 'identify');
    // The endpoint fails, so the next event waits in the stored queue.
    suite.collector.fault({ status: 503, count: 1000 });
    await track(tab, 'stuck');
    await waitFor(
      () => tab.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('_cioq_') && localStorage.getItem(k)!.includes('stuck'))),
      'the stuck event in the stored queue',
    );
    expect(await decide(tab, 'denied')).toBe('denied');
    expect(await storedIn(tab)).toEqual(ONLY_DECISION);
    suite.collector.clearFaults();
    await track(tab, 'after-denial');
    expect(await tab.evaluate(() => (window as unknown as Page)._cio.flush() as Promise<boolean>)).toBe(false);
    await pageWait(tab, BOUNDED);
    expect(await storedIn(tab)).toEqual(ONLY_DECISION);

    const next = await open(serve('/t/deny/b'), session);
    expect(await consentOf(next.tab)).toBe('denied');
    await track(next.tab, 'next-page');
    await pageWait(next.tab, BOUNDED);
    const names = suite.collector.store.events().map((m) => m.event ?? m.name);
    expect(names).not.toContain('stuck');
    expect(names).not.toContain('after-denial');
    expect(names).not.toContain('next-page');
    expect(names).not.toContain('/t/deny/b');
    expect(await storedIn(next.tab)).toEqual(ONLY_DECISION);
  });

  it('data-respect-gpc: Global Privacy Control starts denied and deletes IDs left from before', async () => {
    const { tab } = await open(serve('/t/gpc/plain', { attrs: { 'data-respect-gpc': 'true' } }));
    // The control: without GPC the page event goes, and leaves an ID.
    await waitForEvents(suite.collector, 1, (m) => m.type == 'page' && m.name == '/t/gpc/plain');
    expect((await storedIn(tab)).cookies).toContain('_cioanonid');
    const gpc = serve('/t/gpc/on', {
      attrs: { 'data-respect-gpc': 'true' },
      // What a browser with GPC switched on reports.
      before: `Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { configurable: true, get: function () { return true; } });`,
    });
    // The same tab goes on to the next page: GPC is the browser's, so no other tab of the site would still be granted.
    await tab.goto(gpc);
    await sdkLoaded(tab);
    expect(await consentOf(tab)).toBe('denied');
    await track(tab, 'gpc-track');
    await pageWait(tab, BOUNDED);
    expect(suite.collector.store.events().filter((m) => m.event == 'gpc-track' || m.name == '/t/gpc/on')).toEqual([]);
    expect(await storedIn(tab)).toEqual(NOTHING);
  });

  it('data-consent-denied="anonymous": cookieless events, a fresh ID per page, no identify, nothing stored', async () => {
    const url = serve('/t/anon/a', {
      attrs: { 'data-consent': 'denied', 'data-consent-denied': 'anonymous' },
      before: `_cio.identify('u-anon'); _cio.track('anon-event');`,
    });
    const { tab } = await open(url);
    const [event] = await waitForEvents(suite.collector, 1, byEvent('anon-event'));
    const [page] = await waitForEvents(suite.collector, 1, (m) => m.type == 'page');
    expect(page.anonymousId).toBe(event.anonymousId);
    expect([event.userId, page.userId]).toEqual([undefined, undefined]);
    expect(await storedIn(tab)).toEqual(NOTHING);

    await tab.reload();
    await sdkLoaded(tab);
    await waitForEvents(suite.collector, 2, (m) => m.type == 'page');
    const again = await waitForEvents(suite.collector, 2, byEvent('anon-event'));
    expect(again[1].anonymousId).not.toBe(event.anonymousId);
    expect(suite.collector.store.events().filter((m) => m.type == 'identify')).toEqual([]);
    expect(await storedIn(tab)).toEqual(NOTHING);
  });
});

describe('the classic Customer.io snippet', () => {
  it("_cio.push(['consent', …]) queued before load is replayed in order with the other calls", async () => {
    const url = serve('/t/classic-consent', {
      classic: true,
      before: `_cio.track('before-consent'); _cio.push(['consent', 'granted', { analytics: true }]); _cio.track('after-consent');`,
    });
    const { tab, errors } = await open(url);
    const [before] = await waitForEvents(suite.collector, 1, byEvent('before-consent'));
    const [after] = await waitForEvents(suite.collector, 1, byEvent('after-consent'));
    expect(before.context.consent).toBeUndefined();
    expect(after.context.consent).toEqual({ categoryPreferences: { analytics: true } });
    expect(await consentOf(tab)).toBe('granted');
    expect(await errors()).toEqual([]);
  });
});

describe('other tabs', () => {
  it('a second open tab follows a withdrawal at once and writes nothing back', async () => {
    const first = await open(serve('/t/tabs/a'));
    const second = await open(serve('/t/tabs/b'), first.session);
    await waitForEvents(suite.collector, 2, (m) => m.type == 'page');
    expect(await decide(first.tab, 'denied')).toBe('denied');
    await waitFor(async () => (await consentOf(second.tab)) == 'denied', 'the second tab to hear the denial');
    await track(second.tab, 'from-second');
    await pageWait(second.tab, BOUNDED);
    expect(suite.collector.store.events().filter(byEvent('from-second'))).toEqual([]);
    expect(await storedIn(second.tab)).toEqual(ONLY_DECISION);
  });
});
