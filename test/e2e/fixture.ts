/**
 * The engine-neutral end-to-end fixture: one engine (engines.ts) and one
 * collector for the file, a fresh session per test, and pages that carry
 * their own recorder of errors, warnings and log lines, since WebKit and
 * Firefox over BiDi give the test no console of the page.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { engineName, launchEngine, type Engine, type Session, type Tab } from './engines';
import { launchCollector, ROOT, waitFor, type Collector } from './harness';

/** Served at RECORDER_PATH and loaded first in every page under /t/. */
const RECORDER_PATH = '/t/__recorder.js';
const RECORDER = `(() => {
  // Run again by a page that executes the scripts of each page it renders (Turbo, pjax): one recorder is enough.
  if (window.__e2e) return document.currentScript.remove();
  const seen = { errors: [], warnings: [], logs: [] };
  Object.defineProperty(window, '__e2e', { value: seen, enumerable: false });
  addEventListener('error', (e) => seen.errors.push('pageerror: ' + e.message));
  addEventListener('unhandledrejection', (e) => seen.errors.push('pageerror: ' + String(e.reason)));
  document.addEventListener('securitypolicyviolation', (e) => {
    // Firefox and WebKit fetch /favicon.ico for the tab themselves; a strict img-src blocks that, not anything of the page's.
    if (e.blockedURI.endsWith('/favicon.ico')) return;
    seen.errors.push('csp: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
  });
  // Objects as JSON, the way a console shows their contents rather than [object Object].
  const text = (a) => {
    if (a === null || typeof a !== 'object' || a instanceof Error) return String(a);
    try { return JSON.stringify(a); } catch (e) { return String(a); }
  };
  const wrap = (name, into) => {
    const original = console[name];
    console[name] = function () {
      into.push(name + ': ' + Array.prototype.map.call(arguments, text).join(' '));
      return original.apply(this, arguments);
    };
  };
  wrap('error', seen.errors);
  wrap('warn', seen.warnings);
  wrap('log', seen.logs);
  wrap('info', seen.logs);
  wrap('debug', seen.logs);
  // Leaves the page's DOM as the page wrote it.
  document.currentScript.remove();
})();`;

/** A page as served: its HTML, and response headers if it needs any. */
export type Served = string | { html: string; headers: Record<string, string> };

/**
 * Puts the recorder first in the page's head (a script from 'self', so a strict CSP allows it);
 * a page served from another origin names the suite's collector as `from`.
 */
export function withRecorder(page: Served, from = ''): Served {
  const add = (html: string) => html.replace(/<head>|<head [^>]*>/i, (head) => `${head}<script src="${from}${RECORDER_PATH}"></script>`);
  return typeof page === 'string' ? add(page) : { ...page, html: add(page.html) };
}

/**
 * Static scripts under /t/: `/t/fixtures/<file>` from test/fixtures/pages (the
 * shims and in-page helpers of the scenarios), `/t/npm/<path>` from
 * node_modules (the real libraries, pinned in devDependencies).
 */
const STATIC: [prefix: string, dir: string][] = [
  ['/t/fixtures/', join(ROOT, 'test', 'fixtures', 'pages')],
  ['/t/npm/', join(ROOT, 'node_modules')],
];

function staticScript(pathname: string): Served | undefined {
  for (const [prefix, dir] of STATIC) {
    if (!pathname.startsWith(prefix)) continue;
    const file = resolve(dir, decodeURIComponent(pathname.slice(prefix.length)));
    if (!file.startsWith(dir + sep) || !existsSync(file)) return undefined;
    return { html: readFileSync(file, 'utf8'), headers: { 'Content-Type': 'text/javascript; charset=utf-8' } };
  }
  return undefined;
}

export interface SuiteOptions {
  /** Let Chromium keep pages in the back/forward cache (the drivers turn it off by default). */
  bfcache?: boolean;
}

export interface OpenedPage {
  tab: Tab;
  session: Session;
  /** Uncaught errors, console.error calls and CSP violations the page recorded so far. */
  errors(): Promise<string[]>;
  /** console.warn lines, each `warn: ` and its arguments. */
  warnings(): Promise<string[]>;
  /** console.log, info and debug lines, each `log: `, `info: ` or `debug: ` and its arguments. */
  logs(): Promise<string[]>;
}

/**
 * Registers the file's hooks. Pages under /t/ are served from `pages` by
 * path (cleared, with the collector's faults and store, before each test),
 * else from `fallback`.
 */
export function useEngineSuite(fallback: (url: URL) => Served, options: SuiteOptions = {}) {
  let engine: Engine;
  let collector: Collector;
  const sessions: Session[] = [];
  const pages = new Map<string, Served>();

  beforeAll(async () => {
    [engine, collector] = await Promise.all([launchEngine(engineName(), options), launchCollector()]);
    collector.setPages((url) => {
      if (url.pathname === RECORDER_PATH) return { html: RECORDER, headers: { 'Content-Type': 'text/javascript' } };
      if (!url.pathname.startsWith('/t/')) return undefined;
      const script = staticScript(url.pathname);
      if (script) return script;
      return withRecorder(pages.get(url.pathname) ?? fallback(url));
    });
  });
  afterAll(async () => {
    await engine?.close();
    await collector?.close();
  });
  beforeEach(() => {
    pages.clear();
    collector.clearFaults();
    collector.store.clear();
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });

  return {
    pages,
    get collector() {
      return collector;
    },
    get engine() {
      return engine;
    },
    /** A tab in a fresh session (closed after the test), or a further tab of `session`. */
    async openPage(session?: Session): Promise<OpenedPage> {
      if (!session) {
        session = await engine.newSession();
        sessions.push(session);
      }
      const tab = await session.newTab();
      const read = (which: 'errors' | 'warnings' | 'logs') =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the recorder's own global, set above
        tab.evaluate((w) => ((window as any).__e2e ? (window as any).__e2e[w].slice() : []) as string[], which);
      return { tab, session, errors: () => read('errors'), warnings: () => read('warnings'), logs: () => read('logs') };
    },
  };
}

/** Polls `fn(arg)` in the page until it returns a truthy value (harness waitFor: a deadline, no fixed sleep). */
export function untilInPage<T, A = undefined>(tab: Tab, what: string, fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> {
  return waitFor(() => tab.evaluate(fn, arg), what);
}

/** Waits until track.js has run: the real `_cio` carries a version, the snippet's stub does not. */
export async function sdkLoaded(tab: Tab): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's global, untyped in the page
  await untilInPage(tab, 'track.js to load', () => !!((window as any)._cio && (window as any)._cio.version));
}
