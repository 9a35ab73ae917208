import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDelivery } from '../../src/delivery';
import { createEvents } from '../../src/events';
import { createQueue, type Queue } from '../../src/queue';
import type { Result, Transport } from '../../src/transport';
import {
  asStorage,
  byteLength,
  contents,
  fakeTransport,
  freshWindow,
  localStoreOf,
  memoryStorage,
  message,
  spyWarnings,
  stillParsing,
  type Body,
} from './helpers';
import { ISO_RE } from '../patterns';

const URL_ = 'https://collector.test/v1/batch';
const WRITE_KEY = 'site-abc';

/** Real lifecycle events, with spies on what `sent` (as message texts) and `error` receive. */
function recordEvents() {
  const events = createEvents();
  const hooks = { events, sent: vi.fn(), error: vi.fn(), debug: vi.fn() };
  events.on('sent', (batch) => hooks.sent(batch.map((m) => JSON.stringify(m))));
  events.on('error', (error) => hooks.error(error));
  return hooks;
}

const deliveryOf = (win: Window, queue: Queue, transport: Transport, hooks: ReturnType<typeof recordEvents>) =>
  createDelivery(win, queue, transport, URL_, WRITE_KEY, hooks.events, hooks.debug);

/** A delivery over a real queue (in-memory storage) and a fake transport answering with `responses` in turn, then 200. */
function setup(responses: Result[] = []) {
  const win = freshWindow('https://shop.example.com/');
  const store = memoryStorage();
  // Wired as init wires them: adopted messages are flushed.
  const queue = createQueue(win, localStoreOf(asStorage(store)), WRITE_KEY, () => delivery.flush());
  const transport = fakeTransport((_, n) => responses[n - 1] || [200]);
  const hooks = recordEvents();
  const delivery = deliveryOf(win, queue, transport, hooks);
  const add = (from: number, count: number, size?: number, pad?: string) => {
    for (let i = from; i < from + count; i++) delivery.add(message(i, size, pad));
  };
  const stored = () =>
    Object.entries(store.dump())
      .filter(([key]) => key.startsWith('_cioq_'))
      .map(([, value]) => value);
  return { win, store, queue, transport, hooks, delivery, add, stored };
}

/** The event names in a body, to compare batches briefly. */
const events = (body: string) => (JSON.parse(body) as Body).batch.map((m) => m.event);
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => 'e' + (from + i));

const setOnline = (win: typeof window, online: boolean) =>
  Object.defineProperty(win.navigator, 'onLine', { configurable: true, get: () => online });

const hide = (win: typeof window) => {
  Object.defineProperty(win.document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  win.document.dispatchEvent(new win.Event('visibilitychange', { bubbles: true }));
};

let warnings: ReturnType<typeof spyWarnings>;
beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
  // Backoff delays are Math.random() × the cap: 0.5 makes them exact.
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  warnings = spyWarnings();
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('batching', () => {
  it('sends 20 waiting messages in one request right away (next tick)', async () => {
    const { add, transport, hooks } = setup();
    add(0, 20);
    expect(transport.post).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.post).toHaveBeenCalledTimes(1);
    const [url, body] = transport.post.mock.calls[0];
    expect(url).toBe(URL_);
    const parsed = JSON.parse(body) as Body;
    expect(parsed.writeKey).toBe(WRITE_KEY);
    expect(parsed.sentAt).toMatch(ISO_RE);
    expect(parsed.batch.map((m) => m.event)).toEqual(range(0, 20));
    expect(hooks.sent).toHaveBeenCalledWith(Array.from({ length: 20 }, (_, i) => message(i)));
  });

  it('sends what finds the line quiet at the end of the task, everything added in that task in one request', async () => {
    const { add, transport } = setup();
    add(0, 5);
    expect(transport.post).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 5)]);
  });

  it('sends it at the end of the task, with no timer (a background tab would delay one)', async () => {
    const { add, transport } = setup();
    add(0, 3);
    expect(transport.post).not.toHaveBeenCalled();
    await null;
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 3)]);
  });

  it('does not batch in a hidden page: what it adds goes at the end of the task, after the request under way', async () => {
    // A hidden page may be closed or discarded without notice (Firefox, closing a background tab, may then lose what it
    // hands over), and its timers are held back: so it waits for no batch window.
    const { win, add, transport } = setup();
    hide(win);
    add(0, 1);
    await null;
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 1)]);
    add(1, 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 1), range(1, 3)]);
    add(4, 2);
    await null;
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 1), range(1, 3), range(4, 2)]);
  });

  it('batches fewer than 20 arriving within the window after a request for one second after the first of them', async () => {
    const { add, transport } = setup();
    add(0, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.post).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(500);
    add(1, 5);
    await vi.advanceTimersByTimeAsync(500);
    add(6, 4);
    await vi.advanceTimersByTimeAsync(499);
    expect(transport.post).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 1), range(1, 9)]);
  });

  it('sends at once again when the window after the last request has passed', async () => {
    const { add, transport } = setup();
    add(0, 1);
    await vi.advanceTimersByTimeAsync(1000);
    add(1, 1);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 1), range(1, 1)]);
  });

  it('batches a trickle of one message every 100 ms: 50 over 5 s take 6 requests', async () => {
    const { add, transport } = setup();
    transport.latency = 20;
    for (let i = 0; i < 50; i++) {
      add(i, 1);
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(2000);
    expect(transport.postedMessages().map((m) => m.event)).toEqual(range(0, 50));
    expect(transport.posts.length).toBe(6);
  });

  it('sends nothing while the page is still being parsed, and the batch at DOMContentLoaded', async () => {
    const { win, add, transport } = setup();
    const parsed = stillParsing(win);
    add(0, 25);
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.post).not.toHaveBeenCalled();
    parsed();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 25)]);
  });

  it('delivers a burst of 1,000 in requests of at most 64,000 bytes, each message exactly once, in order', async () => {
    const { add, transport, queue, stored } = setup();
    transport.latency = 50;
    add(0, 500, 300);
    add(500, 500, 300, 'é€😀');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transport.posts.length).toBeGreaterThan(5);
    for (const { body } of transport.posts) expect(byteLength(body)).toBeLessThanOrEqual(64_000);
    expect(transport.postedMessages().map((m) => m.event)).toEqual(range(0, 1000));
    expect(transport.maxConcurrent).toBe(1);
    expect(contents(queue)).toEqual([]);
    expect(stored()).toEqual([]);
  });

  it('sends messages added while a request is under way in the next one, never twice', async () => {
    const { add, transport } = setup();
    transport.latency = 300;
    add(0, 1);
    await vi.advanceTimersByTimeAsync(0);
    add(1, 19);
    await vi.advanceTimersByTimeAsync(100);
    add(20, 3);
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.posts.map((p) => events(p.body))).toEqual([range(0, 1), range(1, 22)]);
  });
});

describe('retries', () => {
  it.each([0, 408, 429, 500, 502, 503])('retries after HTTP %i with backoff, re-sending the same texts', async (status) => {
    const { add, transport, hooks, queue } = setup([[status]]);
    add(0, 20);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.post).toHaveBeenCalledTimes(1);
    // First backoff: 0.5 × 1000 × 2^1 = 1000 ms.
    await vi.advanceTimersByTimeAsync(999);
    expect(transport.post).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.post).toHaveBeenCalledTimes(2);
    const [first, second] = transport.posts.map((p) => (JSON.parse(p.body) as Body).batch);
    expect(second).toEqual(first);
    expect(hooks.sent).toHaveBeenCalledTimes(1);
    expect(hooks.error).not.toHaveBeenCalled();
    expect(contents(queue)).toEqual([]);
  });

  it('backs off exponentially while the endpoint keeps failing, up to the cap', async () => {
    const { add, transport } = setup(Array(10).fill([503]));
    add(0, 20);
    await vi.advanceTimersByTimeAsync(200_000);
    const gaps = transport.posts.slice(1).map((p, i) => p.at - transport.posts[i].at);
    expect(gaps.slice(0, 7)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('honours Retry-After', async () => {
    const { add, transport } = setup([[429, 5000]]);
    add(0, 20);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(4999);
    expect(transport.post).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.post).toHaveBeenCalledTimes(2);
  });

  it.each([400, 401, 403, 404, 413])('drops the batch on HTTP %i with a warning and an error hook', async (status) => {
    const { add, transport, hooks, queue } = setup([[status]]);
    add(0, 3);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(transport.post).toHaveBeenCalledTimes(1);
    expect(contents(queue)).toEqual([]);
    expect(hooks.sent).not.toHaveBeenCalled();
    expect(hooks.error).toHaveBeenCalledTimes(1);
    expect(hooks.error.mock.calls[0][0]).toMatchObject({ status, dropped: 3 });
    expect(hooks.error.mock.calls[0][0].reason).toContain(String(status));
    expect(warnings.lines()).toHaveLength(1);
  });
});

describe('offline', () => {
  it('pauses while navigator.onLine is false and resumes on `online`', async () => {
    const { win, add, transport, delivery, hooks } = setup();
    setOnline(win, false);
    add(0, 20);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.post).not.toHaveBeenCalled();
    await expect(delivery.flush()).resolves.toBe(false);
    setOnline(win, true);
    win.dispatchEvent(new win.Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.post).toHaveBeenCalledTimes(1);
    expect(hooks.sent).toHaveBeenCalledTimes(1);
  });

  it('resumes at once on `online` even during a backoff', async () => {
    const { win, add, transport } = setup([[0], [0], [0]]);
    add(0, 20);
    await vi.advanceTimersByTimeAsync(3000);
    const before = transport.posts.length;
    win.dispatchEvent(new win.Event('online'));
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.posts.length).toBe(before + 1);
  });
});

describe('page hidden or closing', () => {
  it('hands what waits to sendBeacon when the page is hidden, and saves the queue', async () => {
    const { win, add, transport, queue, stored } = setup();
    add(0, 5);
    hide(win);
    expect(transport.beacon).toHaveBeenCalledTimes(1);
    expect(transport.beacon.mock.calls[0][0]).toBe(URL_);
    expect(transport.beaconedMessages().map((m) => m.event)).toEqual(range(0, 5));
    expect(contents(queue)).toEqual([]);
    expect(stored()).toEqual([]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.post).not.toHaveBeenCalled();
  });

  it('splits a large queue into beacons of at most 64,000 bytes', () => {
    const { win, add, transport } = setup();
    add(0, 300, 1000);
    hide(win);
    expect(transport.beacons.length).toBeGreaterThan(4);
    for (const { body } of transport.beacons) expect(byteLength(body)).toBeLessThanOrEqual(64_000);
    expect(transport.beaconedMessages().map((m) => m.event)).toEqual(range(0, 300));
  });

  it('keeps in storage what sendBeacon refuses, then sends it normally', async () => {
    const { win, add, transport, stored } = setup();
    transport.beaconAccepts = false;
    add(0, 3);
    hide(win);
    const [text] = stored();
    expect(text.split('\n')).toEqual([String(Date.now()), message(0), message(1), message(2)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(events(transport.posts[0].body)).toEqual(range(0, 3));
  });

  it('releases the queue (time 0) on pagehide when sendBeacon refuses', () => {
    const { win, add, transport, stored } = setup();
    transport.beaconAccepts = false;
    add(0, 2);
    win.dispatchEvent(new win.Event('pagehide'));
    expect(stored()[0].split('\n')).toEqual(['0', message(0), message(1)]);
  });

  it('on pagehide, beacons only what is not already under way with keepalive, and stores nothing', async () => {
    const { win, add, transport, stored } = setup();
    transport.latency = 10_000;
    add(0, 20);
    await vi.advanceTimersByTimeAsync(0);
    add(20, 2);
    win.dispatchEvent(new win.Event('pagehide'));
    expect(transport.beaconedMessages().map((m) => m.event)).toEqual(range(20, 2));
    expect(stored()).toEqual([]);
  });

  it('back from the back/forward cache, sends what no other tab adopted meanwhile', async () => {
    const { win, add, transport } = setup();
    transport.beaconAccepts = false;
    add(0, 2);
    win.dispatchEvent(new win.PageTransitionEvent('pagehide', { persisted: true }));
    win.dispatchEvent(new win.PageTransitionEvent('pageshow', { persisted: true }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.postedMessages().map((m) => m.event)).toEqual(range(0, 2));
  });

  it('back from the back/forward cache, does not send what another tab adopted meanwhile', async () => {
    const { win, store, add, transport, queue } = setup();
    transport.beaconAccepts = false;
    add(0, 2);
    win.dispatchEvent(new win.PageTransitionEvent('pagehide', { persisted: true }));
    const otherTab = createQueue(freshWindow(), localStoreOf(asStorage(store)), WRITE_KEY, () => {});
    // Its first scan, 250 ms after it starts (Math.random() is 0.5).
    await vi.advanceTimersByTimeAsync(250);
    expect(contents(otherTab)).toEqual([message(0), message(1)]);
    win.dispatchEvent(new win.PageTransitionEvent('pageshow', { persisted: true }));
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.post).not.toHaveBeenCalled();
    expect(contents(queue)).toEqual([]);
    expect(contents(otherTab)).toEqual([message(0), message(1)]);
  });

  it('when frozen, releases the queue to other tabs, keeping the request under way in it', async () => {
    const { win, store, add, transport, stored } = setup();
    transport.latency = 10_000;
    transport.beaconAccepts = false;
    add(0, 20);
    await vi.advanceTimersByTimeAsync(0);
    add(20, 2);
    win.document.dispatchEvent(new win.Event('freeze'));
    // Its answer may never be seen if the tab is discarded: the 20 under way stay stored with the 2 waiting.
    expect(stored()[0].split('\n')).toEqual(['0', ...range(0, 22).map((_, i) => message(i))]);
    const otherTab = createQueue(freshWindow(), localStoreOf(asStorage(store)), WRITE_KEY, () => {});
    // Its first scan, 250 ms after it starts (Math.random() is 0.5).
    await vi.advanceTimersByTimeAsync(250);
    expect(contents(otherTab)).toEqual(range(0, 22).map((_, i) => message(i)));
  });

  it('resumed after a freeze, sends what no other tab adopted meanwhile, and nothing twice', async () => {
    const { win, store, add, transport, queue } = setup();
    transport.beaconAccepts = false;
    add(0, 2);
    win.document.dispatchEvent(new win.Event('freeze'));
    win.document.dispatchEvent(new win.Event('resume'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.postedMessages().map((m) => m.event)).toEqual(range(0, 2));

    add(2, 2);
    win.document.dispatchEvent(new win.Event('freeze'));
    const otherTab = createQueue(freshWindow(), localStoreOf(asStorage(store)), WRITE_KEY, () => {});
    // Its first scan, 250 ms after it starts (Math.random() is 0.5).
    await vi.advanceTimersByTimeAsync(250);
    expect(contents(otherTab)).toEqual([message(2), message(3)]);
    win.document.dispatchEvent(new win.Event('resume'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(transport.postedMessages().map((m) => m.event)).toEqual(range(0, 2));
    expect(contents(queue)).toEqual([]);
  });

  it('does not beacon while offline, and keeps everything in storage', () => {
    const { win, add, transport, stored } = setup();
    setOnline(win, false);
    add(0, 2);
    hide(win);
    expect(transport.beacon).not.toHaveBeenCalled();
    expect(stored()[0].split('\n').slice(1)).toEqual([message(0), message(1)]);
  });
});

describe('flush', () => {
  it('resolves true at once when nothing waits', async () => {
    const { delivery, transport } = setup();
    const done = vi.fn();
    delivery.flush().then(done);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toHaveBeenCalledWith(true);
    expect(transport.post).not.toHaveBeenCalled();
  });

  it('sends without waiting for the batch timer and resolves true once delivered', async () => {
    const { delivery, add, transport } = setup();
    add(0, 3);
    const done = vi.fn();
    delivery.flush().then(done);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.post).toHaveBeenCalledTimes(1);
    expect(done).toHaveBeenCalledWith(true);
  });

  it('resolves true once a retried batch is delivered, not when the old backoff timer ends', async () => {
    const { delivery, add, transport } = setup([[503], [503], [503]]);
    add(0, 3);
    await vi.advanceTimersByTimeAsync(1000 + 1000 + 2000 + 100);
    expect(transport.post).toHaveBeenCalledTimes(3);
    // Backing off for 4 s now; flush sends at once.
    const done = vi.fn();
    delivery.flush().then(done);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.post).toHaveBeenCalledTimes(4);
    expect(done).toHaveBeenCalledWith(true);
  });

  it('sends messages adopted from a closed tab at once, without waiting for the batch window', async () => {
    const win = freshWindow();
    const store = memoryStorage({ ['_cioq_' + WRITE_KEY + '_CLOSEDTAB']: '0\n' + message(1) });
    const transport = fakeTransport();
    transport.latency = 50;
    const queue = createQueue(win, localStoreOf(asStorage(store)), WRITE_KEY, () => delivery.flush());
    const delivery = deliveryOf(win, queue, transport, recordEvents());
    // Adoption waits a random delay of up to 500 ms.
    await vi.advanceTimersByTimeAsync(500);
    expect(transport.posts.map((p) => events(p.body))).toEqual([['e1']]);
    const done = vi.fn();
    delivery.flush().then(done);
    await vi.advanceTimersByTimeAsync(50);
    expect(transport.post).toHaveBeenCalledTimes(1);
    expect(done).toHaveBeenCalledWith(true);
    expect(contents(queue)).toEqual([]);
  });

  it('resolves true after a backlog of several requests', async () => {
    const { delivery, add, transport } = setup();
    add(0, 300, 1000);
    const result = delivery.flush();
    await vi.advanceTimersByTimeAsync(0);
    await expect(result).resolves.toBe(true);
    expect(transport.postedMessages()).toHaveLength(300);
  });

  it('resolves false when sending fails', async () => {
    const { delivery, add } = setup([[503]]);
    add(0, 3);
    const done = vi.fn();
    delivery.flush().then(done);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toHaveBeenCalledWith(false);
  });
});
