/**
 * Shared set-up of the core-SDK end-to-end files (sdk.test.ts, sdk-loading.test.ts),
 * over the engine-neutral fixture: pages routed by their first path segment
 * under /t/, and helpers that build the exact wire messages a test expects,
 * with the browser's own user agent, language, time zone and screen read
 * from the page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, expect } from 'vitest';
import type { Tab } from './engines';
import { useEngineSuite, type OpenedPage } from './fixture';
import { countIds, ROOT, waitForEvents, type BatchRequest, type Collector, type WireMessage } from './harness';
import { ISO_RE, ULID_RE } from '../patterns';

export const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
/** Generous: another e2e file may be running on this 2-core machine. */
export const DEADLINE = 30_000;

export type Stored = WireMessage & { receivedAt: string };

const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The millisecond time encoded in a ULID's first 10 characters. */
export const ulidTime = (id: string) => [...id.slice(0, 10)].reduce((t, c) => t * 32 + B32.indexOf(c), 0);

export function useSdkSuite() {
  const routes = new Map<string, (url: URL) => string>();
  const suite = useEngineSuite(
    (url) => routes.get(url.pathname.split('/')[2])?.(url) ?? '<!doctype html><html><head><title>no such test page</title></head></html>',
  );
  beforeEach(() => routes.clear());

  return {
    get collector(): Collector {
      return suite.collector;
    },
    /** A tab in a fresh session, or a further tab of `session` (same cookies and storage). */
    open: (session?: OpenedPage['session']) => suite.openPage(session),

    /** Serves `html` for every page under /t/<key>/ on the collector's origin; returns the URL of /t/<key>/<rest>. */
    serve(key: string, html: string | ((url: URL) => string), rest = 'index'): string {
      routes.set(key, typeof html == 'string' ? () => html : html);
      return `${suite.collector.url}/t/${key}/${rest}`;
    },

    /** Stored messages matching `match`, in their order of arrival. */
    events(match: (m: Stored) => boolean): Stored[] {
      return (suite.collector.store.events() as Stored[]).filter(match);
    },

    wait(count: number, match: (m: Stored) => boolean, at = suite.collector): Promise<Stored[]> {
      return waitForEvents(at, count, match as (m: WireMessage) => boolean, DEADLINE) as Promise<Stored[]>;
    },

    /** The end-of-test invariants: no page errors, nothing rejected or re-sent, no failed request. */
    async expectClean(tabs: OpenedPage[], messages: Stored[] = [], at = suite.collector): Promise<void> {
      for (const tab of tabs) expect(await tab.errors()).toEqual([]);
      expect(at.store.rejected()).toEqual([]);
      expect(at.store.requests().filter((r) => r.status != 200)).toEqual([]);
      const ids = new Set(messages.map((m) => m.messageId));
      expect(at.store.duplicates().filter((id) => ids.has(id))).toEqual([]);
      expect([...countIds(messages).values()].every((n) => n == 1)).toBe(true);
    },
  };
}

export const byAnon = (anonymousId: string) => (m: Stored) => m.anonymousId == anonymousId;
export const underPath = (prefix: string) => (m: Stored) =>
  typeof m.context?.page?.path == 'string' && m.context.page.path.startsWith(prefix);
/** A short label for order checks: `track:added`, `page:/x`, `identify:u_1`. */
export const label = (m: Stored) => `${m.type}:${m.event ?? m.name ?? m.userId}`;
/** Batch requests made from a page whose path starts with `prefix` (a same-origin fetch or beacon carries the page's URL as Referer). */
export const fromPage = (prefix: string) => (r: BatchRequest) =>
  !!r.headers.referer && new URL(r.headers.referer).pathname.startsWith(prefix);
/** The SDK's own console lines among those the page recorded, without the recorder's `warn: ` or `log: ` prefix. */
export const ours = (lines: string[]) => lines.map((l) => l.replace(/^\w+: /, '')).filter((l) => l.startsWith('[cio-track]'));

/** What the browser itself says about the visitor, read in the page: the SDK must report exactly this. */
export type BrowserFacts = Awaited<ReturnType<typeof readBrowser>>;
export function readBrowser(tab: Tab) {
  return tab.evaluate(() => ({
    userAgent: navigator.userAgent,
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    screen: { width: screen.width, height: screen.height },
  }));
}

export interface ContextOptions {
  title?: string;
  referrer?: string;
  /** Expected context.page.url when the page has a canonical link. */
  canonical?: string;
  campaign?: Record<string, string>;
}

/** The exact `context` of a message made on the page at `pageUrl` in `browser`. */
export function expectedContext(browser: BrowserFacts, pageUrl: string, o: ContextOptions = {}) {
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
    ...browser,
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
