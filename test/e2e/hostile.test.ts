/**
 * Hardening (README, "Bad input and host pages"): hostile arguments to every
 * public method, and hostile host pages. Every engine, the real
 * dist/track.js loaded by the real snippet, the real collector. What runs in
 * the page is in test/fixtures/pages (hostile-corpus.js: the corpus and the
 * scenario bodies; hostile-host.js: the page breakages; host-app.js: the
 * host page's own calls), loaded by script tags of the served page.
 */
import { describe, expect, it } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import type { Tab } from './engines';
import { useEngineSuite } from './fixture';
import { arrived as arrivedAt, expectCleanWire as cleanWire, expectHostApp, fixture, hostPage } from './host-helpers';
import { byEvent, pageHtml, SITE, waitFor, waitForEvents, type PageOptions } from './harness';
import type { W } from './page-globals';

/** pageHtml with the corpus and scenario bodies (hostile-corpus.js) loaded first. */
const hostileHtml = (opts: PageOptions = {}) => pageHtml(opts).replace('<head>', `<head>${fixture('hostile-corpus.js')}`);

/** A path under /t/ not in `suite.pages` gets the plain snippet page, with the corpus. */
const suite = useEngineSuite(() => hostileHtml());

/** A fresh session and tab, watched for errors, on `path` (served from `suite.pages`). */
async function open(path: string, html?: string) {
  if (html !== undefined) suite.pages.set(path, html);
  const opened = await suite.openPage();
  await opened.tab.goto(suite.collector.url + path);
  return opened;
}

/** The SDK has loaded in `tab` (the snippet's stub replaced by the real thing). */
const ready = (tab: Tab) =>
  waitFor(() => tab.evaluate(() => typeof (window as unknown as W)._cio.version === 'string' || undefined), 'track.js to load');

const arrived = (name: string) => arrivedAt(suite.collector, name);
const expectCleanWire = () => cleanWire(suite.collector);

const METHODS = ['track', 'page', 'identify', 'sidentify', 'reset', 'on', 'off', 'flush', 'push'];

describe('hostile arguments to every public method', () => {
  for (const method of METHODS) {
    it(`${method}(…) with the whole corpus: nothing thrown, nothing broken, SDK still delivers`, async () => {
      const { tab, errors } = await open('/t/hostile');
      await ready(tab);
      await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/hostile');
      // A 1 MB user id is covered by its own test below: it is the one value that persists.
      const skip = method === 'identify' || method === 'sidentify' ? ['1 MB string'] : [];
      const result = await tab.evaluate(([m, s]) => (window as unknown as W).hostile.runCorpus(m, s), [method, skip] as [string, string[]]);

      expect(result.calls).toBeGreaterThan(100);
      expect(result.threw, 'calls that threw into the page').toEqual([]);
      if (method === 'flush') {
        expect(result.notThenable, 'flush() results that are not promises').toBe(0);
        expect(result.settled).toBe('settled');
      }
      expect(result.methodsIntact, '_cio methods still functions').toBe(true);
      expect(result.polluted, '({}).polluted / [].polluted').toBe(false);
      expect(result.protoSame, 'Object.prototype own properties unchanged').toBe(true);
      expect(result.arraySame, 'Array.prototype own properties unchanged').toBe(true);

      await tab.evaluate((m) => (window as unknown as W)._cio.track('marker-' + m, { after: m }), method);
      const marker = await arrived(`marker-${method}`);
      expect(marker.properties).toEqual({ after: method });
      // Nothing else left the page's queue stuck: a flush empties it.
      expect(await tab.evaluate(() => (window as unknown as W)._cio.flush())).toBe(true);
      expectCleanWire();
      expect(await errors()).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('calls queued on the stub before track.js loads are replayed without breaking the SDK', async () => {
    // Every hostile value, through the snippet's stub methods and its array push,
    // then a marker (hostile-corpus.js, queueAll): the automatic page event and the marker must both arrive.
    const { tab, errors } = await open('/t/queued', hostileHtml({ before: 'hostile.queueAll();' }));
    const marker = await arrived('queued-marker');
    expect(marker.properties).toEqual({ queued: true });
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/queued');
    await tab.evaluate(() => (window as unknown as W)._cio.track('after-queued', { n: 1 }));
    await arrived('after-queued');
    expect(await tab.evaluate(() => typeof (window as unknown as W)._cio.version)).toBe('string');
    expectCleanWire();
    expect(await errors()).toEqual([]);
    expect(await tab.evaluate(() => (window as unknown as W).hostile.unpolluted())).toBe(true);
  });

  it('identify with a 1 MB id: no exception, and later events still arrive', async () => {
    const { tab, errors } = await open('/t/huge-id');
    await ready(tab);
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/huge-id');
    const threw = await tab.evaluate(() => (window as unknown as W).hostile.hugeId());
    expect(threw).toEqual([]);
    await tab.evaluate(() => (window as unknown as W)._cio.track('after-huge-id', { n: 1 }));
    const m = await arrived('after-huge-id');
    expect(m.properties).toEqual({ n: 1 });
    expectCleanWire();
    expect(await errors()).toEqual([]);
  });

  it('messages near the 32 KB limit: a 300 KB backlog of legal messages all arrive promptly', async () => {
    // Legal but large: each message is under 32 KB, together they need several
    // requests of up to 64 KB. A healthy SDK delivers them in a few seconds.
    const { tab, errors } = await open('/t/near-limit');
    await ready(tab);
    await tab.evaluate(() => (window as unknown as W).hostile.nearLimit());
    const got = await waitForEvents(suite.collector, 10, byEvent('near-limit'), 15_000);
    expect(got.map((m) => m.properties!.i).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expectCleanWire();
    expect(await errors()).toEqual([]);
  });
});

describe('event data made JSON-safe (README, "Bad input and host pages"), checked field by field', () => {
  it('BigInt, Date, NaN/Infinity, circular, Error, throwing getter, dropped values', async () => {
    const { tab, errors } = await open('/t/json-safe');
    await ready(tab);
    await tab.evaluate(() => (window as unknown as W).hostile.jsonSafe());

    const m = await arrived('spec8');
    const p = m.properties as Record<string, unknown>;
    expect(p.big).toBe('12345678901234567890');
    expect(p.negBig).toBe('-5');
    expect(p.date).toBe('2020-01-02T03:04:05.678Z');
    expect(p.badDate).toBeNull();
    expect(p.nan).toBeNull();
    expect(p.inf).toBeNull();
    expect(p.ninf).toBeNull();
    expect(p.circ).toEqual({ name: 'c', self: '[Circular]', list: [1, '[Circular]'] });
    expect(p.err).toEqual({ name: 'TypeError', message: 'boom' });
    expect(p.getter).toEqual({ sibling: 'ok', after: 2 });
    expect(Object.keys(p.getter as object)).not.toContain('bad');
    for (const key of ['undef', 'fn', 'sym']) expect(Object.keys(p)).not.toContain(key);
    expect(p.list).toEqual([1, null, null, null, null, '2', '1970-01-01T00:00:00.000Z']);
    // A throwing toJSON loses that value only (absent, or null), never the event.
    expect([undefined, null]).toContain(p.throwsToJSON);
    expect(p.map).toEqual({ a: 1, b: { c: 2 } });
    expect(p.set).toEqual([1, 'two']);
    // The same object twice is not a cycle.
    expect(p.a).toEqual({ s: 1 });
    expect(p.b).toEqual({ s: 1 });
    expect(p.keep).toBe('yes');

    expect((await arrived('spec8-top-circular')).properties).toEqual({ a: 1, me: '[Circular]' });
    expect((await arrived('spec8-top-error')).properties).toEqual({ name: 'RangeError', message: 'top' });

    const [identify] = await waitForEvents(suite.collector, 1, (x) => x.type === 'identify' && x.userId === 'user-spec8');
    expect(identify.traits).toEqual({
      created_at: '1970-01-01T00:00:00.000Z',
      big: '7',
      nan: null,
      err: { name: 'Error', message: 'e' },
    });
    const [pageEvent] = await waitForEvents(suite.collector, 1, (x) => x.type === 'page' && x.name === 'Spec8');
    expect(pageEvent.properties).toEqual({ when: '1970-01-01T00:00:00.000Z', count: '3', ratio: null });

    expectCleanWire();
    expect(await errors()).toEqual([]);
  });

  it('nesting deeper than the cut-off is truncated, not thrown, and arrives as valid JSON', async () => {
    const { tab, errors } = await open('/t/deep');
    await ready(tab);
    await tab.evaluate(() => (window as unknown as W).hostile.deep());
    const m = await arrived('deep');
    expect(m.properties!.sibling).toBe('here');
    let node = m.properties!.deep as unknown;
    let depth = 0;
    while (node && typeof node === 'object') {
      node = (node as { d: unknown }).d;
      depth++;
    }
    expect(node).toBe('[Truncated]');
    expect(depth).toBeGreaterThan(10);
    expectCleanWire();
    expect(await errors()).toEqual([]);
  });

  it('prototype-polluting keys in data, identify and the URL pollute nothing', async () => {
    const path = '/t/proto';
    const { tab, errors } = await open(
      `${path}?__proto__[polluted]=1&__proto__=x&constructor[prototype][polluted]=1&a=1`,
    );
    await ready(tab);
    await tab.evaluate(() => (window as unknown as W).hostile.proto());
    const [auto] = await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
    expect(auto.properties!['__proto__[polluted]']).toBe('1');
    expect(auto.properties!['a']).toBe('1');
    expect(Object.hasOwn(auto.properties!, '__proto__')).toBe(true);
    expect((await arrived('proto-track')).properties!.a).toBe(1);
    expect((await arrived('proto-push')).properties!.a).toBe(1);
    await arrived('proto-nested');
    await waitForEvents(suite.collector, 2, (m) => m.type === 'identify' && m.userId === 'user-proto');
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === 'proto-page');
    expect(await tab.evaluate(() => (window as unknown as W).hostile.unpolluted())).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectCleanWire();
    expect(await errors()).toEqual([]);
  });
});

/** Breakages of the host page (hostile-host.js, by its data-case), installed before the snippet runs. */
const HOST_CASES: [string, string][] = [
  ['JSON.stringify returns garbage', 'stringify-garbage'],
  ['Array.prototype.toJSON returns a string (Prototype.js)', 'array-tojson'],
  ['window.fetch throws', 'fetch-throws'],
  ['window.fetch rejects', 'fetch-rejects'],
  ['window.fetch returns undefined', 'fetch-undefined'],
  ['window.fetch returns a string', 'fetch-string'],
  ['window.fetch resolves to a plain object', 'fetch-plain-object'],
  ['window.Promise replaced by a broken constructor', 'promise-broken'],
  ['localStorage and document.cookie throw', 'storage-throws'],
];

describe('hostile host page', () => {
  HOST_CASES.forEach(([name, which], i) => {
    it(`${name}: events still arrive, intact`, async () => {
      const path = `/t/host-${i}`;
      // The host app (host-app.js): calls before and after load, a flush, an identify, each checked exactly.
      const { errors } = await open(path, hostPage({ before: fixture('hostile-host.js', { 'data-case': which }) }));
      await expectHostApp(suite.collector, path);
      // Sent once the page put back what the WebKit driver needs to read it (hostile-host.js).
      await arrived('host-done');
      expectCleanWire();
      expect(await errors()).toEqual([]);
    });
  });

  it('inside a sandboxed iframe (opaque origin: no cookies, no storage)', async () => {
    const inner = `<!doctype html><html><head><meta charset="utf-8"><title>sandboxed</title>
<script>${renderSnippet({ siteId: SITE, src: suite.collector.url + '/track.js' })}</script>
<script src="${suite.collector.url}/t/fixtures/sandbox-app.js"></script>
</head><body>sandboxed</body></html>`;
    const attr = inner.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    const { errors } = await open(
      '/t/sandbox',
      `<!doctype html><html><head><meta charset="utf-8"><title>host</title></head>
<body><iframe sandbox="allow-scripts" srcdoc="${attr}"></iframe></body></html>`,
    );
    const first = await arrived('in-sandbox');
    expect(first.properties).toEqual({ n: 1 });
    const second = await arrived('in-sandbox-2');
    expect(second.userId).toBe('sandbox-user');
    expect(second.anonymousId).toBe(first.anonymousId);
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.anonymousId === first.anonymousId);
    expectCleanWire();
    expect(await errors()).toEqual([]);
  });
});
