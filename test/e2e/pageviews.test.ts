/**
 * Page views that match what a person saw (README, "Page views"): a page
 * restored from the back/forward cache is counted again, marked restored,
 * with identity read again; a single-page app's page events carry the title
 * the app set after navigating, once per navigation. Every engine (Chromium
 * with its back/forward cache left on, pages served without `no-store`), the
 * real dist/track.js through the real snippet, the real collector.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tab } from './engines';
import { sdkLoaded, useEngineSuite } from './fixture';
import { arrived, expectCleanWire, fixture, hostPage } from './host-helpers';
import { ROOT, waitFor, waitForEvents, type WireMessage } from './harness';
import type { W } from './page-globals';

const suite = useEngineSuite(() => hostPage({ after: '' }), { bfcache: true });

/** Cacheable: Chromium keeps no page served with `Cache-Control: no-store` (the collector's default) in the back/forward cache. */
const CACHEABLE = { 'Cache-Control': 'private, max-age=0' };

const pagesOf = (path: string) => suite.collector.store.events().filter((m) => m.type === 'page' && m.name === path);

/** Fails if `found()` turns true within `ms`: the bounded wait of a negative check, after a positive control. */
async function stillNone(found: () => unknown, what: string, ms = 1500) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    expect(found(), what).toBeFalsy();
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('back/forward cache', () => {
  it('dist/track.js adds no unload or beforeunload listener (they keep pages out of the cache)', () => {
    const code = readFileSync(join(ROOT, 'dist', 'track.js'), 'utf8');
    expect(code).toMatch(/pagehide/);
    expect(code).not.toMatch(/unload/);
  });

  it('a page restored from the cache sends a page event, marked restored, with identity read again', async () => {
    const a = '/t/bf-a?from=ad';
    suite.pages.set('/t/bf-a', { html: hostPage({ before: fixture('pageshow-probe.js'), after: '', title: 'Page A' }), headers: CACHEABLE });
    suite.pages.set('/t/bf-b', { html: hostPage({ after: '', title: 'Page B' }), headers: CACHEABLE });
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + a);
    const [load] = await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/bf-a');
    expect(load.context.page.restored).toBeUndefined();
    expect(await tab.evaluate(() => (window as unknown as W)._cio.flush())).toBe(true);
    expect(await errors()).toEqual([]);

    // Elsewhere on the site the visitor logs in; then the back button.
    await tab.goto(suite.collector.url + '/t/bf-b');
    await tab.evaluate(() => (window as unknown as W)._cio.identify('bf-user'));
    await waitForEvents(suite.collector, 1, (m) => m.type === 'identify' && m.userId === 'bf-user');
    await tab.back();
    await waitFor(() => pagesOf('/t/bf-a').length >= 2 || undefined, 'the page event of the restore');
    // It was a restore, not a new load (the page's own pageshow listener says so).
    expect(await tab.evaluate(() => (window as unknown as W).pageshows)).toEqual([false, true]);
    const restore = pagesOf('/t/bf-a')[1];
    expect(restore.properties).toEqual(load.properties);
    expect(restore.properties).toEqual({ from: 'ad' });
    expect(restore.context.page).toEqual({ ...load.context.page, restored: true });
    expect(restore.anonymousId).toBe(load.anonymousId);
    expect(restore.userId).toBe('bf-user');
    expect(restore.messageId).not.toBe(load.messageId);

    // The SDK carries on, with the visitor as they are now, and counted the restore once.
    await tab.evaluate(() => (window as unknown as W)._cio.track('after-restore'));
    const after = await arrived(suite.collector, 'after-restore');
    expect(after.userId).toBe('bf-user');
    expect(after.context.page.restored).toBeUndefined();
    expect(pagesOf('/t/bf-a')).toHaveLength(2);
    expectCleanWire(suite.collector);
    expect(await errors()).toEqual([]);
  });

  it('on a page that waited for consent, the restore’s page event goes by request and is heard as sent', async () => {
    // Delivery starts at the grant, after the page view's own pageshow listener was added: the
    // restore must still find delivery back (not gone, as at pagehide) when its page event arrives.
    suite.pages.set('/t/bf-pending', {
      html: hostPage({ attrs: { 'data-consent': 'pending' }, before: fixture('pageshow-probe.js'), after: fixture('sent-probe.js') }),
      headers: CACHEABLE,
    });
    suite.pages.set('/t/bf-elsewhere', { html: hostPage({ after: '' }), headers: CACHEABLE });
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + '/t/bf-pending');
    await sdkLoaded(tab);
    expect(await tab.evaluate(() => (window as unknown as W)._cio.consent('granted'))).toBe('granted');
    const [load] = await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/bf-pending');
    const sentHere = () => tab.evaluate(() => (window as unknown as W).sent);
    await waitFor(async () => (await sentHere()).includes(load.messageId) || undefined, 'the load’s page event heard as sent');

    await tab.goto(suite.collector.url + '/t/bf-elsewhere');
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/bf-elsewhere');
    await tab.back();
    await waitFor(() => pagesOf('/t/bf-pending').length >= 2 || undefined, 'the page event of the restore');
    expect(await tab.evaluate(() => (window as unknown as W).pageshows)).toEqual([false, true]);
    const restore = pagesOf('/t/bf-pending')[1];
    expect(restore.context.page.restored).toBe(true);
    await waitFor(async () => (await sentHere()).includes(restore.messageId) || undefined, 'the restore’s page event heard as sent');
    expectCleanWire(suite.collector);
    expect(await errors()).toEqual([]);
  });
});

describe('single-page app (data-auto-track-spa="true")', () => {
  const SPA = { attrs: { 'data-auto-track-spa': 'true' }, after: fixture('spa-app.js'), title: 'Home' };
  const pageViews = () =>
    suite.collector.store
      .events()
      .filter((m: WireMessage) => m.type === 'page')
      .map((m) => [m.name, m.context.page.title]);

  async function openSpa(path: string): Promise<Tab> {
    suite.pages.set(path, hostPage(SPA));
    const { tab } = await suite.openPage();
    await tab.goto(suite.collector.url + path);
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
    return tab;
  }

  it('the page event carries the title the app sets after changing the URL', async () => {
    const tab = await openSpa('/t/spa-title');
    await tab.evaluate(() => (window as unknown as W).app.go('/t/spa-title/pricing', 'Pricing'));
    await waitFor(() => pageViews().length >= 2 || undefined, 'the page event of the navigation');
    expect(pageViews()).toEqual([
      ['/t/spa-title', 'Home'],
      ['/t/spa-title/pricing', 'Pricing'],
    ]);
  });

  it('a pushState to the URL already current sends nothing', async () => {
    const tab = await openSpa('/t/spa-same');
    await tab.evaluate(() => {
      history.pushState({ again: 1 }, '', location.href);
      history.replaceState({ again: 2 }, '', location.pathname);
      (window as unknown as W)._cio.track('control');
    });
    await arrived(suite.collector, 'control');
    await stillNone(() => pageViews().length > 1, 'a page event for the same URL');
    expect(pageViews()).toEqual([['/t/spa-same', 'Home']]);
  });

  it('popstate and hashchange of one navigation give one page event; a hash alone gives none', async () => {
    const tab = await openSpa('/t/spa-back');
    await tab.evaluate(() => history.replaceState(null, '', '#top'));
    await tab.evaluate(() => (window as unknown as W).app.go('/t/spa-back/b#section', 'B'));
    await waitFor(() => pageViews().length >= 2 || undefined, 'the page event of the navigation');
    // Back: the path and the hash change (popstate, and in some engines hashchange too).
    await tab.evaluate(() => history.back());
    await waitFor(() => pageViews().length >= 3 || undefined, 'the page event of the way back');
    // A hash alone (popstate and hashchange both), then a control: nothing more.
    await tab.evaluate(() => {
      location.hash = 'elsewhere';
    });
    await waitFor(() => tab.evaluate(() => (window as unknown as W).navEvents.includes('hashchange') || undefined), 'the hashchange');
    await tab.evaluate(() => (window as unknown as W)._cio.track('control'));
    await arrived(suite.collector, 'control');
    await stillNone(() => pageViews().length > 3, 'a page event for the hash or a second one for the way back');
    expect(pageViews()).toEqual([
      ['/t/spa-back', 'Home'],
      ['/t/spa-back/b', 'B'],
      ['/t/spa-back', 'Home'],
    ]);
    const seen = await tab.evaluate(() => (window as unknown as W).navEvents);
    expect(seen.filter((type) => type == 'popstate')).toHaveLength(2);
    expect(seen.slice(-2)).toEqual(['popstate', 'hashchange']);
    expectCleanWire(suite.collector);
  });
});
