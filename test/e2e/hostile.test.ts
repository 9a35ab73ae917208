/**
 * Hardening (README, "Bad input and host pages"): hostile arguments to every public method, and hostile
 * host pages. Real headless Chromium, the real dist/track.js loaded by the
 * real snippet, the real collector. One browser and collector for the file,
 * a fresh browser context per test.
 *
 * In-page code is passed to Playwright as source text (never as compiled
 * closures), so that what runs in the page is exactly what is written here.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import { byEvent, pageHtml, SITE, usePageSuite, waitForEvents, type PageOptions, type WireMessage } from './harness';

/** A path under /t/ not in `suite.pages` gets the plain snippet page. */
const suite = usePageSuite(() => pageHtml());

/** A fresh context and page, watched for errors, on `path` (served from `suite.pages`). */
async function open(path: string, html?: string): Promise<{ page: Page; errors: string[] }> {
  if (html !== undefined) suite.pages.set(path, html);
  const { page, errors } = await suite.openPage();
  await page.goto(suite.collector.url + path);
  return { page, errors };
}

/** The SDK has loaded in `page` (the snippet's stub replaced by the real thing). */
async function ready(page: Page): Promise<void> {
  await page.waitForFunction('window._cio && typeof window._cio.version === "string"', undefined, { timeout: 30_000 });
}

/** pageHtml, with `pre` run in a <script> before the snippet (the host page's own code). */
const hostHtml = (pre: string, opts: PageOptions = {}) =>
  pageHtml(opts).replace('<head>', `<head><script>${pre}</script>`);

/** One message named `name`, waited for with a deadline. */
async function arrived(name: string): Promise<WireMessage> {
  const [m] = await waitForEvents(suite.collector, 1, byEvent(name));
  return m;
}

/** Every request the collector answered was accepted whole: valid JSON, every message valid (README, "What is sent"). */
function expectCleanWire() {
  const bad = suite.collector.store.requests().filter((r) => r.status !== 200 || r.rejected > 0);
  expect(bad, 'requests not accepted whole').toEqual([]);
  expect(suite.collector.store.rejected(), 'messages the collector rejected').toEqual([]);
  expect(suite.collector.store.duplicates(), 'duplicate messageIds').toEqual([]);
}

/**
 * In the page: `corpus()` returns `[label, value]` pairs of hostile values,
 * made fresh in the page for each run.
 */
const CORPUS = String.raw`
function corpus() {
  var big = 'x'.repeat(1 << 20);
  var deep = {};
  for (var i = 0; i < 10000; i++) deep = { d: deep };
  var deepArr = [];
  for (var j = 0; j < 10000; j++) deepArr = [deepArr];
  var circ = { a: 1 };
  circ.self = circ;
  circ.list = [circ, { back: circ }];
  var circArr = [1];
  circArr.push(circArr);
  var getter = { ok: 1 };
  Object.defineProperty(getter, 'bad', { enumerable: true, get: function () { throw new Error('getter throws'); } });
  var throwsToJSON = { toJSON: function () { throw new Error('toJSON throws'); } };
  var trap = function () { throw new Error('trap throws'); };
  var allTraps = {
    get: trap, set: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, defineProperty: trap,
    deleteProperty: trap, getPrototypeOf: trap, setPrototypeOf: trap, isExtensible: trap,
    preventExtensions: trap, apply: trap, construct: trap
  };
  var revoked = Proxy.revocable({}, {});
  revoked.revoke();
  var revokedArr = Proxy.revocable([], {});
  revokedArr.revoke();
  var badPrimitive = {
    toString: function () { throw new Error('toString throws'); },
    valueOf: function () { throw new Error('valueOf throws'); }
  };
  badPrimitive[Symbol.toPrimitive] = function () { throw new Error('toPrimitive throws'); };
  var badIndex = [1, 2];
  Object.defineProperty(badIndex, 0, { get: function () { throw new Error('index getter throws'); } });
  var badIterator = ['track', 'bad-iterator'];
  badIterator[Symbol.iterator] = function () { throw new Error('iterator throws'); };
  var badLength = { get length() { throw new Error('length throws'); } };
  var nullProto = Object.create(null);
  nullProto.a = 1;
  return [
    ['undefined', undefined],
    ['null', null],
    ['zero', 0],
    ['minus zero', -0],
    ['number', 42],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['true', true],
    ['empty string', ''],
    ['blank string', '   '],
    ['control characters', '\u0000\u0001\n\u2028\u2029"\\'],
    ['lone surrogate', '\ud800x\udfff'],
    ['BigInt', 12345678901234567890n],
    ['symbol', Symbol('hostile')],
    ['function', function named() { return 1; }],
    ['throwing function', function () { throw new Error('called'); }],
    ['class', class Klass {}],
    ['1 MB string', big],
    ['10,000-deep object', deep],
    ['10,000-deep array', deepArr],
    ['circular object', circ],
    ['circular array', circArr],
    ['throwing getter', getter],
    ['throwing toJSON', throwsToJSON],
    ['Date', new Date(0)],
    ['invalid Date', new Date(NaN)],
    ['Error', new TypeError('hostile error')],
    ['Uint8Array', new Uint8Array([1, 2, 3])],
    ['Float64Array', new Float64Array([NaN, 1.5, -Infinity])],
    ['1 MB Uint8Array', new Uint8Array(1 << 20)],
    ['ArrayBuffer', new ArrayBuffer(16)],
    ['Map', new Map([['k', 1], [{ o: 1 }, 2], [Symbol('s'), 3]])],
    ['Set', new Set([1, 'a', { o: 1 }])],
    ['WeakMap', new WeakMap()],
    ['frozen object', Object.freeze({ a: 1, nested: Object.freeze([1, 2]) })],
    ['sealed object', Object.seal({ a: 1 })],
    ['frozen array', Object.freeze(['track', 'frozen-array'])],
    ['Proxy', new Proxy({ a: 1 }, {})],
    ['Proxy of an array', new Proxy(['track', 'proxied-array'], {})],
    ['Proxy whose traps throw', new Proxy({}, allTraps)],
    ['array Proxy whose traps throw', new Proxy([], allTraps)],
    ['function Proxy whose traps throw', new Proxy(function () {}, allTraps)],
    ['revoked Proxy', revoked.proxy],
    ['revoked array Proxy', revokedArr.proxy],
    ['__proto__ key (JSON.parse)', JSON.parse('{"__proto__":{"polluted":1},"a":1}')],
    ['constructor key', JSON.parse('{"constructor":{"prototype":{"polluted":1}},"a":1}')],
    ['null prototype', nullProto],
    ['throwing toString/valueOf/toPrimitive', badPrimitive],
    ['array with throwing index getter', badIndex],
    ['array with throwing iterator', badIterator],
    ['throwing length', badLength],
    ['sparse array', [, , 1]],
    ['boxed string', new String('boxed')],
    ['RegExp', /x/g],
    ['Promise', Promise.resolve(1)],
    ['DOM element', document.body],
    ['Event', new Event('hostile')],
    ['document', document],
    ['window', window]
  ];
}
`;

/** In the page: the argument lists each method is called with, for one hostile value `v`. */
const SHAPES = String.raw`
var noop = function () {};
var SHAPES = {
  track: function (v) {
    return [[v], ['hostile', v], ['hostile', { v: v }], ['hostile', { nested: { list: [v, v], v: v }, keep: 1 }],
      ['hostile', {}, v], ['hostile', { v: v }, { useArrayParams: false }], [v, v, v]];
  },
  page: function (v) {
    return [[v], ['Hostile', v], [{ v: v }], ['Hostile', { v: v }], ['Hostile', {}, v], [v, { v: v }, v], [v, v, v]];
  },
  identify: function (v) {
    return [[v], ['user-1', v], [{ id: v }], [{ id: 'user-1', v: v }], [{ email: v }], [v, v]];
  },
  reset: function (v) { return [[], [v]]; },
  on: function (v) { return [[v], [v, v], ['ready', v], ['sent', v], ['error', v], [v, noop]]; },
  off: function (v) { return [[v], [v, v], ['ready', v], ['sent', v], [v, noop]]; },
  flush: function (v) { return [[], [v]]; },
  push: function (v) {
    return [[], [v], [v, v], [[v]], [[v, 'x']], [['track', v]], [['track', 'hostile-push', v]],
      [['track', 'hostile-push', { v: v }]], [['identify', v]], [['page', v]], [['on', 'sent', v]]];
  }
};
SHAPES.sidentify = SHAPES.identify;
`;

/** Extra calls per method: names that live on Object.prototype, throwing listeners. */
const SPECIAL = String.raw`
var throwing = function () { throw new Error('listener throws'); };
var SPECIAL = {
  on: [['__proto__', noop], ['constructor', noop], ['hasOwnProperty', noop], ['toString', noop], ['valueOf', noop],
    ['sent', throwing], ['error', throwing], ['ready', throwing]],
  off: [['__proto__', noop], ['constructor', noop], ['hasOwnProperty', noop], ['toString', noop], ['sent', throwing]],
  push: [[['__proto__']], [['constructor']], [['toString']], [['valueOf']], [['hasOwnProperty', 'x']],
    [['propertyIsEnumerable', 'x']], [['isPrototypeOf', {}]], [['toLocaleString']],
    [['__defineGetter__', 'polluted', noop]], [['__defineSetter__', 'polluted', noop]], [['__lookupGetter__', 'x']],
    [['push', ['track', 'nested-push']]], [['version']], [['load', 'x']], [['flush']], [['reset']]]
};
`;

/**
 * In the page: calls `_cio[method]` with every shape of every corpus value
 * (labels in `skip` left out) and returns what threw, what flush returned
 * (awaited with a deadline), and whether the prototypes are untouched.
 */
const runCorpus = (method: string, skip: string[] = []) => `(async () => {
${CORPUS}
${SHAPES}
${SPECIAL}
var protoBefore = Object.getOwnPropertyNames(Object.prototype).sort().join();
var arrayBefore = Object.getOwnPropertyNames(Array.prototype).sort().join();
var describe = function (e) { try { return String(e && e.message); } catch (_) { return 'unprintable'; } };
var skip = ${JSON.stringify(skip)};
var threw = [];
var returned = [];
var calls = 0;
var call = function (label, args) {
  calls++;
  try {
    var result = window._cio[${JSON.stringify(method)}].apply(window._cio, args);
    if (${JSON.stringify(method)} === 'flush') returned.push(result);
  } catch (e) {
    threw.push(${JSON.stringify(method)} + '(' + label + '): ' + describe(e));
  }
};
corpus().forEach(function (entry) {
  if (skip.indexOf(entry[0]) >= 0) return;
  SHAPES[${JSON.stringify(method)}](entry[1]).forEach(function (args) { call(entry[0], args); });
});
(SPECIAL[${JSON.stringify(method)}] || []).forEach(function (args, i) { call('special #' + i, args); });
var notThenable = returned.filter(function (r) { return !r || typeof r.then !== 'function'; }).length;
var settled = await Promise.race([
  Promise.all(returned.filter(function (r) { return r && typeof r.then === 'function'; })).then(function (all) { return all; }),
  new Promise(function (resolve) { setTimeout(function () { resolve('flush promises still pending after 20 s'); }, 20000); })
]);
return {
  calls: calls,
  threw: threw,
  notThenable: notThenable,
  settled: Array.isArray(settled) ? 'settled' : settled,
  polluted: ({}).polluted !== undefined || [].polluted !== undefined,
  protoSame: Object.getOwnPropertyNames(Object.prototype).sort().join() === protoBefore,
  arraySame: Object.getOwnPropertyNames(Array.prototype).sort().join() === arrayBefore,
  methodsIntact: ['track', 'page', 'identify', 'sidentify', 'reset', 'on', 'off', 'flush', 'push']
    .every(function (m) { return typeof window._cio[m] === 'function'; })
};
})()`;

interface CorpusResult {
  calls: number;
  threw: string[];
  notThenable: number;
  settled: string;
  polluted: boolean;
  protoSame: boolean;
  arraySame: boolean;
  methodsIntact: boolean;
}

const METHODS = ['track', 'page', 'identify', 'sidentify', 'reset', 'on', 'off', 'flush', 'push'];

describe('hostile arguments to every public method', () => {
  for (const method of METHODS) {
    it(`${method}(…) with the whole corpus: nothing thrown, nothing broken, SDK still delivers`, async () => {
      const { page, errors } = await open('/t/hostile');
      await ready(page);
      await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/hostile');
      // A 1 MB user id is covered by its own test below: it is the one value that persists.
      const skip = method === 'identify' || method === 'sidentify' ? ['1 MB string'] : [];
      const result = (await page.evaluate(runCorpus(method, skip))) as CorpusResult;

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

      await page.evaluate(`_cio.track('marker-${method}', { after: ${JSON.stringify(method)} })`);
      const marker = await arrived(`marker-${method}`);
      expect(marker.properties).toEqual({ after: method });
      // Nothing else left the page's queue stuck: a flush empties it.
      expect(await page.evaluate('_cio.flush()')).toBe(true);
      expectCleanWire();
      expect(errors).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('calls queued on the stub before track.js loads are replayed without breaking the SDK', async () => {
    // Every hostile value, through the snippet's stub methods and its array push,
    // then a marker: the automatic page event and the marker must both arrive.
    const before = `${CORPUS}
${SHAPES}
${SPECIAL}
(function () {
  var values = corpus().filter(function (e) { return e[0] !== '1 MB string'; });
  ['track', 'page', 'identify', 'sidentify', 'on', 'off', 'reset'].forEach(function (method) {
    values.forEach(function (e) {
      SHAPES[method](e[1]).forEach(function (args) { window._cio[method].apply(window._cio, args); });
    });
  });
  values.forEach(function (e) { window._cio.push(e[1]); window._cio.push([e[1], 'x']); window._cio.push(['track', e[1]]); });
  SPECIAL.push.forEach(function (args) { window._cio.push.apply(window._cio, args); });
  window._cio.track('queued-marker', { queued: true });
})();`;
    const { page, errors } = await open('/t/queued', pageHtml({ before }));
    const marker = await arrived('queued-marker');
    expect(marker.properties).toEqual({ queued: true });
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/queued');
    await page.evaluate(`_cio.track('after-queued', { n: 1 })`);
    await arrived('after-queued');
    expect(await page.evaluate('typeof _cio.version')).toBe('string');
    expectCleanWire();
    expect(errors).toEqual([]);
    expect(await page.evaluate('({}).polluted === undefined && [].polluted === undefined')).toBe(true);
  });

  it('identify with a 1 MB id: no exception, and later events still arrive', async () => {
    const { page, errors } = await open('/t/huge-id');
    await ready(page);
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === '/t/huge-id');
    const threw = await page.evaluate(`(() => {
      var big = 'u'.repeat(1 << 20), threw = [];
      [[big], [{ id: big }], [{ email: big }]].forEach(function (args) {
        try { _cio.identify.apply(_cio, args); } catch (e) { threw.push(String(e)); }
        try { _cio.sidentify.apply(_cio, args); } catch (e) { threw.push(String(e)); }
      });
      return threw;
    })()`);
    expect(threw).toEqual([]);
    await page.evaluate(`_cio.track('after-huge-id', { n: 1 })`);
    const m = await arrived('after-huge-id');
    expect(m.properties).toEqual({ n: 1 });
    expectCleanWire();
    expect(errors).toEqual([]);
  });

  it('messages near the 32 KB limit: a 300 KB backlog of legal messages all arrive promptly', async () => {
    // Legal but large: each message is under 32 KB, together they need several
    // requests of up to 64 KB. A healthy SDK delivers them in a few seconds.
    const { page, errors } = await open('/t/near-limit');
    await ready(page);
    await page.evaluate(`(() => {
      for (var i = 0; i < 10; i++) _cio.track('near-limit', { i: i, pad: 'p'.repeat(30000) });
    })()`);
    const got = await waitForEvents(suite.collector, 10, byEvent('near-limit'), 15_000);
    expect(got.map((m) => m.properties!.i).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expectCleanWire();
    expect(errors).toEqual([]);
  });
});

describe('event data made JSON-safe (README, "Bad input and host pages"), checked field by field', () => {
  it('BigInt, Date, NaN/Infinity, circular, Error, throwing getter, dropped values', async () => {
    const { page, errors } = await open('/t/json-safe');
    await ready(page);
    await page.evaluate(`(() => {
      var circ = { name: 'c' };
      circ.self = circ;
      circ.list = [1, circ];
      var shared = { s: 1 };
      var getter = { sibling: 'ok', after: 2 };
      Object.defineProperty(getter, 'bad', { enumerable: true, get: function () { throw new Error('no'); } });
      var data = {
        big: 12345678901234567890n,
        negBig: -5n,
        date: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 678)),
        badDate: new Date(NaN),
        nan: NaN, inf: Infinity, ninf: -Infinity,
        circ: circ,
        err: new TypeError('boom'),
        getter: getter,
        undef: undefined,
        fn: function () {},
        sym: Symbol('s'),
        list: [1, undefined, function () {}, Symbol('x'), NaN, 2n, new Date(0)],
        throwsToJSON: { toJSON: function () { throw new Error('t'); } },
        map: new Map([['a', 1], ['b', { c: 2 }]]),
        set: new Set([1, 'two']),
        a: shared, b: shared,
        keep: 'yes'
      };
      data[Symbol('symbol key')] = 1;
      _cio.track('spec8', data);
      var top = { a: 1 };
      top.me = top;
      _cio.track('spec8-top-circular', top);
      _cio.track('spec8-top-error', new RangeError('top'));
      _cio.identify('user-spec8', { created_at: new Date(0), big: 7n, nan: NaN, err: new Error('e') });
      _cio.page('Spec8', { when: new Date(0), count: 3n, ratio: Infinity });
    })()`);

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
    expect(errors).toEqual([]);
  });

  it('nesting deeper than the cut-off is truncated, not thrown, and arrives as valid JSON', async () => {
    const { page, errors } = await open('/t/deep');
    await ready(page);
    await page.evaluate(`(() => {
      var deep = { leaf: true };
      for (var i = 0; i < 10000; i++) deep = { d: deep };
      _cio.track('deep', { deep: deep, sibling: 'here' });
    })()`);
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
    expect(errors).toEqual([]);
  });

  it('prototype-polluting keys in data, identify and the URL pollute nothing', async () => {
    const path = '/t/proto';
    const { page, errors } = await open(
      `${path}?__proto__[polluted]=1&__proto__=x&constructor[prototype][polluted]=1&a=1`,
    );
    await ready(page);
    await page.evaluate(`(() => {
      var evil = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"a":1}';
      _cio.track('proto-track', JSON.parse(evil));
      _cio.page('proto-page', JSON.parse(evil));
      _cio.identify(JSON.parse('{"id":"user-proto","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}'));
      _cio.identify('user-proto', JSON.parse(evil));
      _cio.push(JSON.parse('["track","proto-push",{"__proto__":{"polluted":1},"a":1}]'));
      _cio.track('proto-nested', { list: [JSON.parse(evil)], m: new Map([['__proto__', { polluted: 1 }]]) });
    })()`);
    const [auto] = await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
    expect(auto.properties!['__proto__[polluted]']).toBe('1');
    expect(auto.properties!['a']).toBe('1');
    expect(Object.hasOwn(auto.properties!, '__proto__')).toBe(true);
    expect((await arrived('proto-track')).properties!.a).toBe(1);
    expect((await arrived('proto-push')).properties!.a).toBe(1);
    await arrived('proto-nested');
    await waitForEvents(suite.collector, 2, (m) => m.type === 'identify' && m.userId === 'user-proto');
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === 'proto-page');
    expect(
      await page.evaluate(
        `({}).polluted === undefined && [].polluted === undefined && Object.prototype.polluted === undefined` +
          ` && Object.getOwnPropertyNames(Object.prototype).indexOf('polluted') < 0`,
      ),
    ).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectCleanWire();
    expect(errors).toEqual([]);
  });
});

/** The host page's own code after the snippet: calls before and after load, a flush, an identify. */
const HOST_APP = String.raw`
_cio.track('host-a', { list: [1, 2, { x: [3] }], n: 1, s: 'text' });
window.addEventListener('load', function () {
  _cio.identify('host-user');
  _cio.track('host-b', { after: 'load' });
  _cio.flush().then(function (ok) { _cio.track('host-flushed', { ok: ok }); });
});
`;

/** Breakages of the host page, installed before the snippet runs. */
const HOST_CASES: [string, string][] = [
  ['JSON.stringify returns garbage', `JSON.stringify = function () { return '}garbage{'; };`],
  [
    'Array.prototype.toJSON returns a string (Prototype.js)',
    `Array.prototype.toJSON = function () { return '[' + this.join(',') + ']'; };`,
  ],
  ['window.fetch throws', `window.fetch = function () { throw new Error('fetch is disabled here'); };`],
  ['window.fetch rejects', `window.fetch = function () { return Promise.reject(new Error('no network for you')); };`],
  ['window.fetch returns undefined', `window.fetch = function () {};`],
  ['window.fetch returns a string', `window.fetch = function () { return 'not a Response'; };`],
  ['window.fetch resolves to a plain object', `window.fetch = function () { return Promise.resolve({ ok: true }); };`],
  [
    'window.Promise replaced by a broken constructor',
    `window.Promise = function () { throw new Error('Promise is broken on this page'); };`,
  ],
  [
    'localStorage and document.cookie throw',
    `(function () {
      var deny = function () { throw new DOMException('Access is denied for this document.', 'SecurityError'); };
      Object.defineProperty(window, 'localStorage', { configurable: true, get: deny });
      Object.defineProperty(window, 'sessionStorage', { configurable: true, get: deny });
      Object.defineProperty(document, 'cookie', { configurable: true, get: deny, set: deny });
    })();`,
  ],
];

describe('hostile host page', () => {
  HOST_CASES.forEach(([name, pre], i) => {
    it(`${name}: events still arrive, intact`, async () => {
      const path = `/t/host-${i}`;
      const { errors } = await open(path, hostHtml(pre, { before: HOST_APP }));
      const [auto] = await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
      const a = await arrived('host-a');
      expect(a.properties).toEqual({ list: [1, 2, { x: [3] }], n: 1, s: 'text' });
      const b = await arrived('host-b');
      expect(b.userId).toBe('host-user');
      expect(b.anonymousId).toBe(auto.anonymousId);
      expect(a.anonymousId).toBe(auto.anonymousId);
      const flushed = await arrived('host-flushed');
      expect(flushed.properties).toEqual({ ok: true });
      await waitForEvents(suite.collector, 1, (m) => m.type === 'identify' && m.userId === 'host-user');
      expectCleanWire();
      expect(errors).toEqual([]);
    });
  });

  it('inside a sandboxed iframe (opaque origin: no cookies, no storage)', async () => {
    const inner = `<!doctype html><html><head><meta charset="utf-8"><title>sandboxed</title>
<script>${renderSnippet({ siteId: SITE, src: suite.collector.url + '/track.js' })}</script>
<script>_cio.track('in-sandbox', { n: 1 }); _cio.identify('sandbox-user'); _cio.track('in-sandbox-2', { n: 2 });</script>
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
    expect(errors).toEqual([]);
  });
});
