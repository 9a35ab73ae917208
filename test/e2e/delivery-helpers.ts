/**
 * Shared by the delivery end-to-end files (delivery.test.ts,
 * delivery-lifecycle.test.ts), in every engine (fixture.ts): one `Scenario`
 * per test, with its own session, its own site id (so its requests can be
 * told apart at the collector by writeKey) and its own pages under
 * `/t/<key>/…` (so its messages can be told apart by `context.page.path`).
 *
 * The page side names every message it records (`<tag>-<n>` for tracks,
 * `page:<path>` for the automatic page event), and the collector's stored
 * messages are checked against that list: each exactly once, nothing else.
 * What the browser sent is read at the collector, which records what every
 * request carried (also the ones it failed on purpose); what the page logged
 * is read from the page's own recorder.
 */
import { afterEach, expect } from 'vitest';
import type { Session, Tab } from './engines';
import { useEngineSuite, type OpenedPage } from './fixture';
import { countIds, pageHtml, waitFor, type BatchRequest, type PageOptions, type WireMessage } from './harness';

export interface ScenarioOptions extends PageOptions {
  /** Script run first in each of the scenario's pages, before the snippet: a page-side shim (blocked storage, say). */
  first?: string;
}

/**
 * The network as the page sees it: `navigator.onLine` and the `offline` and
 * `online` events, switched by `__e2eNetwork(online)`. Firefox over BiDi
 * emulates offline unreliably and WebKit not at all, so the network's side of
 * going offline is the collector's (`Scenario.offline`), the browser's side this.
 */
const NETWORK = `(() => {
  let online = true;
  Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, enumerable: true, get: () => online });
  Object.defineProperty(window, '__e2eNetwork', {
    value: (on) => {
      online = on;
      dispatchEvent(new Event(on ? 'online' : 'offline'));
    },
  });
})();`;

/** Options of the pages of each scenario, by key (the first path segment after /t/). */
const pageOptions = new Map<string, ScenarioOptions>();

/** A page of the scenario's origin without the SDK: to look at its storage. */
const STORAGE_PAGE = '~storage';

/** How long a key may go unwritten before another page takes it over (LEASE in src/queue.ts). */
const LEASE = 5 * 60e3;

function scenarioPage(url: URL): string {
  if (url.pathname.endsWith(`/${STORAGE_PAGE}`)) return '<!doctype html><html><head><title>storage</title></head><body></body></html>';
  const { first = '', ...options } = pageOptions.get(url.pathname.split('/')[2]) ?? {};
  return pageHtml(options).replace('<head>', `<head><script>${NETWORK}${first}</script>`);
}

/** How a message is named in the expected list: the track's event, or `page:<name>`. */
export const label = (m: { type?: string; event?: string; name?: string }): string =>
  m.type === 'track' ? String(m.event) : `${m.type}:${m.name ?? ''}`;

interface Attempt {
  at: number;
  beacon: boolean;
  messages: { id: string; name: string }[];
}

type Suite = ReturnType<typeof useEngineSuite>;

let serial = 0;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's global and the network shim, untyped in the page
type InPage = any;

export class Scenario {
  readonly key: string;
  readonly site: string;
  /** Names of every message the pages recorded, in order. */
  readonly expected: string[] = [];
  /** The session every page of the scenario opens in (so they share storage), from the first `open`. */
  session?: Session;
  /** When the test started recording messages (Date.now(), the collector's clock too). */
  t0 = Date.now();
  private readonly opened = new Map<Tab, OpenedPage>();
  /** What pages closed or navigated away had recorded. */
  private readonly left = { errors: [] as string[], warnings: [] as string[] };

  constructor(
    readonly suite: Suite,
    readonly name: string,
    readonly options: ScenarioOptions = {},
  ) {
    this.key = `${name.replace(/[^a-z0-9]+/gi, '-')}-${++serial}-${Date.now().toString(36)}`;
    this.site = `site-${this.key}`;
    pageOptions.set(this.key, { siteId: this.site, ...options });
  }

  get collector() {
    return this.suite.collector;
  }

  url(page: string): string {
    return `${this.collector.url}/t/${this.key}/${page}`;
  }

  /** Names of the automatic page event of page `page`. */
  pageEvent(page: string): string {
    return `page:/t/${this.key}/${page}`;
  }

  /** Keeps what the page in `tab` recorded, before it goes away. */
  private async keep(tab: Tab): Promise<void> {
    const page = this.opened.get(tab)!;
    const [errors, warnings] = await Promise.all([page.errors(), page.warnings()]);
    this.left.errors.push(...errors);
    this.left.warnings.push(...warnings);
  }

  private async everyPage(which: 'errors' | 'warnings'): Promise<string[]> {
    const live = await Promise.all([...this.opened.values()].map((page) => page[which]()));
    return [...this.left[which], ...live.flat()];
  }

  /** Uncaught errors and console.error of every page so far (as far as their recorders saw). */
  pageErrors(): Promise<string[]> {
    return this.everyPage('errors');
  }

  /** console.warn of every page so far. */
  warnings(): Promise<string[]> {
    return this.everyPage('warnings');
  }

  /** Opens `/t/<key>/<name>` in a new tab of the scenario's session; its automatic page event is expected. */
  async open(name: string): Promise<Tab> {
    const page = await this.suite.openPage(this.session);
    this.session = page.session;
    this.opened.set(page.tab, page);
    await this.load(page.tab, name, () => page.tab.goto(this.url(name)));
    return page.tab;
  }

  /** Navigates `tab` to `/t/<key>/<name>`; its automatic page event is expected. */
  async goto(tab: Tab, name: string): Promise<void> {
    await this.keep(tab);
    await this.load(tab, name, () => tab.goto(this.url(name)));
  }

  /** Reloads `tab`; its automatic page event is expected again. */
  async reload(tab: Tab, name: string): Promise<void> {
    await this.keep(tab);
    await this.load(tab, name, () => tab.reload());
  }

  private async load(tab: Tab, name: string, navigate: () => Promise<void>): Promise<void> {
    if (this.options.attrs?.['data-auto-track-page'] !== 'false') this.expected.push(this.pageEvent(name));
    await navigate();
    await waitFor(() => tab.evaluate(() => typeof (window as InPage)._cio?.version === 'string'), 'track.js to load', 30_000);
  }

  /** Closes `tab` (the page gets its pagehide, as when the user closes it). */
  async close(tab: Tab): Promise<void> {
    await this.keep(tab);
    this.opened.delete(tab);
    await tab.close();
  }

  /**
   * The network goes down: every request that reaches the collector fails as
   * one would offline (no answer: status 0, recorded with what it carried, so
   * an attempt shows), and the page is told, as the browser would tell it.
   */
  async offline(tab: Tab): Promise<void> {
    this.collector.fault({ drop: true, count: 1e6 });
    await tab.evaluate(() => (window as InPage).__e2eNetwork(false));
  }

  /** The network is back; `tab`, if given, is told so (an `online` event). */
  async online(tab?: Tab): Promise<void> {
    this.collector.clearFaults();
    if (tab) await tab.evaluate(() => (window as InPage).__e2eNetwork(true));
  }

  /** Keys whose lease was made to lapse (lapseUnreleased), and the messageIds they held. */
  lapsed = 0;
  readonly lapsedIds = new Set<string>();

  /**
   * After a page of the scenario closed: each key holding messages must be released
   * (time 0) or gone. Firefox sometimes loses what a closing tab writes to
   * localStorage in its pagehide, the release with it: the key then looks
   * live, and only the 5-minute lease hands it on (README, "Several tabs").
   * There, and only there, the lapse is made to happen: the key's time moved
   * back past the lease, as 5 minutes would. Its messages are left as they
   * are, so the next load must still find every one of them; those the closing
   * page had sent meanwhile (their removal was lost too) go again, and the
   * collector must dedupe them (see duplicatesReceived).
   */
  async lapseUnreleased(): Promise<number> {
    const { tab } = await this.suite.openPage(this.session);
    await tab.goto(this.url(STORAGE_PAGE));
    const unreleased = (await this.storedQueue(tab)).filter((q) => q.time > 0 && q.names.length > 0);
    if (unreleased.length) {
      expect(this.suite.engine.name, `keys left unreleased by a closed page: ${JSON.stringify(unreleased)}`).toBe('firefox');
      await tab.evaluate(
        ({ keys, lease }) => {
          for (const key of keys) {
            const value = localStorage.getItem(key)!;
            localStorage.setItem(key, Date.now() - lease - 1000 + value.slice(value.indexOf('\n')));
          }
        },
        { keys: unreleased.map((q) => q.key), lease: LEASE },
      );
    }
    await tab.close();
    this.lapsed += unreleased.length;
    for (const q of unreleased) for (const id of q.ids) this.lapsedIds.add(id);
    return unreleased.length;
  }

  /**
   * Waits until the collector has taken every fault queued: the requests they
   * apply to have reached it (it records a request only once done with it).
   */
  faultsTaken(): Promise<boolean> {
    const pending = () =>
      fetch(`${this.collector.url}/admin/faults`).then((r) => r.json() as Promise<{ pending: unknown[] }>);
    return waitFor(async () => (await pending()).pending.length === 0, 'the faulted requests to reach the collector');
  }

  /** Every POST /v1/batch that reached the collector, with what it carried. */
  attempts(): Attempt[] {
    return this.requests().map((r) => ({
      at: r.at,
      beacon: !!r.beacon,
      messages: (r.carried ?? []).map((m) => ({ id: String(m.messageId), name: label(m) })),
    }));
  }

  /** Names sent in more than one attempt (retried). */
  retried(): string[] {
    const seen = new Map<string, number>();
    for (const attempt of this.attempts()) for (const { name } of attempt.messages) seen.set(name, (seen.get(name) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([name]) => name);
  }

  /** `_cio.track('<tag>-<i>', data)` for i in [from, to), synchronously in the page; the names are expected. */
  async track(tab: Tab, tag: string, from: number, to: number, data: Record<string, unknown> = {}): Promise<void> {
    for (let i = from; i < to; i++) this.expected.push(`${tag}-${i}`);
    await tab.evaluate(
      ({ tag, from, to, data }) => {
        for (let i = from; i < to; i++) (window as InPage)._cio.track(`${tag}-${i}`, { i, ...data });
      },
      { tag, from, to, data },
    );
  }

  /** This scenario's messages stored by the collector. */
  stored(): WireMessage[] {
    const prefix = `/t/${this.key}/`;
    return this.collector.store.events().filter((m) => String(m.context?.page?.path ?? '').startsWith(prefix));
  }

  /**
   * This scenario's batch requests at the collector (all statuses, beacons
   * included), and any whose body it could not read (no writeKey): the store
   * is the test's own, so those are this scenario's too.
   */
  requests(): BatchRequest[] {
    return this.collector.store.requests().filter((r) => r.writeKey === undefined || r.writeKey === this.site);
  }

  /** The requests as `status[b for a beacon]:count`, e.g. `503:31 200b:31`. */
  requestSummary(): string {
    return this.requests()
      .map((r) => `${r.status}${r.beacon ? 'b' : ''}:${r.count}`)
      .join(' ');
  }

  /**
   * messageIds of this scenario received again by the collector (deduped,
   * not stored), but for those of keys let lapse: sent by a closing page whose
   * record of it was lost, they are sent again by design (lapseUnreleased).
   */
  duplicatesReceived(): string[] {
    const ids = new Set(this.stored().map((m) => m.messageId));
    return this.collector.store.duplicates().filter((id) => ids.has(id) && !this.lapsedIds.has(id));
  }

  /** Waits until every expected message is stored (polling the collector, with a deadline). */
  async waitAll(timeout = 30_000): Promise<WireMessage[]> {
    await waitFor(
      () => this.missing().length === 0,
      `all ${this.expected.length} messages of ${this.name} at the collector`,
      timeout,
    ).catch((error) => {
      throw new Error(`${error.message}; missing ${this.missing().length}: ${this.missing().slice(0, 10).join(', ')}; requests ${this.requestSummary()}`);
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
    expect([...countIds(stored)].filter(([, n]) => n > 1), 'messageIds stored more than once').toEqual([]);
    // The messageId is made once, when the call is made, and reused on every retry.
    const idsByName = new Map<string, Set<string>>();
    for (const attempt of this.attempts())
      for (const { id, name } of attempt.messages) (idsByName.get(name) ?? idsByName.set(name, new Set()).get(name)!).add(id);
    // (A name expected more than once, like the page event of a reloaded page, is several messages.)
    const reissued = [...idsByName]
      .filter(([name, set]) => set.size > Math.max(1, this.expected.filter((n) => n === name).length))
      .map(([name]) => name);
    expect(reissued, 'messages sent again with a new messageId').toEqual([]);
    for (const m of stored) expect(idsByName.get(label(m))?.has(m.messageId)).toBe(true);
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
      `[delivery ${this.suite.engine.name}] ${this.name}: sent ${this.expected.length} / stored ${this.stored().length} / ` +
      `duplicates received ${this.duplicatesReceived().length} / requests ${this.requests().length} / ` +
      `${this.seconds().toFixed(2)} s${this.lapsed ? `, ${this.lapsed} unreleased key(s) let lapse` : ''}${extra ? ` (${extra})` : ''}`;
    console.log(line);
    return line;
  }

  /** This site's `_cioq_` keys in the page's localStorage, with the message names each holds. */
  async storedQueue(tab: Tab): Promise<{ key: string; time: number; names: string[]; ids: string[] }[]> {
    const raw = await tab.evaluate((prefix) => {
      const found: [string, string][] = [];
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        if (key.startsWith(prefix)) found.push([key, localStorage.getItem(key) || '']);
      }
      return found;
    }, `_cioq_${this.site}_`);
    return raw.map(([key, value]) => {
      const [time, ...lines] = value.split('\n');
      const messages = lines.map((line) => JSON.parse(line));
      return { key, time: Number(time), names: messages.map(label), ids: messages.map((m) => String(m.messageId)) };
    });
  }

  /** After the test: its line if it failed before printing one (the session itself is the fixture's to close). */
  finish(): void {
    if (!this.reported) this.report(`FAILED: ${this.missing().length} of ${this.expected.length} missing; requests ${this.requestSummary()}`);
    pageOptions.delete(this.key);
  }
}

/**
 * A negative check: `happened` stays false for `ms` (longer than the batch
 * window). Call it after a positive control has shown the page is live.
 */
export async function never(what: string, happened: () => boolean, ms = 1500): Promise<void> {
  const seen = await waitFor(happened, what, ms).then(
    () => true,
    () => false,
  );
  expect(seen, `${what} within ${ms} ms`).toBe(false);
}

/** Tracks a marker and waits for everything, so that a late duplicate would have come before the checks. */
export async function settle(s: Scenario, tab: Tab, timeout = 30_000): Promise<void> {
  await s.waitAll(timeout);
  await s.track(tab, 'marker', 0, 1);
  await s.waitAll(timeout);
}

/**
 * One engine and collector for the file (useEngineSuite), serving the
 * scenarios' pages: registers the file's hooks. The fixture clears the
 * collector's faults and store before each test and closes its sessions
 * after it.
 */
export function useScenarios() {
  const suite = useEngineSuite(scenarioPage);
  let current: Scenario | undefined;

  afterEach(() => {
    current?.finish();
    current = undefined;
  });

  return {
    get collector() {
      return suite.collector;
    },
    /** The test's scenario; its first `open` starts its session. */
    scenario(name: string, options?: ScenarioOptions): Scenario {
      current = new Scenario(suite, name, options);
      return current;
    },
  };
}
