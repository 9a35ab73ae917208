/**
 * Core SDK behaviour end to end (2/2): how the script gets loaded (slowly, into a page still being parsed,
 * by the classic Customer.io snippet, twice, without a site id), an endpoint
 * on another origin with single-page-app tracking and debug logging, and the
 * lifecycle events and flush(). Set-up and expectations: sdk-helpers.ts.
 * What a test holds back (track.js, the rest of a page) is held by a small
 * server of its own, and the page itself says when it got that far: no
 * engine but Chromium lets a driver intercept requests.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import { sdkLoaded, untilInPage, withRecorder } from './fixture';
import { carriedIds, launchCollector, pageHtml, ROOT, SITE, waitFor } from './harness';
import { ISO_RE } from '../patterns';
import {
  byAnon,
  DEADLINE,
  expectCallTimes,
  expectedContext,
  expectedMessage,
  fromPage,
  label,
  ours,
  readBrowser,
  underPath,
  useSdkSuite,
  type Stored,
} from './sdk-helpers';

const suite = useSdkSuite();
/** A stored message as the page saw it (the collector adds receivedAt). */
const wire = ({ receivedAt: _receivedAt, ...message }: Stored) => message; // eslint-disable-line @typescript-eslint/no-unused-vars

/** A server of the test's own on a free port (another origin than the collector's), closed by the returned function. */
async function ownServer(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A promise and the function that settles it. */
function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => (fire = resolve));
  return { fire, fired };
}

describe('loading', () => {
  it('a call made on the stub while track.js is still downloading is sent once it loads', async () => {
    const t0 = Date.now();
    // track.js comes from a server that holds it until the page says it made its calls.
    const requested = signal();
    const release = signal();
    const trackJs = readFileSync(join(ROOT, 'dist', 'track.js'));
    const scripts = await ownServer(async (req, res) => {
      if (req.url == '/track.js') {
        requested.fire();
        await release.fired;
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(trackJs);
      } else {
        // Answered only once the script was asked for: the calls were made while it downloads.
        await requested.fired;
        release.fire();
        res.writeHead(204, { 'Access-Control-Allow-Origin': '*' }).end();
      }
    });
    try {
      // DOMContentLoaded does not wait for the async script: the page's calls are made then.
      const url = suite.serve(
        'slow',
        pageHtml({
          src: scripts.url + '/track.js',
          attrs: { 'data-endpoint': suite.collector.url },
          before: `document.addEventListener('DOMContentLoaded', function () {
            var cio = window._cio;
            var stub = !cio.version && Array.isArray(cio);
            cio.track('early', { x: [1, 2] });
            cio.identify('u-slow');
            window.__state = { stub: stub, queued: cio.length };
            fetch(${JSON.stringify(scripts.url + '/release')}, { mode: 'no-cors' });
          });`,
        }),
        'p',
      );
      const page = await suite.open();
      const { tab } = page;
      await tab.goto(url);
      expect(await tab.evaluate(() => (window as any).__state)).toEqual({ stub: true, queued: 2 });

      const got = await suite.wait(3, underPath('/t/slow/'));
      const anon = got[0].anonymousId;
      const ctx = expectedContext(await readBrowser(tab), url);
      expect(got).toStrictEqual([
        expectedMessage({ type: 'track', event: 'early', anonymousId: anon, properties: { x: [1, 2] } }, ctx),
        expectedMessage({ type: 'identify', anonymousId: anon, userId: 'u-slow', traits: {} }, ctx),
        expectedMessage({ type: 'page', name: '/t/slow/p', anonymousId: anon, userId: 'u-slow', properties: {} }, ctx),
      ]);
      expectCallTimes(got, t0);
      await suite.expectClean([page], got);
    } finally {
      release.fire();
      scripts.close();
    }
  });

  it('a page still being parsed: nothing is sent before DOMContentLoaded, the page event right after it', async () => {
    const { collector } = suite;
    // The page's HTML comes in two parts: the head with the snippet at once,
    // the rest of the body only when the test releases it. Once track.js has
    // run and 1.5 s more have passed by its own clock, the page reports how far
    // it got (the driver is busy loading it, so the page has to say).
    //
    // track.js is held until the page says it has painted. WebKit as it ships
    // (ShouldDeferAsynchronousScriptsUntilAfterDocumentLoadOrFirstPaint) keeps an
    // `async` script (the snippet sets it) that is ready before the page's first
    // paint waiting until parsing ends, and the paint does not start it: served at
    // once, track.js was ready first in about 4 runs of 10 and ran only after
    // DOMContentLoaded, which here waits for the report, so the page never reported.
    const rest = signal();
    const painted = signal();
    let reported: URLSearchParams | undefined;
    /** Every request the page made to its two servers: what a timeout reports. */
    const seen: string[] = [];
    const trackJs = readFileSync(join(ROOT, 'dist', 'track.js'));
    const scripts = await ownServer(async (req, res) => {
      seen.push(`(scripts) ${req.url}`);
      await painted.fired;
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(trackJs);
    });
    const snippet = renderSnippet({ siteId: SITE, src: scripts.url + '/track.js', attrs: { 'data-endpoint': collector.url } });
    // Its first run says the page's scripts run at all (for the failure message below).
    const report = `fetch('/seen?scripts=run');
    new PerformanceObserver(function (list, observer) {
      observer.disconnect();
      fetch('/painted');
    }).observe({ type: 'paint', buffered: true });
    (function wait() {
      if (!(window._cio && window._cio.version)) return setTimeout(wait, 20);
      setTimeout(function () { fetch('/report?state=' + document.readyState); }, 1500);
    })();`;
    const html = withRecorder(
      `<!doctype html><html><head><meta charset="utf-8"><title>parsing</title><script>${snippet}</script><script>${report}</script></head><body><p>${'First part. '.repeat(200)}</p>`,
      collector.url,
    ) as string;
    const server = await ownServer(async (req, res) => {
      const url = new URL(req.url!, 'http://x');
      seen.push(url.pathname + url.search);
      if (url.pathname == '/seen') return void res.writeHead(204).end();
      if (url.pathname == '/painted') {
        painted.fire();
        res.writeHead(204).end();
        return;
      }
      if (url.pathname == '/report') {
        reported = url.searchParams;
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.write(html);
      await rest.fired;
      res.end('<p>The rest.</p></body></html>');
    });
    try {
      const url = `${server.url}/parsing`;
      const page = await suite.open();
      const { tab } = page;
      const loading = tab.goto(url);
      const state = await waitFor(() => reported, 'the page to report', DEADLINE).catch((error: Error) => {
        throw new Error(`${error.message}; its servers saw: ${seen.join(', ') || 'nothing'}`);
      });
      expect(state.get('state')).toBe('loading');
      expect(collector.store.requests()).toEqual([]);

      rest.fire();
      await loading;
      const [event] = await suite.wait(1, (m) => m.type == 'page' && m.name == '/parsing');
      const parsedAt = await tab.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return performance.timeOrigin + nav.domContentLoadedEventStart;
      });
      expect(Date.parse(event.receivedAt)).toBeGreaterThanOrEqual(Math.floor(parsedAt));
      for (const request of collector.store.requests()) expect(request.at).toBeGreaterThanOrEqual(Math.floor(parsedAt));
      await suite.expectClean([page], [event]);
    } finally {
      rest.fire();
      painted.fire();
      server.close();
      scripts.close();
    }
  });

  it('the classic Customer.io snippet, verbatim but for its src: stub calls replayed, auto page, track after load', async () => {
    const t0 = Date.now();
    const url = suite.serve(
      'classic',
      pageHtml({
        classic: true,
        title: 'Classic',
        before: `
          window.__stubbed = Array.isArray(_cio) && !_cio.version;
          _cio.identify({ id: 'c-1', email: 'c@example.com', created_at: 1690000000 });
          _cio.track('classic_early', { sizes: [40, 41] });
          _cio.page('Landing');`,
      }),
      'home?utm_campaign=launch',
    );
    const page = await suite.open();
    const { tab } = page;
    await tab.goto(url);
    expect(await tab.evaluate(() => (window as any).__stubbed)).toBe(true);
    await sdkLoaded(tab);
    await tab.evaluate(() => {
      (window as any)._cio.track('classic_after', { ok: true });
      (window as any)._cio.push(['track', 'classic_pushed']);
    });

    const got = await suite.wait(6, underPath('/t/classic/'));
    const anon = got[0].anonymousId;
    const ctx = expectedContext(await readBrowser(tab), url, { title: 'Classic', campaign: { name: 'launch' } });
    const user = { anonymousId: anon, userId: 'c-1' };
    expect(got).toStrictEqual([
      expectedMessage({ type: 'identify', ...user, traits: { email: 'c@example.com', created_at: 1690000000 } }, ctx),
      // The classic snippet sets data-use-array-params="true".
      expectedMessage({ type: 'track', event: 'classic_early', ...user, properties: { sizes: [40, 41] } }, ctx),
      expectedMessage({ type: 'page', name: 'Landing', ...user, properties: {} }, ctx),
      expectedMessage({ type: 'page', name: '/t/classic/home', ...user, properties: { utm_campaign: 'launch' } }, ctx),
      expectedMessage({ type: 'track', event: 'classic_after', ...user, properties: { ok: true } }, ctx),
      expectedMessage({ type: 'track', event: 'classic_pushed', ...user, properties: {} }, ctx),
    ]);
    expectCallTimes(got, t0);
    await suite.expectClean([page], got);
  });

  it('track.js loaded twice (a second <script> and a later injected one) changes nothing', async () => {
    const url = suite.serve('twice', pageHtml({ body: '<h1>twice</h1><script src="/track.js"></script>' }), 'p');
    const page = await suite.open();
    const { tab } = page;
    await tab.goto(url);
    await sdkLoaded(tab);
    const sameObject = await tab.evaluate(
      () =>
        new Promise<boolean>((resolve, reject) => {
          const first = (window as any)._cio;
          const script = document.createElement('script');
          script.src = '/track.js';
          script.onload = () => resolve((window as any)._cio === first && !!first.version);
          script.onerror = reject;
          document.head.appendChild(script);
        }),
    );
    expect(sameObject).toBe(true);
    // After both extra copies ran: a further page event from them would have left before these.
    await tab.evaluate(() => {
      (window as any)._cio.track('after_twice', { n: 1 });
      (window as any)._cio.push(['track', 'pushed_twice']);
    });
    const got = await suite.wait(3, underPath('/t/twice/'));
    const all = suite.events(byAnon(got[0].anonymousId));
    expect(all.map(label)).toEqual(['page:/t/twice/p', 'track:after_twice', 'track:pushed_twice']);
    expect(all.filter((m) => m.type == 'page')).toHaveLength(1);
    // No message was sent twice: every request body held distinct, new messages.
    const requests = await waitFor(() => {
      const made = suite.collector.store.requests().filter(fromPage('/t/twice/'));
      return made.length >= 1 ? made : undefined;
    }, 'batch requests from the page');
    const sentIds = carriedIds(requests);
    expect(new Set(sentIds).size).toBe(sentIds.length);
    expect(await page.warnings()).toEqual([]);
    await suite.expectClean([page], all);
  });

  it('missing data-site-id: exactly one console warning, nothing sent, nothing throws', async () => {
    const url = suite.serve('nosite', pageHtml({ siteId: null, before: `_cio.track('queued_no_site');` }), 'p');
    const page = await suite.open();
    const { tab } = page;
    const requestsBefore = suite.collector.store.requests().length;
    await tab.goto(url);
    await sdkLoaded(tab);
    const outcome = await tab.evaluate(async () => {
      const cio = (window as any)._cio;
      try {
        cio.track('no_site', { a: 1 });
        cio.page('NoSite');
        cio.identify('u-nosite', { x: 1 });
        cio.push(['track', 'pushed_no_site']);
        const flushed = await cio.flush();
        return { threw: false, flushed: typeof flushed };
      } catch (error) {
        return { threw: true, error: String(error) };
      }
    });
    expect(outcome).toEqual({ threw: false, flushed: 'boolean' });

    // A page of a configured site, loaded after all those calls, in the same browser:
    // once its page event has arrived, anything the first page sent would have too.
    const markerUrl = suite.serve('nosite-marker', pageHtml(), 'p');
    const marker = await suite.open(page.session);
    await marker.tab.goto(markerUrl);
    const [markerEvent] = await suite.wait(1, underPath('/t/nosite-marker/'));

    expect(suite.events(underPath('/t/nosite/'))).toEqual([]);
    expect(suite.collector.store.requests().filter(fromPage('/t/nosite/'))).toEqual([]);
    const since = suite.collector.store.requests().slice(requestsBefore);
    expect(since.every((r) => r.writeKey == SITE && r.status == 200)).toBe(true);
    expect(await page.warnings()).toEqual([expect.stringMatching(/^warn: \[cio-track\] .*data-site-id/)]);
    await suite.expectClean([page, marker], [markerEvent]);
  });
});

describe('configuration', () => {
  it('data-endpoint on another origin, data-auto-track-spa="true" and data-debug="true"', async () => {
    const t0 = Date.now();
    // The page and track.js come from a second collector (another origin); events go to the suite's collector.
    const site = await launchCollector();
    try {
      const endpoint = suite.collector.url;
      const html = pageHtml({ attrs: { 'data-endpoint': endpoint, 'data-auto-track-spa': 'true', 'data-debug': 'true' } });
      site.setPages((url) => (url.pathname.startsWith('/t/') ? withRecorder(html, endpoint) : undefined));
      const url = `${site.url}/t/spa/start?from=ad`;
      const page = await suite.open();
      const { tab } = page;
      await tab.goto(url);
      await sdkLoaded(tab);
      const [start] = await suite.wait(1, (m) => underPath('/t/spa/')(m) && m.context.page.url.startsWith(site.url));
      const anon = start.anonymousId;

      // Navigations as a person makes them: each page seen (its page event sent, after the
      // wait for the app's title) before the next. Quicker ones count once, for where they led.
      let seen = 1;
      const go = async (fn: () => void, pageEvent = true) => {
        await tab.evaluate(fn);
        if (pageEvent) await suite.wait(++seen, byAnon(anon));
      };
      await go(() => history.pushState({}, '', '/t/spa/next')); // new path
      await go(() => history.pushState({}, '', '/t/spa/next?tab=2&tab=3')); // query change
      await go(() => {
        location.hash = 'section'; // hash only: no page event
      }, false);
      await go(() => history.pushState({}, '', '/t/spa/next?tab=2&tab=3#other'), false); // hash only
      await go(() => history.replaceState({}, '', '/t/spa/replaced')); // replaceState: new path
      // popstate back to /t/spa/next?tab=2&tab=3#section: a path and query change.
      await go(
        () =>
          new Promise<void>((resolve) => {
            addEventListener('popstate', () => resolve(), { once: true });
            history.back();
          }),
      );
      await tab.evaluate(() => (window as any)._cio.track('spa_done'));

      const got = await suite.wait(6, byAnon(anon));
      const tabs = { tab: ['2', '3'] };
      const browser = await readBrowser(tab);
      const at = (path: string) => expectedContext(browser, site.url + path);
      expect(got).toStrictEqual([
        expectedMessage({ type: 'page', name: '/t/spa/start', anonymousId: anon, properties: { from: 'ad' } }, at('/t/spa/start?from=ad')),
        expectedMessage({ type: 'page', name: '/t/spa/next', anonymousId: anon, properties: {} }, at('/t/spa/next')),
        expectedMessage({ type: 'page', name: '/t/spa/next', anonymousId: anon, properties: tabs }, at('/t/spa/next?tab=2&tab=3')),
        expectedMessage({ type: 'page', name: '/t/spa/replaced', anonymousId: anon, properties: {} }, at('/t/spa/replaced')),
        expectedMessage({ type: 'page', name: '/t/spa/next', anonymousId: anon, properties: tabs }, at('/t/spa/next?tab=2&tab=3#section')),
        expectedMessage({ type: 'track', event: 'spa_done', anonymousId: anon, properties: {} }, at('/t/spa/next?tab=2&tab=3#section')),
      ]);
      expectCallTimes(got, t0);

      // Nothing went to the page's own origin; every request was a simple, credential-less POST.
      expect(site.store.requests()).toEqual([]);
      expect(site.store.events()).toEqual([]);
      const batches = await waitFor(() => {
        const made = suite.collector.store.requests();
        return carriedIds(made).length >= 6 ? made : undefined;
      }, 'the collector to have seen the 6 messages posted');
      for (const b of batches) {
        expect(b.url).toBe(endpoint + '/v1/batch');
        expect(b.method).toBe('POST');
        expect(b.headers['content-type']).toBe('text/plain;charset=UTF-8');
        expect(b.headers.cookie).toBeUndefined();
        expect(b.fields).toEqual(['writeKey', 'sentAt', 'batch']);
        expect(b).toMatchObject({ writeKey: SITE, sentAt: expect.stringMatching(ISO_RE) });
      }
      expect(carriedIds(batches)).toEqual(got.map((m) => m.messageId));

      // data-debug: each call and each request is logged.
      const logs = ours(await page.logs());
      expect(logs.some((l) => l.startsWith('[cio-track] track') && l.includes('spa_done'))).toBe(true);
      expect(logs.some((l) => l.startsWith('[cio-track] page') && l.includes('/t/spa/replaced'))).toBe(true);
      // One line per request: URL, messages carried, answer.
      expect(logs.some((l) => new RegExp(`^\\[cio-track\\] POST ${endpoint}/v1/batch \\d+ 200$`).test(l))).toBe(true);
      expect(await page.warnings()).toEqual([]);
      await suite.expectClean([page], got);
    } finally {
      await site.close();
    }
  });
});

describe('lifecycle', () => {
  it("on('ready') and on('sent') get the delivered batches, flush() resolves true after delivery, off() unsubscribes", async () => {
    const url = suite.serve(
      'lifecycle',
      pageHtml({
        before: `
          window.__ready = 0; window.__sent = [];
          window.__onSent = function (batch) { window.__sent.push(batch); };
          _cio.on('ready', function () { window.__ready++; window.__readyLoaded = !!_cio.version; });
          _cio.on('sent', window.__onSent);`,
      }),
      'p?x=1',
    );
    const page = await suite.open();
    const { tab } = page;
    await tab.goto(url);
    await untilInPage(tab, "on('ready')", () => (window as any).__ready === 1);
    expect(await tab.evaluate(() => (window as any).__readyLoaded)).toBe(true);

    const [pageEvent] = await suite.wait(1, underPath('/t/lifecycle/'));
    await untilInPage(tab, "on('sent')", () => (window as any).__sent.length >= 1);
    expect(await tab.evaluate(() => (window as any).__sent)).toEqual([[wire(pageEvent)]]);

    const flushed = await tab.evaluate(() => {
      const cio = (window as any)._cio;
      cio.track('f1', { a: 1 });
      cio.track('f2');
      return cio.flush();
    });
    expect(flushed).toBe(true);
    // Delivered by the time flush() resolved: no waiting here.
    const tracks = suite.events((m) => underPath('/t/lifecycle/')(m) && m.type == 'track');
    expect(tracks.map(label)).toEqual(['track:f1', 'track:f2']);
    expect(await tab.evaluate(() => (window as any).__sent)).toEqual([[wire(pageEvent)], tracks.map(wire)]);

    // A late 'ready' subscriber is told at once; nothing waiting: flush() is true; off() stops 'sent'.
    const late = await tab.evaluate(async () => {
      const cio = (window as any)._cio;
      let ready = 0;
      cio.on('ready', () => ready++);
      const empty = await cio.flush();
      cio.off('sent', (window as any).__onSent);
      cio.track('f3');
      const afterOff = await cio.flush();
      return { ready, empty, afterOff, sent: (window as any).__sent.length, readyCount: (window as any).__ready };
    });
    expect(late).toEqual({ ready: 1, empty: true, afterOff: true, sent: 2, readyCount: 1 });
    const all = suite.events(underPath('/t/lifecycle/'));
    expect(all.map(label)).toEqual(['page:/t/lifecycle/p', 'track:f1', 'track:f2', 'track:f3']);
    // data-debug is off: the SDK logs nothing.
    expect((await page.logs()).filter((l) => l.includes('[cio-track]'))).toEqual([]);
    expect(await page.warnings()).toEqual([]);
    await suite.expectClean([page], all);
  });
});
