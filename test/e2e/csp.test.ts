/**
 * SPEC §8: no eval, new Function or innerHTML; the SDK runs under a strict
 * Content-Security-Policy that allows only its script and its endpoint, and
 * touches no global but `_cio`. Real headless Chromium, the real
 * dist/track.js through the real snippet, the real collector.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import { byEvent, ROOT, SITE, usePageSuite, waitFor, waitForEvents } from './harness';

const suite = usePageSuite(() => '<!doctype html><title>no such test page</title>');

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

/** Records every securitypolicyviolation in the page, from before its first script. */
const RECORD_VIOLATIONS = `(() => {
  const seen = [];
  Object.defineProperty(window, '__cspViolations', { value: seen, enumerable: false });
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
})()`;

/** A fresh page that records CSP violations. */
const openPage = () => suite.openPage(RECORD_VIOLATIONS);

const violations = (page: Page) => page.evaluate('window.__cspViolations.slice()') as Promise<string[]>;

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
    const url = suite.collector.url + path;
    const { page, errors } = await openPage();
    // Playwright routing for this one HTML document only (the collector's pages
    // cannot carry headers); track.js and /v1/batch go to the collector untouched.
    await page.route(url, (route) =>
      route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': POLICY },
        body: cspPage(),
      }),
    );
    const response = await page.goto(url);
    expect(response!.headers()['content-security-policy']).toBe(POLICY);
    await expectDelivered(path);
    // A flush (a fetch to the endpoint) after load is allowed too.
    expect(await page.evaluate('window._cio.flush()')).toBe(true);
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);

    // The instruments work: a request the policy forbids is reported by both.
    await page.evaluate(`fetch('http://127.0.0.2:9/forbidden').catch(function () {})`);
    await waitFor(async () => (await violations(page)).length > 0, 'the deliberate violation to be reported');
    expect((await violations(page))[0]).toMatch(/^connect-src/);
    await waitFor(() => errors.some((e) => /Content Security Policy/i.test(e)), 'the console CSP error');
  });

  it('as <meta http-equiv>: events arrive, zero violations', async () => {
    const path = '/t/csp-meta';
    suite.pages.set(path, cspPage(`<meta http-equiv="Content-Security-Policy" content="${POLICY}">`));
    const { page, errors } = await openPage();
    await page.goto(suite.collector.url + path);
    await expectDelivered(path);
    expect(await page.evaluate('window._cio.flush()')).toBe(true);
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
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
    const { page, errors } = await openPage();
    await page.goto(suite.collector.url + path);
    const SNAPSHOT = `(() => {
      const names = (o) => Object.getOwnPropertyNames(o).concat(Object.getOwnPropertySymbols(o).map(String)).sort();
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
    })()`;
    const before = (await page.evaluate(SNAPSHOT)) as { keys: string[]; own: string[]; protos: string[]; fns: string[] };
    // Load the SDK the way the snippet does, in a page that had no snippet.
    await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.id = 'cio-tracker';
      s.src = '/track.js';
      s.setAttribute('data-site-id', ${JSON.stringify(SITE)});
      document.head.appendChild(s);
    })()`);
    await waitFor(() => page.evaluate('!!(window._cio && window._cio.version)'), 'track.js to load');
    await waitForEvents(suite.collector, 1, (m) => m.type === 'page' && m.name === path);
    const after = (await page.evaluate(SNAPSHOT)) as typeof before;

    expect(after.keys.filter((k) => !before.keys.includes(k))).toEqual(['_cio']);
    expect(before.keys.filter((k) => !after.keys.includes(k))).toEqual([]);
    expect(after.own.filter((k) => !before.own.includes(k))).toEqual(['_cio']);
    expect(after.protos).toEqual(before.protos);
    expect(after.fns).toEqual(before.fns);
    expect(errors).toEqual([]);
    // The SDK's own script element is the one the page inserted; nothing else was added to the DOM.
    expect(await page.evaluate('document.querySelectorAll("script").length')).toBe(1);
  });
});
