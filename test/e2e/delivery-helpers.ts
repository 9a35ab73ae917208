/**
 * Shared by the delivery end-to-end files (delivery.test.ts,
 * delivery-lifecycle.test.ts): one `Scenario` per test, with its own browser
 * context, its own site id (so its requests can be told apart at the
 * collector by writeKey) and its own pages under `/t/<key>/…` (so its
 * messages can be told apart by `context.page.path`).
 *
 * The page side names every message it records (`<tag>-<n>` for tracks,
 * `page:<path>` for the automatic page event), and the collector's stored
 * messages are checked against that list: each exactly once, nothing else.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  launchBrowser,
  launchCollector,
  pageHtml,
  servePages,
  waitFor,
  watchErrors,
  type Collector,
  type PageOptions,
  type WireMessage,
} from './harness';

/** Options of the pages of each scenario, by key (the first path segment after /t/). */
const pageOptions = new Map<string, PageOptions>();

/** Serves every scenario's pages from the collector's own origin. */
export function serveScenarioPages(collector: Collector): void {
  servePages(collector, (url) => pageHtml(pageOptions.get(url.pathname.split('/')[2]) ?? {}));
}

/** How a message is named in the expected list: the track's event, or `page:<name>`. */
export const label = (m: WireMessage): string => (m.type === 'track' ? String(m.event) : `${m.type}:${m.name ?? ''}`);

interface Attempt {
  at: number;
  beacon: boolean;
  messages: { id: string; name: string }[];
}

let serial = 0;

export class Scenario {
  readonly key: string;
  readonly site: string;
  /** Names of every message the pages recorded, in order. */
  readonly expected: string[] = [];
  /** console.warn of every page. */
  readonly warnings: string[] = [];
  /** Every POST /v1/batch the browser made, as Playwright saw it (beacons included when it sees them). */
  readonly attempts: Attempt[] = [];
  readonly pages: Page[] = [];
  context!: BrowserContext;
  /** When the test started recording messages (Date.now(), the collector's clock too). */
  t0 = Date.now();

  constructor(
    readonly collector: Collector,
    readonly name: string,
    readonly options: PageOptions = {},
  ) {
    this.key = `${name.replace(/[^a-z0-9]+/gi, '-')}-${++serial}-${Date.now().toString(36)}`;
    this.site = `site-${this.key}`;
    pageOptions.set(this.key, { siteId: this.site, ...options });
  }

  async start(browser: Browser, init?: { script?: string; offline?: boolean }): Promise<this> {
    this.context = await browser.newContext();
    if (init?.script) await this.context.addInitScript(init.script);
    this.context.on('request', (request) => {
      if (!request.url().endsWith('/v1/batch') || request.method() !== 'POST') return;
      const attempt: Attempt = { at: Date.now(), beacon: request.resourceType() === 'ping', messages: [] };
      try {
        const body = JSON.parse(request.postData() || '{}');
        for (const m of body.batch || []) attempt.messages.push({ id: m.messageId, name: label(m) });
      } catch {
        // A body Playwright could not give us: counted, not read.
      }
      this.attempts.push(attempt);
    });
    return this;
  }

  url(page: string): string {
    return `${this.collector.url}/t/${this.key}/${page}`;
  }

  /** Names of the automatic page event of page `page`. */
  pageEvent(page: string): string {
    return `page:/t/${this.key}/${page}`;
  }

  /** Page errors and console.error of each page (watchErrors' lists, live). */
  private errorLists: string[][] = [];

  private watch(page: Page): Page {
    this.errorLists.push(watchErrors(page));
    page.on('console', (m) => {
      if (m.type() === 'warning') this.warnings.push(m.text());
    });
    return page;
  }

  /**
   * Page errors and console.error of every page so far, but for Chromium's
   * own "Failed to load resource" lines: the browser logs every non-2xx or
   * failed request that way, and the faults injected here cause them on purpose.
   */
  pageErrors(): string[] {
    return this.errorLists.flat().filter((line) => !/^console\.error: Failed to load resource/.test(line));
  }

  /** Opens `/t/<key>/<name>` in a new tab of the scenario's context; its automatic page event is expected. */
  async open(name: string): Promise<Page> {
    const page = this.watch(await this.context.newPage());
    this.pages.push(page);
    await this.goto(page, name);
    return page;
  }

  /** Navigates `page` to `/t/<key>/<name>`; its automatic page event is expected. */
  async goto(page: Page, name: string): Promise<void> {
    if (this.options.attrs?.['data-auto-track-page'] !== 'false') this.expected.push(this.pageEvent(name));
    await page.goto(this.url(name));
    await waitFor(() => page.evaluate(() => typeof (window as any)._cio?.version === 'string'), 'track.js to load', 30_000);
  }

  /** Reloads `page`; its automatic page event is expected again. */
  async reload(page: Page, name: string): Promise<void> {
    if (this.options.attrs?.['data-auto-track-page'] !== 'false') this.expected.push(this.pageEvent(name));
    await page.reload();
    await waitFor(() => page.evaluate(() => typeof (window as any)._cio?.version === 'string'), 'track.js to load', 30_000);
  }

  /** Names sent in more than one attempt (retried), as Playwright saw the requests. */
  retried(): string[] {
    const seen = new Map<string, number>();
    for (const attempt of this.attempts) for (const { name } of attempt.messages) seen.set(name, (seen.get(name) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([name]) => name);
  }

  /** `_cio.track('<tag>-<i>', data)` for i in [from, to), synchronously in the page; the names are expected. */
  async track(page: Page, tag: string, from: number, to: number, data: Record<string, unknown> = {}): Promise<void> {
    for (let i = from; i < to; i++) this.expected.push(`${tag}-${i}`);
    await page.evaluate(
      ({ tag, from, to, data }) => {
        for (let i = from; i < to; i++) (window as any)._cio.track(`${tag}-${i}`, { i, ...data });
      },
      { tag, from, to, data },
    );
  }

  /** This scenario's messages stored by the collector. */
  stored(): WireMessage[] {
    const prefix = `/t/${this.key}/`;
    return this.collector.store.events().filter((m) => String(m.context?.page?.path ?? '').startsWith(prefix));
  }

  /** This scenario's batch requests at the collector (all statuses, beacons included). */
  requests() {
    return this.collector.store.requests().filter((r) => (r as { writeKey?: string }).writeKey === this.site) as (ReturnType<
      Collector['store']['requests']
    >[number] & { beacon?: boolean; writeKey?: string })[];
  }

  /** The requests as `status[b for a beacon]:count`, e.g. `503:31 200b:31`. */
  requestSummary(): string {
    return this.requests()
      .map((r) => `${r.status}${r.beacon ? 'b' : ''}:${r.count}`)
      .join(' ');
  }

  /** messageIds of this scenario received again by the collector (deduped, not stored). */
  duplicatesReceived(): string[] {
    const ids = new Set(this.stored().map((m) => m.messageId));
    return this.collector.store.duplicates().filter((id) => ids.has(id));
  }

  /** Waits until every expected message is stored (polling the collector, with a deadline). */
  async waitAll(timeout = 30_000): Promise<WireMessage[]> {
    await waitFor(
      () => {
        const have = new Set(this.stored().map(label));
        return this.expected.every((name) => have.has(name));
      },
      `all ${this.expected.length} messages of ${this.name} at the collector`,
      timeout,
    ).catch((error) => {
      throw new Error(`${error.message}; missing ${this.missing().length}: ${this.missing().slice(0, 10).join(', ')}`);
    });
    return this.stored();
  }

  /** Expected messages not stored (yet). */
  missing(): string[] {
    const have = new Set(this.stored().map(label));
    return this.expected.filter((name) => !have.has(name));
  }

  /**
   * Every recorded message stored exactly once and nothing else: the stored
   * names are exactly the expected ones, each messageId once, and every
   * attempt to send a message used the same messageId.
   */
  assertExactlyOnce(): void {
    const stored = this.stored();
    expect(stored.map(label).sort()).toEqual([...this.expected].sort());
    const ids = stored.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    // The messageId is made once, when the call is made, and reused on every retry.
    const idsByName = new Map<string, Set<string>>();
    for (const attempt of this.attempts)
      for (const { id, name } of attempt.messages) (idsByName.get(name) ?? idsByName.set(name, new Set()).get(name)!).add(id);
    // (A name expected more than once, like the page event of a reloaded page, is several messages.)
    const reissued = [...idsByName]
      .filter(([name, set]) => set.size > Math.max(1, this.expected.filter((n) => n === name).length))
      .map(([name]) => name);
    expect(reissued, 'messages sent again with a new messageId').toEqual([]);
    for (const m of stored) if (idsByName.has(label(m))) expect(idsByName.get(label(m))!.has(m.messageId)).toBe(true);
  }

  /** Seconds from t0 to the request that stored the last of this scenario's messages. */
  seconds(): number {
    const stored = this.stored();
    if (!stored.length) return NaN;
    const last = Math.max(...stored.map((m) => Date.parse((m as { receivedAt?: string }).receivedAt ?? '')));
    return (last - this.t0) / 1000;
  }

  reported = false;

  /** The one-line figure of the closing note. */
  report(extra = ''): string {
    this.reported = true;
    const line =
      `[delivery] ${this.name}: sent ${this.expected.length} / stored ${this.stored().length} / ` +
      `duplicates received ${this.duplicatesReceived().length} / requests ${this.requests().length} / ` +
      `${this.seconds().toFixed(2)} s${extra ? ` (${extra})` : ''}`;
    console.log(line);
    return line;
  }

  /** This site's `_cioq_` keys in the page's localStorage, with the message names each holds. */
  async storedQueue(page: Page): Promise<{ key: string; time: number; names: string[] }[]> {
    const raw = await page.evaluate((prefix) => {
      const found: [string, string][] = [];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        if (key.startsWith(prefix)) found.push([key, localStorage.getItem(key) || '']);
      }
      return found;
    }, `_cioq_${this.site}_`);
    return raw.map(([key, value]) => {
      const [time, ...lines] = value.split('\n');
      return { key, time: Number(time), names: lines.map((line) => label(JSON.parse(line))) };
    });
  }

  async close(): Promise<void> {
    if (!this.reported) this.report(`FAILED: ${this.missing().length} of ${this.expected.length} missing; requests ${this.requestSummary()}`);
    pageOptions.delete(this.key);
    await this.context?.close().catch(() => {});
  }
}

/** Tracks a marker and waits for everything, so that a late duplicate would have come before the checks. */
export async function settle(s: Scenario, page: Page, timeout = 30_000): Promise<void> {
  await s.waitAll(timeout);
  await s.track(page, 'marker', 0, 1);
  await s.waitAll(timeout);
}

/**
 * One browser and collector for the file, serving the scenarios' pages:
 * registers the file's hooks. After each test the collector's faults are
 * cleared and that test's scenario is closed.
 */
export function useScenarios() {
  let browser: Browser;
  let collector: Collector;
  let current: Scenario | undefined;

  beforeAll(async () => {
    [browser, collector] = await Promise.all([launchBrowser(), launchCollector()]);
    serveScenarioPages(collector);
  });
  afterEach(async () => {
    collector.clearFaults();
    await current?.close();
    current = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.close();
  });

  return {
    get collector() {
      return collector;
    },
    /** The test's scenario, started in a context of its own. */
    async scenario(name: string, options?: PageOptions, init?: { script?: string }): Promise<Scenario> {
      current = new Scenario(collector, name, options);
      return current.start(browser, init);
    },
  };
}
