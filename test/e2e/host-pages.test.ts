/**
 * Real-world host pages (README, "Works on pages that…"): the libraries
 * real sites load before the SDK, each from its npm package where one exists
 * (pinned in devDependencies, served from node_modules) or a shim that says
 * which library behaviour it reproduces (test/fixtures/pages). Every engine,
 * the real dist/track.js through the real snippet, the real collector. Each
 * page runs the same host app (host-app.js), whose every message must arrive
 * exact, with no page error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import type { Tab } from './engines';
import { useEngineSuite } from './fixture';
import { arrived, expectCleanWire, expectHostApp, fixture, hostPage, npm, type HostPage } from './host-helpers';
import { byEvent, ROOT, SITE, waitFor, waitForEvents } from './harness';
import type { W } from './page-globals';

const suite = useEngineSuite(() => hostPage());

const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function open(path: string, page: HostPage | string) {
  suite.pages.set(path, typeof page === 'string' ? page : hostPage(page));
  const opened = await suite.openPage();
  await opened.tab.goto(suite.collector.url + path);
  return opened;
}

/** The SDK has loaded in `tab` (the snippet's stub replaced by the real thing). */
const ready = (tab: Tab) => waitFor(() => tab.evaluate(() => !!((window as unknown as W)._cio && (window as unknown as W)._cio.version)), 'track.js to load');

/** Messages of `name` at the collector as a person would count them: once per messageId. */
const distinct = (name: string) => {
  const ids = new Set(suite.collector.store.events().filter(byEvent(name)).map((m) => m.messageId));
  return [...ids];
};

/** The host pages whose whole check is the host app's: a library (or a shim) before the snippet. */
const LIBRARY_PAGES: [string, string][] = [
  ['Prototype.js 1.6/1.7 natives (toJSON on Array, Date, String, Number; Array.from = $A)', fixture('prototype-natives.js')],
  ['MooTools 1.x natives (Array.from wraps, enumerable prototype additions)', fixture('mootools-natives.js')],
  ["MooTools More's Date (toISOString and toJSON: local time, no milliseconds)", fixture('mootools-more-date.js')],
  ['a Promise polyfill forced over the native one (promise-polyfill)', fixture('remove-globals.js', { 'data-remove': 'Promise' }) + npm('promise-polyfill/dist/polyfill.js')],
  ['fetch replaced by whatwg-fetch (XHR underneath, no keepalive)', fixture('remove-globals.js', { 'data-remove': 'fetch' }) + npm('whatwg-fetch/dist/fetch.umd.js')],
  ['a fetch wrapper that drops keepalive', fixture('fetch-wrapper.js')],
  ['navigator.sendBeacon missing', fixture('beacon.js', { 'data-mode': 'missing' })],
  ['navigator.sendBeacon refusing everything', fixture('beacon.js', { 'data-mode': 'false' })],
  ['JSON replaced by json3', fixture('remove-globals.js', { 'data-remove': 'JSON' }) + npm('json3/lib/json3.js')],
  ['JSON.stringify wrapped by the page', fixture('json-wrap.js')],
  ['zone.js (Angular) loaded first', npm('zone.js/bundles/zone.umd.js')],
  // The real libraries, as old sites still load them.
  ['MooTools Core 1.5.2 itself (Array.from, Function#bind and the rest, its enumerable additions)', npm('mootools/lib/mootools-core-1.5.2-server.js')],
  ['Sugar 2 with every native extended (Sugar.extend())', npm('sugar/dist/sugar.js') + '<script>Sugar.extend()</script>'],
  ['Datejs (Date.parse replaced, Date.prototype extended)', npm('datejs/lib/date.js')],
  ['es5-shim and es6-shim', npm('es5-shim/es5-shim.js') + npm('es6-shim/es6-shim.js')],
  ['core-js 3, the whole bundle', npm('core-js-bundle/minified.js')],
];

/** The scripts of the library page whose name starts so. */
const library = (name: string) => LIBRARY_PAGES.find(([title]) => title.startsWith(name))![1];

describe('host pages served unchanged: every event delivered, exact, no page error', () => {
  LIBRARY_PAGES.forEach(([name, before], i) => {
    it(name, async () => {
      const path = `/t/library-${i}`;
      const { tab, errors } = await open(path, { before });
      const auto = await expectHostApp(suite.collector, path);
      expect(auto.messageId).toMatch(ULID_RE);
      // As toISOString writes it natively, whatever the page made of toISOString.
      for (const m of suite.collector.store.events()) expect(m.timestamp).toMatch(ISO_RE);
      // Nothing the libraries added to the natives leaks into a message.
      expect(JSON.stringify(suite.collector.store.events())).not.toMatch(/mooExtra|erase|getLast|overloadSetter|"pass"/);
      expect(await tab.evaluate(() => (window as unknown as W)._cio.flush())).toBe(true);
      expectCleanWire(suite.collector);
      expect(await errors()).toEqual([]);
    });
  });

  it('the libraries are the ones in place: the shims and polyfills took over, and the SDK used none of JSON.stringify', async () => {
    const probes: [HostPage['before'], () => unknown, unknown][] = [
      [fixture('prototype-natives.js'), () => [new Date(0).toJSON(), Array.from(new Set([1]))], ['"1970-01-01T00:00:00Z"', []]],
      [fixture('mootools-natives.js'), () => [Array.from(new Set([1])).length, 'mooExtra' in {}], [1, true]],
      [fixture('mootools-more-date.js'), () => /Z$/.test(new Date(0).toISOString()), false],
      [fixture('remove-globals.js', { 'data-remove': 'fetch' }) + npm('whatwg-fetch/dist/fetch.umd.js'), () => (fetch as unknown as { polyfill?: boolean }).polyfill, true],
      [fixture('remove-globals.js', { 'data-remove': 'JSON' }) + npm('json3/lib/json3.js'), () => typeof (window as unknown as { JSON3?: object }).JSON3, 'object'],
      [fixture('remove-globals.js', { 'data-remove': 'Promise' }) + npm('promise-polyfill/dist/polyfill.js'), () => Promise === (async () => {})().constructor, false],
      [npm('zone.js/bundles/zone.umd.js'), () => typeof (window as unknown as { Zone?: object }).Zone, 'function'],
      [library('MooTools Core'), () => [typeof (window as unknown as { MooTools?: object }).MooTools, Array.from(new Set([1])).length], ['object', 1]],
      [library('Sugar'), () => typeof ([] as unknown as { sum?: unknown }).sum, 'function'],
      [library('Datejs'), () => typeof (Date as unknown as { today?: unknown }).today, 'function'],
      // es6-shim replaces even Date and Object.keys in today's engines.
      [library('es5-shim'), () => /\[native code/.test(String(Object.keys)), false],
      [library('core-js'), () => typeof (window as unknown as Record<string, unknown>)['__core-js_shared__'], 'object'],
    ];
    // One tab through every probe page (WebKitWebDriver runs one session at a time).
    const { tab } = await suite.openPage();
    for (const [i, [before, probe, expected]] of probes.entries()) {
      suite.pages.set(`/t/probe-${i}`, hostPage({ before, after: '' }));
      await tab.goto(`${suite.collector.url}/t/probe-${i}`);
      await ready(tab);
      expect(await tab.evaluate(probe)).toEqual(expected);
    }
    suite.collector.store.clear();
    suite.pages.set('/t/json-wrapped', hostPage({ before: fixture('json-wrap.js') }));
    await tab.goto(`${suite.collector.url}/t/json-wrapped`);
    await expectHostApp(suite.collector, '/t/json-wrapped');
    expect(await tab.evaluate(() => (window as unknown as W).stringifyCalls)).toBe(0);
  });
});

describe('window.crypto missing', () => {
  it('the SDK loads, every call arrives, and the IDs are valid ULIDs', async () => {
    const path = '/t/no-crypto';
    const { tab, errors } = await open(path, { before: fixture('remove-globals.js', { 'data-remove': 'crypto' }) });
    expect(await tab.evaluate(() => typeof window.crypto)).toBe('undefined');
    const auto = await expectHostApp(suite.collector, path);
    expect(auto.anonymousId).toMatch(ULID_RE);
    const ids = suite.collector.store.events().map((m) => m.messageId);
    expect(ids.length).toBeGreaterThanOrEqual(6);
    for (const id of ids) expect(id).toMatch(ULID_RE);
    expect(new Set(ids).size).toBe(ids.length);
    expectCleanWire(suite.collector);
    expect(await errors()).toEqual([]);
  });
});

describe('a consent manager that swallows cookie writes', () => {
  it('the ID lives in localStorage and survives a reload', async () => {
    const path = '/t/consent';
    const { tab, errors } = await open(path, { before: fixture('consent-cookies.js') });
    const first = await expectHostApp(suite.collector, path);
    expect(await tab.evaluate(() => document.cookie)).toBe('');
    expect(await tab.evaluate(() => localStorage.getItem('_cioanonid'))).toBe(first.anonymousId);
    suite.collector.store.clear();
    await tab.reload();
    const again = await expectHostApp(suite.collector, path);
    expect(again.anonymousId).toBe(first.anonymousId);
    expect(again.userId).toBe('host-user');
    expectCleanWire(suite.collector);
    expect(await errors()).toEqual([]);
  });
});

describe('zone.js (Angular)', () => {
  it('calls made inside an Angular zone leave it stable once their messages are delivered', async () => {
    const path = '/t/zone';
    const { tab, errors } = await open(path, { before: npm('zone.js/bundles/zone.umd.js'), after: fixture('zone-probe.js') });
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
    expect(await tab.evaluate(() => (window as unknown as W)._cio.flush())).toBe(true);
    await tab.evaluate(() =>
      (window as unknown as W).angularZone.run(() => {
        (window as unknown as W)._cio.track('in-zone', { n: 1 });
        (window as unknown as W)._cio.page('In zone');
        (window as unknown as W)._cio.identify('zone-user');
      }),
    );
    expect((await arrived(suite.collector, 'in-zone')).properties).toEqual({ n: 1 });
    await waitForEvents(suite.collector, 1, (m) => m.type === 'identify' && m.userId === 'zone-user');
    // The SDK's work was the zone's (the probe saw it pending); it may take a moment to wind down, not a minute.
    const probe = await waitFor(
      () => tab.evaluate(() => ((window as unknown as W).zoneProbe.stable && (window as unknown as W).zoneProbe.sawPending ? (window as unknown as W).zoneProbe : undefined)),
      'the Angular zone to become stable',
      15_000,
    );
    expect(probe).toEqual({ stable: true, sawPending: true });
    expectCleanWire(suite.collector);
    expect(await errors()).toEqual([]);
  });
});

describe('unload with a page that cannot keep a request alive: at least once, never lost', () => {
  /** The messageIds the page's stored queue holds for event `name`. */
  const storedIds = (tab: Tab, name: string) =>
    tab.evaluate((event) => {
      const ids: string[] = [];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        if (!key.startsWith('_cioq_')) continue;
        for (const line of localStorage.getItem(key)!.split('\n').slice(1)) {
          const m = JSON.parse(line);
          if (m.event === event) ids.push(m.messageId);
        }
      }
      return ids;
    }, name);

  /** Resolves once the collector has taken every pending fault: the request that holds it is under way. */
  const faultTaken = () =>
    waitFor(
      async () => ((await (await fetch(suite.collector.url + '/admin/faults')).json()) as { pending: unknown[] }).pending.length === 0 || undefined,
      'the request under way to take the fault',
    );

  const KEEPALIVE_LOST: [string, string][] = [
    ['whatwg-fetch (XHR underneath)', fixture('remove-globals.js', { 'data-remove': 'fetch' }) + npm('whatwg-fetch/dist/fetch.umd.js')],
    ['a fetch wrapper that drops keepalive', fixture('fetch-wrapper.js')],
  ];
  KEEPALIVE_LOST.forEach(([name, before], i) => {
    it(`${name}: a message under way at unload is sent again by the next page, with the same messageId`, async () => {
      const path = `/t/inflight-${i}`;
      const { tab, errors } = await open(path, { before, after: '' });
      await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
      expect(await tab.evaluate(() => (window as unknown as W)._cio.flush())).toBe(true);
      // The next request is held, then its connection dropped: whatever reached the collector is lost.
      suite.collector.fault({ latencyMs: 4000, drop: true });
      await tab.evaluate(() => (window as unknown as W)._cio.track('under-way', { n: 1 }));
      await faultTaken();
      const [id] = await waitFor(async () => {
        const ids = await storedIds(tab, 'under-way');
        return ids.length ? ids : undefined;
      }, 'the message to be stored');
      // The person moves on while the request is under way; the next page of the site sends what was left.
      expect(await errors()).toEqual([]);
      await tab.goto(suite.collector.url + '/t/inflight-next');
      const [m] = await waitForEvents(suite.collector, 1, byEvent('under-way'));
      expect(m.messageId).toBe(id);
      // The first request really was lost: the collector dropped it, unanswered.
      await waitFor(() => suite.collector.store.requests().some((r) => r.status === 0) || undefined, 'the held request to be dropped');
      expect(m.properties).toEqual({ n: 1 });
      expect(distinct('under-way')).toEqual([id]);
      expectCleanWire(suite.collector, true);
    });
  });

  const BEACON_REFUSED: [string, string][] = [
    ['missing', 'missing'],
    ['returning false', 'false'],
  ];
  BEACON_REFUSED.forEach(([name, mode]) => {
    it(`navigator.sendBeacon ${name} at unload: what could not leave waits for the next load, nothing lost`, async () => {
      const path = `/t/beacon-${mode}`;
      const { tab, errors } = await open(path, { before: fixture('beacon.js', { 'data-mode': mode }), after: '' });
      await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
      expect(await tab.evaluate(() => (window as unknown as W)._cio.flush())).toBe(true);
      // One request held under way (it completes on its own, keepalive), so the next messages wait in the batch.
      suite.collector.fault({ latencyMs: 3000 });
      await tab.evaluate(() => (window as unknown as W)._cio.track('first', { n: 1 }));
      await faultTaken();
      await tab.evaluate(() => {
        (window as unknown as W)._cio.track('waiting', { n: 2 });
        (window as unknown as W)._cio.track('waiting', { n: 3 });
      });
      await waitFor(async () => (await storedIds(tab, 'waiting')).length === 2 || undefined, 'the waiting messages to be stored');
      expect(await errors()).toEqual([]);
      await tab.goto(suite.collector.url + `/t/beacon-next-${mode}`);
      await arrived(suite.collector, 'first');
      const waiting = await waitForEvents(suite.collector, 2, byEvent('waiting'));
      expect(waiting.map((m) => m.properties!.n).sort()).toEqual([2, 3]);
      expectCleanWire(suite.collector);
    });
  });
});

describe('Turbo Drive and pjax: one SDK instance, one page event per visit', () => {
  /** Three pages of a site that navigates with `library`; the snippet in <head> or <body>. */
  function site(library: 'turbo' | 'pjax', snippetInBody: boolean) {
    const base = `/t/${library}-${snippetInBody ? 'body' : 'head'}`;
    for (const n of [1, 2, 3]) {
      const link = `<a id="next" href="${base}/${n + 1}">next</a>`;
      const before = library === 'turbo' ? npm('@hotwired/turbo/dist/turbo.es2017-umd.js') : npm('pjax/pjax.js') + fixture('pjax-app.js');
      const main = `<h1>Page ${n}</h1>${link}`;
      suite.pages.set(
        `${base}/${n}`,
        hostPage({
          before,
          after: '',
          attrs: { 'data-auto-track-spa': 'true' },
          title: `${library} ${n}`,
          snippetInBody,
          body: library === 'pjax' ? `<div id="main">${main}</div>` : main,
        }),
      );
    }
    return base;
  }

  /** Page events at the collector, as [path, title]. */
  const pageViews = () =>
    suite.collector.store
      .events()
      .filter((m) => m.type === 'page')
      .map((m) => [m.name, m.context.page.title]);

  for (const library of ['turbo', 'pjax'] as const)
    for (const snippetInBody of [false, true])
      it(`${library}, snippet in <${snippetInBody ? 'body' : 'head'}>`, async () => {
        const base = site(library, snippetInBody);
        const { tab, errors } = await suite.openPage();
        await tab.goto(suite.collector.url + base + '/1');
        await waitForEvents(suite.collector, 1, (m) => m.type === 'page');
        const sdk = await tab.evaluate(() => {
          ((window as unknown as W)._cio as unknown as { first?: boolean }).first = true;
          return (window as unknown as W)._cio.version;
        });
        const visits = [[`${base}/1`, `${library} 1`]];
        for (const n of [2, 3]) {
          await tab.evaluate(() => document.getElementById('next')!.click());
          visits.push([`${base}/${n}`, `${library} ${n}`]);
          await waitFor(() => pageViews().length >= visits.length || undefined, `the page event of visit ${n}`);
          expect(await tab.evaluate(() => document.title)).toBe(`${library} ${n}`);
        }
        // Back, within the app (popstate): one more visit.
        await tab.evaluate(() => history.back());
        visits.push([`${base}/2`, `${library} 2`]);
        await waitFor(() => pageViews().length >= visits.length || undefined, 'the page event of the visit back');
        // The same SDK throughout: the page never reloaded, and a snippet run again added nothing.
        expect(await tab.evaluate(() => [(window as unknown as W)._cio.version, ((window as unknown as W)._cio as unknown as { first?: boolean }).first])).toEqual([sdk, true]);
        // Still exactly one page event per visit, a moment later (a track proves the SDK is live meanwhile).
        await tab.evaluate(() => (window as unknown as W)._cio.track('after-visits'));
        await arrived(suite.collector, 'after-visits');
        expect(pageViews()).toEqual(visits);
        expectCleanWire(suite.collector);
        expect(await errors()).toEqual([]);
      });
});

describe('Trusted Types enforced', () => {
  const SNIPPET_FILE = join(ROOT, 'snippet', 'snippet-trusted-types.js');
  const snippet = () => renderSnippet({ siteId: SITE, src: '/track.js', file: SNIPPET_FILE }) as string;
  const page = (before = '', app = fixture('host-app.js')) => `<!doctype html><html><head><meta charset="utf-8"><title>trusted types</title>${before}
<script>${snippet()}</script>${app}</head><body><h1>trusted types</h1></body></html>`;

  /** Whether the page enforces Trusted Types: a plain string (of another origin: no default policy of the page takes it) into a script's src is refused. */
  const enforced = (tab: Tab) =>
    tab.evaluate(() => {
      try {
        document.createElement('script').src = 'https://elsewhere.invalid/nothing.js';
        return false;
      } catch {
        return true;
      }
    });

  it('the README gives the Trusted Types variant of the snippet', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const code = readFileSync(SNIPPET_FILE, 'utf8');
    const body = code.slice(code.indexOf('(function (w, d) {'));
    expect(readme).toContain(body.trim());
  });

  it('with the policy name allowed: events arrive, zero violations', async () => {
    const path = '/t/tt-allowed';
    suite.pages.set(path, { html: page(), headers: { 'Content-Security-Policy': "require-trusted-types-for 'script'; trusted-types cio-track" } });
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + path);
    await expectHostApp(suite.collector, path);
    expect(await errors()).toEqual([]);
    expect(await enforced(tab)).toBe(true);
    expectCleanWire(suite.collector);
  });

  it("with the name not allowed but a default policy of the page's: events arrive through it", async () => {
    const path = '/t/tt-default';
    suite.pages.set(path, {
      html: page(fixture('tt-default-policy.js')),
      headers: { 'Content-Security-Policy': "require-trusted-types-for 'script'; trusted-types default" },
    });
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + path);
    await expectHostApp(suite.collector, path);
    // The one report is the page refusing our policy's name; the snippet took it quietly.
    expect((await errors()).filter((e) => !/^csp: trusted-types /.test(e))).toEqual([]);
    expect(await enforced(tab)).toBe(true);
    expectCleanWire(suite.collector);
  });

  it('with no policy that would take the URL: the snippet stops quietly, no exception in the page', async () => {
    const path = '/t/tt-none';
    // No host app: its flush() is no stub method, and would throw on a page where the SDK never arrives.
    suite.pages.set(path, { html: page('', ''), headers: { 'Content-Security-Policy': "require-trusted-types-for 'script'; trusted-types app-only" } });
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + path);
    expect(await enforced(tab)).toBe(true);
    // The page lives on: its calls wait on the stub, and nothing reached the page as an error.
    expect(
      await tab.evaluate(() => {
        (window as unknown as W)._cio.track('queued');
        const stub = (window as unknown as { _cio: unknown[] })._cio;
        return Array.isArray(stub) && stub.length;
      }),
    ).toBe(1);
    expect((await errors()).filter((e) => !/^csp: (trusted-types|require-trusted-types-for) /.test(e))).toEqual([]);
  });
});
