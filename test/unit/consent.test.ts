import { isValid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { init } from '../../src/index';
import type { Cio, Config } from '../../src/types';
import { freshWindow, spyWarnings, type Body } from './helpers';

type Win = Window & typeof globalThis;
const SITE = 'site-1';
const YEAR = 365 * 24 * 3600e3;

let win: Win;
let fetch: Mock;
let warnings: ReturnType<typeof spyWarnings>;

const config = (extra: Partial<Config> = {}): Config => ({
  siteId: SITE,
  endpoint: 'https://collector.test',
  keepArrays: false,
  cookieDomain: '',
  debug: false,
  ...extra,
});

/** Everything the SDK could have left in the page: cookies and localStorage keys. */
const stored = () => ({
  cookies: win.document.cookie,
  local: Object.keys(win.localStorage).sort(),
});
const sent = () =>
  fetch.mock.calls.flatMap(([, request]) => (JSON.parse((request as RequestInit).body as string) as Body).batch);
/** Lets every timer run (batch window, write-behind, the ready event) and requests settle. */
const settle = () => vi.advanceTimersByTimeAsync(2000);
const cookie = (name: string) => new RegExp('(^|; )' + name + '=').test(win.document.cookie);
const remembered = () => JSON.parse(win.localStorage.getItem('_cioconsent')!);

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2025, 5, 1, 12) });
  win = freshWindow('https://shop.example.com/item');
  fetch = vi.fn(async () => new Response('{}'));
  win.fetch = fetch as unknown as typeof win.fetch;
  warnings = spyWarnings();
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('pending', () => {
  it('writes nothing, sends nothing, and flush() resolves false', async () => {
    const cio = init(config({ consent: 'pending' }), win);
    cio.page('/item');
    cio.identify('u1', { plan: 'pro' });
    cio.track('Viewed');
    cio.reset();
    expect(await cio.flush()).toBe(false);
    await settle();
    expect(fetch).not.toHaveBeenCalled();
    expect(stored()).toEqual({ cookies: '', local: [] });
    expect(cio.consent()).toBe('pending');
  });

  it('neither reads nor deletes IDs stored before the site switched to pending; a grant keeps them', async () => {
    const before = init(config(), win);
    before.identify('u0');
    await settle();
    const anonymousId = sent()[0].anonymousId;
    fetch.mockClear();
    const cio = init(config({ consent: 'pending' }), win);
    cio.track('Held');
    await settle();
    expect(cookie('_cioanonid') && cookie('_cioid')).toBe(true);
    expect(fetch).not.toHaveBeenCalled();
    cio.consent('granted');
    await settle();
    expect(sent()).toMatchObject([{ event: 'Held', anonymousId, userId: 'u0' }]);
  });

  it('holds at most 1,000 calls, dropping the oldest with one warning', async () => {
    const cio = init(config({ consent: 'pending' }), win);
    for (let i = 0; i < 1005; i++) cio.track('e' + i);
    expect(warnings.lines()).toEqual([expect.stringMatching(/queue full, dropped$/)]);
    cio.consent('granted');
    await settle();
    await cio.flush();
    const events = sent().map((m) => m.event);
    expect(events).toHaveLength(1000);
    expect(events[0]).toBe('e5');
    expect(events[999]).toBe('e1004');
  });
});

describe('granted', () => {
  it('sends the held calls in call order, with their own times, the identity and categories added', async () => {
    const cio = init(config({ consent: 'pending' }), win);
    cio.track('First');
    vi.advanceTimersByTime(1000);
    cio.identify('u1', { plan: 'pro' });
    cio.track('Second');
    vi.advanceTimersByTime(1000);
    expect(cio.consent('granted', { analytics: true, advertising: false })).toBe('granted');
    cio.track('After');
    await settle();
    const messages = sent();
    expect(messages.map((m) => [m.type, m.event, m.userId])).toEqual([
      ['track', 'First', undefined],
      ['identify', undefined, 'u1'],
      ['track', 'Second', 'u1'],
      ['track', 'After', 'u1'],
    ]);
    expect(messages.map((m) => m.timestamp)).toEqual([
      '2025-06-01T12:00:00.000Z',
      '2025-06-01T12:00:01.000Z',
      '2025-06-01T12:00:01.000Z',
      '2025-06-01T12:00:02.000Z',
    ]);
    expect(new Set(messages.map((m) => m.anonymousId)).size).toBe(1);
    expect(isValid(messages[0].anonymousId)).toBe(true);
    for (const m of messages)
      expect(m.context.consent).toEqual({ categoryPreferences: { analytics: true, advertising: false } });
    expect(cookie('_cioanonid')).toBe(true);
  });

  it('is remembered, cookie and localStorage, with its categories and no ID, for the next page', async () => {
    init(config({ consent: 'pending' }), win).consent('granted', { analytics: true });
    expect(remembered()).toEqual({ state: 'granted', categories: { analytics: true }, at: Date.now() });
    expect(cookie('_cioconsent')).toBe(true);
    const next = init(config({ consent: 'pending' }), win);
    expect(next.consent()).toBe('granted');
    next.track('Next page');
    await settle();
    expect(sent()[0].context.consent).toEqual({ categoryPreferences: { analytics: true } });
  });

  it('a later grant with other categories applies to messages built after it', async () => {
    const cio = init(config(), win);
    cio.track('Before');
    cio.consent('granted', { analytics: true, advertising: true });
    cio.track('After');
    await settle();
    expect(sent().map((m) => m.context.consent)).toEqual([
      undefined,
      { categoryPreferences: { analytics: true, advertising: true } },
    ]);
  });

  it('asks again once the remembered decision is a year old', () => {
    init(config({ consent: 'pending' }), win).consent('granted');
    vi.setSystemTime(Date.now() + YEAR + 1);
    expect(init(config({ consent: 'pending' }), win).consent()).toBe('pending');
  });
});

describe('denied', () => {
  it('after a grant: deletes the IDs and the queue, drops later calls, and writes nothing back', async () => {
    fetch.mockImplementation(async () => new Response('', { status: 503 }));
    const cio = init(config(), win);
    cio.identify('u1');
    cio.track('Waiting');
    await vi.advanceTimersByTimeAsync(100);
    win.localStorage.setItem('_cioq_' + SITE + '_OTHERTAB', '0\n{}');
    expect(cookie('_cioanonid') && cookie('_cioid')).toBe(true);
    expect(cio.consent('denied')).toBe('denied');
    cio.track('Dropped');
    cio.identify('u2');
    expect(await cio.flush()).toBe(false);
    fetch.mockClear();
    fetch.mockImplementation(async () => new Response('{}'));
    await vi.advanceTimersByTimeAsync(10 * 60e3);
    win.dispatchEvent(new win.Event('pagehide'));
    expect(fetch).not.toHaveBeenCalled();
    expect(stored()).toEqual({ cookies: expect.stringMatching(/^_cioconsent=[^;]*$/), local: ['_cioconsent'] });
    expect(remembered().state).toBe('denied');
  });

  it('as the start state (data-consent or GPC), deletes IDs left from before', () => {
    init(config(), win).identify('u1');
    init(config({ consent: 'denied' }), win);
    expect(stored()).toEqual({ cookies: '', local: [] });
  });

  it('a grant after a denial starts a new anonymous ID', async () => {
    const cio = init(config(), win);
    cio.track('One');
    await settle();
    cio.consent('denied');
    cio.consent('granted');
    cio.track('Two');
    await settle();
    const [one, two] = sent();
    expect(one.anonymousId).not.toBe(two.anonymousId);
  });

  it('data-respect-gpc: GPC starts denied unless a decision was remembered', () => {
    Object.defineProperty(win.navigator, 'globalPrivacyControl', { configurable: true, value: true });
    expect(init(config({ respectGpc: true }), win).consent()).toBe('denied');
    expect(init(config(), win).consent()).toBe('granted');
    init(config({ consent: 'pending' }), win).consent('granted');
    expect(init(config({ respectGpc: true }), win).consent()).toBe('granted');
  });
});

describe('anonymous mode (data-consent-denied="anonymous")', () => {
  it('sends cookieless events with one in-memory ID per page, no userId, no identify, nothing stored', async () => {
    const cio = init(config({ consent: 'denied', anonymousWhenDenied: true }), win);
    cio.identify('u1');
    cio.track('One');
    cio.page('/item');
    expect(await cio.flush()).toBe(false);
    await settle();
    const messages = sent();
    expect(messages.map((m) => m.type)).toEqual(['track', 'page']);
    expect(messages[0].anonymousId).toBe(messages[1].anonymousId);
    expect(messages.every((m) => m.userId === undefined)).toBe(true);
    expect(stored()).toEqual({ cookies: '', local: [] });
    fetch.mockClear();
    const next = init(config({ consent: 'denied', anonymousWhenDenied: true }), win);
    next.track('Next page');
    await settle();
    expect(sent()[0].anonymousId).not.toBe(messages[0].anonymousId);
  });
});

describe('other tabs', () => {
  it('a decision made in another tab applies here at once (the storage event of the mirror)', async () => {
    const cio = init(config({ consent: 'pending' }), win);
    const heard = vi.fn();
    cio.on('consent', heard);
    cio.track('Held');
    const decide = (value: object) => {
      const text = JSON.stringify({ ...value, at: Date.now() });
      win.localStorage.setItem('_cioconsent', text);
      win.dispatchEvent(new win.StorageEvent('storage', { key: '_cioconsent', newValue: text }));
    };
    decide({ state: 'granted' });
    await settle();
    expect(cio.consent()).toBe('granted');
    expect(sent().map((m) => m.event)).toEqual(['Held']);
    decide({ state: 'denied' });
    expect(cio.consent()).toBe('denied');
    expect(heard.mock.calls).toEqual([[{ state: 'granted' }], [{ state: 'denied' }]]);
    expect(cookie('_cioanonid')).toBe(false);
  });
});

describe('consent() and on("consent")', () => {
  let cio: Cio;
  beforeEach(() => {
    cio = init(config({ consent: 'pending' }), win);
  });

  it('warns on a state it does not know, and changes nothing', () => {
    for (const bad of ['yes', 1, null, {}, 'pending']) expect((cio.consent as (s: unknown) => string)(bad)).toBe('pending');
    expect(warnings.lines()).toHaveLength(5);
    expect(stored()).toEqual({ cookies: '', local: [] });
  });

  it('grants without categories that are not an object of booleans, with a warning', async () => {
    cio.track('Held');
    expect((cio.consent as (s: string, c: unknown) => string)('granted', { analytics: 1 })).toBe('granted');
    expect(warnings.lines()).toEqual([expect.stringMatching(/categories/)]);
    await settle();
    expect(sent()[0].context.consent).toBeUndefined();
  });

  it('tells listeners each change with the state and categories, not the same decision twice', () => {
    const heard = vi.fn();
    cio.on('consent', heard);
    cio.consent('granted', { analytics: true });
    cio.consent('granted', { analytics: true });
    cio.consent('denied');
    expect(heard.mock.calls).toEqual([
      [{ state: 'granted', categories: { analytics: true } }],
      [{ state: 'denied', categories: undefined }],
    ]);
  });

  it('takes an unknown data-consent as pending, with a warning', () => {
    expect(init(config({ consent: 'yes' as never }), win).consent()).toBe('pending');
    expect(warnings.lines()).toEqual([expect.stringMatching(/data-consent/)]);
  });
});
