/**
 * Shared set-up of the core-SDK end-to-end files (sdk.test.ts, sdk-loading.test.ts):
 * one Chromium and one collector per file, a fresh browser context per test
 * (emulated locale, time zone, screen and user agent, so that `context` can
 * be checked exactly), pages routed by their first path segment under /t/,
 * and helpers that build the exact wire messages a test expects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import {
  countIds,
  launchBrowser,
  launchCollector,
  ROOT,
  servePages,
  waitForEvents,
  watchErrors,
  type Collector,
  type WireMessage,
} from './harness';

export const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
export const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Generous: another e2e file may be running on this 2-core machine. */
export const DEADLINE = 30_000;

// What every context emulates, so that context.userAgent/locale/timezone/screen are exact.
export const UA = 'Mozilla/5.0 (X11; Linux x86_64) cio-track-e2e/1.0';
export const LOCALE = 'fr-FR';
export const TIMEZONE = 'Asia/Tokyo';
export const SCREEN = { width: 1440, height: 900 };

export type Stored = WireMessage & { receivedAt: string };

export interface Tab {
  page: Page;
  /** pageerror and console.error (harness watchErrors). */
  errors: string[];
  warnings: string[];
  logs: string[];
  /** Requests the page made to any /v1/batch. */
  batches: { url: string; method: string; headers: Record<string, string>; body: string }[];
}

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The millisecond time encoded in a ULID's first 10 characters. */
export const ulidTime = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + B32.indexOf(c), 0);

export function useSuite() {
  const routes = new Map<string, (url: URL) => string>();
  const contexts: BrowserContext[] = [];
  let browser: Browser;
  let collector: Collector & { dataDir: string };

  beforeAll(async () => {
    browser = await launchBrowser();
    collector = await launchCollector();
    servePages(collector, (url) => {
      const html = routes.get(url.pathname.split('/')[2]);
      return html ? html(url) : '<!doctype html><title>no such test page</title>';
    });
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
    routes.clear();
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.close();
  });

  const suite = {
    get browser() {
      return browser;
    },
    get collector() {
      return collector;
    },

    /** Serves `html` for every page under /t/<key>/ on the collector's origin; returns the URL of /t/<key>/<rest>. */
    serve(key: string, html: string | ((url: URL) => string), rest = 'index'): string {
      routes.set(key, typeof html == 'string' ? () => html : html);
      return `${collector.url}/t/${key}/${rest}`;
    },

    async newContext(): Promise<BrowserContext> {
      const context = await browser.newContext({
        userAgent: UA,
        locale: LOCALE,
        timezoneId: TIMEZONE,
        screen: SCREEN,
        viewport: { width: 1200, height: 800 },
      });
      contexts.push(context);
      return context;
    },

    /** A new page with its errors, warnings, logs and batch requests recorded from the start. */
    async newTab(context: BrowserContext): Promise<Tab> {
      const page = await context.newPage();
      const tab: Tab = { page, errors: watchErrors(page), warnings: [], logs: [], batches: [] };
      page.on('console', (m) => {
        if (m.type() == 'warning') tab.warnings.push(m.text());
        else if (m.type() == 'log') tab.logs.push(m.text());
      });
      page.on('request', (r) => {
        if (new URL(r.url()).pathname == '/v1/batch')
          void r.allHeaders().then((headers) =>
            tab.batches.push({ url: r.url(), method: r.method(), headers, body: r.postData() || '' }),
          );
      });
      return tab;
    },

    /** Waits until track.js has run (the real `_cio` carries a version). */
    async sdkLoaded(page: Page): Promise<void> {
      await page.waitForFunction(() => !!(window as any)._cio?.version, undefined, { timeout: DEADLINE }); // eslint-disable-line @typescript-eslint/no-explicit-any
    },

    /** Stored messages matching `match`, in their order of arrival. */
    events(match: (m: Stored) => boolean): Stored[] {
      return (collector.store.events() as Stored[]).filter(match);
    },

    wait(count: number, match: (m: Stored) => boolean, at = collector): Promise<Stored[]> {
      return waitForEvents(at, count, match as (m: WireMessage) => boolean, DEADLINE) as Promise<Stored[]>;
    },

    /** The end-of-test invariants: no page errors, nothing rejected or re-sent, no failed request. */
    expectClean(tabs: Tab[], messages: Stored[] = [], at = collector): void {
      for (const tab of tabs) expect(tab.errors).toEqual([]);
      expect(at.store.rejected()).toEqual([]);
      expect(at.store.requests().filter((r) => r.status != 200)).toEqual([]);
      const ids = new Set(messages.map((m) => m.messageId));
      expect(at.store.duplicates().filter((id) => ids.has(id))).toEqual([]);
      expect([...countIds(messages).values()].every((n) => n == 1)).toBe(true);
    },
  };
  return suite;
}

export const byAnon = (anonymousId: string) => (m: Stored) => m.anonymousId == anonymousId;
export const underPath = (prefix: string) => (m: Stored) =>
  typeof m.context?.page?.path == 'string' && m.context.page.path.startsWith(prefix);
/** A short label for order checks: `track:added`, `page:/x`, `identify:u_1`. */
export const label = (m: Stored) => `${m.type}:${m.event ?? m.name ?? m.userId}`;

export interface ContextOptions {
  title?: string;
  referrer?: string;
  /** Expected context.page.url when the page has a canonical link. */
  canonical?: string;
  campaign?: Record<string, string>;
}

/** The exact `context` of a message made on the page at `pageUrl`. */
export function expectedContext(pageUrl: string, o: ContextOptions = {}) {
  const url = new URL(pageUrl);
  return {
    library: { name: 'cio-track', version: VERSION },
    page: {
      path: url.pathname,
      url: o.canonical ?? url.href,
      search: url.search,
      title: o.title ?? 'e2e page',
      referrer: o.referrer ?? '',
    },
    userAgent: UA,
    locale: LOCALE,
    timezone: TIMEZONE,
    screen: SCREEN,
    ...(o.campaign && { campaign: o.campaign }),
  };
}

/** The exact stored message: `fields` (type, event/name/userId, properties/traits, anonymousId…) and `context`. */
export function expectedMessage(fields: Record<string, unknown>, context: ReturnType<typeof expectedContext>) {
  return {
    messageId: expect.stringMatching(ULID_RE),
    timestamp: expect.stringMatching(ISO_RE),
    ...fields,
    context,
    receivedAt: expect.any(String),
  };
}

/**
 * Each message's timestamp lies between `from` and `to` (the test's own
 * clock: browser and collector run on this machine) and its messageId's ULID
 * time is that timestamp (made once, when the call was made); in order of
 * arrival the timestamps never go back.
 */
export function expectCallTimes(messages: Stored[], from: number, to = Date.now()): void {
  let last = 0;
  for (const m of messages) {
    const at = Date.parse(m.timestamp);
    expect(at, `${label(m)} timestamp`).toBeGreaterThanOrEqual(from);
    expect(at, `${label(m)} timestamp`).toBeLessThanOrEqual(to);
    expect(ulidTime(m.messageId), `${label(m)} messageId time`).toBe(at);
    expect(at, `${label(m)} sent in order`).toBeGreaterThanOrEqual(last);
    last = at;
  }
}
