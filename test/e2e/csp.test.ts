/**
 * No eval, new Function or innerHTML; the SDK runs under a strict
 * Content-Security-Policy that allows only its script and its endpoint, and
 * touches no global but `_cio`. Every engine, the real dist/track.js through
 * the real snippet, the real collector.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import type { Tab } from './engines';
import { sdkLoaded, useEngineSuite } from './fixture';
import { byEvent, ROOT, SITE, waitFor, waitForEvents } from './harness';

const suite = useEngineSuite(() => '<!doctype html><html><head><title>no such test page</title></head></html>');

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The snippet as pasted, and the site's own inline code calling it. */
const SNIPPET = renderSnippet({ siteId: SITE, src: '/track.js' }) as string;
const APP = `_cio.track('csp-track', { n: 1, when: new Date(0) });
_cio.identify('csp-user', { plan: 'pro' });
window.addEventListener('load', function () { _cio.track('csp-after-load', { n: 2 }); });`;

/** The policy of the issue: only this origin's scripts (plus the two hashed inline ones) and this origin's endpoint. */
const POLICY = `default-src 'none'; script-src 'self' ${sha256(SNIPPET)} ${sha256(APP)}; connect-src 'self'`;

const cspPage = (meta = '') => `<!doctype html><html><head><meta charset="utf-8">${meta}<title>csp</title>
<script>${SNIPPET}</script><script>${APP}</script></head><body><h1>strict CSP</h1></body></html>`;

/** The violations the page's recorder saw (it records each securitypolicyviolation as an error). */
const violations = (errors: string[]) => errors.filter((e) => e.startsWith('csp: '));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's global, untyped in the page
const flush = (tab: Tab) => tab.evaluate(() => (window as any)._cio.flush() as boolean);

/** The three calls and the automatic page event arrive, valid; the SDK sent them, not a fallback. */
async function expectDelivered(path: string) {
  const [track] = await waitForEvents(suite.collector, 1, byEvent('csp-track'));
  expect(track.properties).toEqual({ n: 1, when: '1970-01-01T00:00:00.000Z' });
  const [after] = await waitForEvents(suite.collector, 1, byEvent('csp-after-load'));
  expect(after.userId).toBe('csp-user');
  await waitForEvents(suite.collector, 1, (m) => m.type === 'identify' && m.userId === 'csp-user');
  await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
  const bad = suite.collector.store.requests().filter((r) => r.status !== 200 || r.rejected > 0);
  expect(bad).toEqual([]);
}

describe('strict Content-Security-Policy', () => {
  it('as a response header: events arrive, zero violations', async () => {
    const path = '/t/csp-header';
    suite.pages.set(path, { html: cspPage(), headers: { 'Content-Security-Policy': POLICY } });
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + path);
    const header = await tab.evaluate(() => fetch(location.href).then((r) => r.headers.get('content-security-policy')));
    expect(header).toBe(POLICY);
    await expectDelivered(path);
    // A flush (a fetch to the endpoint) after load is allowed too.
    expect(await flush(tab)).toBe(true);
    expect(await errors()).toEqual([]);

    // The instrument works: a request the policy forbids is recorded.
    await tab.evaluate(() => void fetch('http://127.0.0.2:9/forbidden').catch(() => undefined));
    const [violation] = await waitFor(async () => {
      const found = violations(await errors());
      return found.length > 0 ? found : undefined;
    }, 'the deliberate violation to be reported');
    expect(violation).toMatch(/^csp: connect-src/);
  });

  it('as <meta http-equiv>: events arrive, zero violations', async () => {
    const path = '/t/csp-meta';
    suite.pages.set(path, cspPage(`<meta http-equiv="Content-Security-Policy" content="${POLICY}">`));
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + path);
    await expectDelivered(path);
    expect(await flush(tab)).toBe(true);
    expect(await errors()).toEqual([]);
  });
});

describe('dist/track.js as built', () => {
  it("opens with V8's compile hint, before any code (the minifier drops comments, so the build adds it after)", () => {
    const code = readFileSync(join(ROOT, 'dist', 'track.js'), 'utf8');
    expect(code.startsWith('//# allFunctionsCalledOnLoad\n')).toBe(true);
    expect(code.match(/\/\/#/g)).toHaveLength(1);
  });
});

describe('what dist/track.js touches', () => {
  it('contains no eval, new Function, innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
    const code = readFileSync(join(ROOT, 'dist', 'track.js'), 'utf8');
    expect(code.length).toBeGreaterThan(1000);
    expect(code).not.toMatch(/\beval\s*\(/);
    expect(code).not.toMatch(/new\s+Function\b/);
    expect(code).not.toMatch(/\bFunction\s*\(\s*["'`]/);
    expect(code).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML/);
    expect(code).not.toMatch(/document\.write|\.writeln\s*\(/);
  });

  it('adds no global but _cio, and changes no built-in prototype', async () => {
    const path = '/t/globals';
    suite.pages.set(path, '<!doctype html><html><head><meta charset="utf-8"><title>globals</title></head><body></body></html>');
    const { tab, errors } = await suite.openPage();
    await tab.goto(suite.collector.url + path);
    const snapshot = () => tab.evaluate(() => {
      const names = (o: object) => Object.getOwnPropertyNames(o).concat(Object.getOwnPropertySymbols(o).map(String)).sort();
      return {
        keys: Object.keys(window).sort(),
        own: names(window),
        protos: [Object.prototype, Array.prototype, Function.prototype, String.prototype, Promise.prototype,
          JSON, History.prototype, history, EventTarget.prototype, Document.prototype, document, Storage.prototype,
          XMLHttpRequest.prototype, Navigator.prototype]
          .map((o) => names(o).join()),
        fns: [window.fetch, history.pushState, history.replaceState, JSON.stringify, JSON.parse,
          EventTarget.prototype.addEventListener, XMLHttpRequest.prototype.open, Navigator.prototype.sendBeacon]
          .map((f) => Function.prototype.toString.call(f)),
      };
    });
    const before = await snapshot();
    // Load the SDK the way the snippet does, in a page that had no snippet.
    await tab.evaluate((site) => {
      const s = document.createElement('script');
      s.id = 'cio-tracker';
      s.src = '/track.js';
      s.setAttribute('data-site-id', site);
      document.head.appendChild(s);
    }, SITE);
    await sdkLoaded(tab);
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
    const after = await snapshot();

    expect(after.keys.filter((k) => !before.keys.includes(k))).toEqual(['_cio']);
    expect(before.keys.filter((k) => !after.keys.includes(k))).toEqual([]);
    expect(after.own.filter((k) => !before.own.includes(k))).toEqual(['_cio']);
    expect(after.protos).toEqual(before.protos);
    expect(after.fns).toEqual(before.fns);
    expect(await errors()).toEqual([]);
    // The SDK's own script element is the one the page inserted; nothing else was added to the DOM.
    expect(await tab.evaluate(() => document.querySelectorAll('script').length)).toBe(1);
  });
});
