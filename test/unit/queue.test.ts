import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createQueue, QUEUE_CAP } from '../../src/queue';
import { asStorage, contents, localStoreOf, freshWindow, memoryStorage, message, quotaError, spyWarnings, stillParsing, type MemoryStorage } from './helpers';

const LEASE = 5 * 60e3;
const SITE = 'site1';
const KEY_RE = /^_cioq_site1_[0-9A-HJKMNP-TV-Z]{26}$/;

let store: MemoryStorage;
let win: Window & typeof globalThis;

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
  // A queue's scans for other tabs' keys wait Math.random() × 500 ms: none, here.
  vi.spyOn(Math, 'random').mockReturnValue(0);
  store = memoryStorage();
  win = freshWindow();
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const newQueue = (onAdopt = vi.fn()) => {
  const queue = createQueue(win, localStoreOf(asStorage(store)), SITE, onAdopt);
  return { queue, onAdopt };
};

/** This site's queue keys in storage, with their contents split into lines. */
const queueKeys = () =>
  Object.entries(store.dump())
    .filter(([key]) => KEY_RE.test(key))
    .map(([key, value]) => ({ key, lines: value.split('\n') }));

/** The scans of the queues started in this task, in the order they started: each one's first, at once. */
const firstScans = () => vi.advanceTimersByTimeAsync(0);

/** Another tab's key, written `age` ms ago (or released when `age` is 'released'). */
const otherTab = (id: string, age: number | 'released', messages: string[], site = SITE) => {
  const key = `_cioq_${site}_${id}`;
  store.setItem(key, (age == 'released' ? 0 : Date.now() - age) + '\n' + messages.join('\n'));
  return key;
};

describe('createQueue: write-behind', () => {
  it('writes many adds with one setItem, after the current task', async () => {
    const { queue } = newQueue();
    const setItem = vi.spyOn(store, 'setItem');
    const messages = Array.from({ length: 50 }, (_, i) => message(i));
    for (const m of messages) queue.add(m);
    expect(setItem).not.toHaveBeenCalled();
    expect(contents(queue)).toEqual(messages);
    await vi.advanceTimersByTimeAsync(0);
    expect(setItem).toHaveBeenCalledTimes(1);
  });

  it('keeps its messages under _cioq_<site>_<id>: a time line, then one message per line', async () => {
    const { queue } = newQueue();
    queue.add(message(1));
    queue.add(message(2));
    await vi.advanceTimersByTimeAsync(0);
    const keys = queueKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0].key).toMatch(KEY_RE);
    expect(keys[0].lines).toEqual([String(Date.now()), message(1), message(2)]);
  });

  it('writes what is left after remove, and removes the key once empty', async () => {
    const { queue } = newQueue();
    for (let i = 0; i < 3; i++) queue.add(message(i));
    await vi.advanceTimersByTimeAsync(0);
    queue.remove([message(1)]);
    expect(contents(queue)).toEqual([message(0), message(2)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(queueKeys()[0].lines.slice(1)).toEqual([message(0), message(2)]);
    queue.remove([message(0), message(2)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(queueKeys()).toEqual([]);
  });

  it('save(true) releases the queue with time 0', async () => {
    const { queue } = newQueue();
    queue.add(message(1));
    queue.save(true);
    expect(queueKeys()[0].lines).toEqual(['0', message(1)]);
  });

  it('refreshes its time while messages wait, so no other tab takes them as stale', async () => {
    const { queue } = newQueue();
    queue.add(message(1));
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(LEASE + 1000);
    expect(Number(queueKeys()[0].lines[0])).toBeGreaterThan(Date.now() - LEASE);
    const other = newQueue();
    await firstScans();
    expect(contents(other.queue)).toEqual([]);
    expect(contents(queue)).toEqual([message(1)]);
  });
  it('keeps no timer armed while nothing waits (a page’s zone.js zone must become stable)', async () => {
    const { queue } = newQueue();
    await vi.advanceTimersByTimeAsync(1000);
    expect(vi.getTimerCount()).toBe(0);
    queue.add(message(1));
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    queue.remove([message(1)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('scans for stale keys of crashed tabs while its own messages wait', async () => {
    const { queue, onAdopt } = newQueue();
    await vi.advanceTimersByTimeAsync(1000);
    queue.add(message(1));
    await vi.advanceTimersByTimeAsync(0);
    otherTab('B', LEASE + 1, [message(2)]);
    await vi.advanceTimersByTimeAsync(LEASE / 5);
    expect(onAdopt).toHaveBeenCalledTimes(1);
    expect(contents(queue)).toEqual([message(1), message(2)]);
  });
});

describe('createQueue: adopting other tabs’ queues', () => {
  it('takes released and stale keys of its site, removes them and calls onAdopt', async () => {
    const released = otherTab('A', 'released', [message(1), message(2)]);
    const stale = otherTab('B', LEASE + 1, [message(3)]);
    const fresh = otherTab('C', 1000, [message(4)]);
    const justInLease = otherTab('D', LEASE, [message(5)]);
    const otherSite = otherTab('E', 'released', [message(6)], 'site2');
    store.setItem('unrelated', '0\n{"x":1}');

    const { queue, onAdopt } = newQueue();
    await firstScans();
    expect([...contents(queue)].sort()).toEqual([message(1), message(2), message(3)]);
    expect(onAdopt).toHaveBeenCalledTimes(1);
    const keys = Object.keys(store.dump());
    expect(keys).not.toContain(released);
    expect(keys).not.toContain(stale);
    expect(keys).toEqual(expect.arrayContaining([fresh, justInLease, otherSite, 'unrelated']));
    // Written under its own key before the others were removed.
    const own = queueKeys().find(({ key }) => ![fresh, justInLease].includes(key))!;
    expect(own.lines[0]).toBe(String(Date.now()));
    expect(own.lines.slice(1).sort()).toEqual([message(1), message(2), message(3)]);
  });

  it('adopts on its own shortly after start', async () => {
    otherTab('A', 'released', [message(1)]);
    const { queue, onAdopt } = newQueue();
    expect(contents(queue)).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(contents(queue)).toEqual([message(1)]);
    expect(onAdopt).toHaveBeenCalledTimes(1);
  });

  it('waits for the page to be parsed before its first scan', async () => {
    otherTab('A', 'released', [message(1)]);
    const parsed = stillParsing(win);
    const { queue } = newQueue();
    await vi.advanceTimersByTimeAsync(5000);
    expect(contents(queue)).toEqual([]);
    parsed();
    await vi.advanceTimersByTimeAsync(500);
    expect(contents(queue)).toEqual([message(1)]);
  });

  it('adopts a queue another tab releases while it runs (storage event)', async () => {
    const { queue, onAdopt } = newQueue();
    await vi.advanceTimersByTimeAsync(500);
    const key = otherTab('CLOSED', 'released', [message(9)]);
    win.dispatchEvent(new (win as typeof window).StorageEvent('storage', { key, newValue: store.getItem(key) }));
    await vi.advanceTimersByTimeAsync(500);
    expect(contents(queue)).toEqual([message(9)]);
    expect(onAdopt).toHaveBeenCalledTimes(1);
    expect(store.getItem(key)).toBeNull();
  });

  it('does nothing and does not call onAdopt when there is nothing to adopt', async () => {
    otherTab('C', 1000, [message(4)]);
    const { queue, onAdopt } = newQueue();
    await vi.advanceTimersByTimeAsync(LEASE / 5 + 500);
    expect(contents(queue)).toEqual([]);
    expect(onAdopt).not.toHaveBeenCalled();
  });

  it('a second queue cannot adopt what the first already adopted', async () => {
    otherTab('A', 'released', [message(1), message(2)]);
    const first = newQueue();
    const second = newQueue();
    await firstScans();
    expect(contents(first.queue)).toEqual([message(1), message(2)]);
    expect(contents(second.queue)).toEqual([]);
    await vi.advanceTimersByTimeAsync(LEASE / 5 + 500);
    expect(contents(second.queue)).toEqual([]);
    expect(second.onAdopt).not.toHaveBeenCalled();
    expect(contents(first.queue).length).toBe(2);
  });

  it('lets go of its messages when another tab adopted its key after its lease lapsed', async () => {
    const { queue } = newQueue();
    queue.add(message(1));
    queue.add(message(2));
    await vi.advanceTimersByTimeAsync(0);
    // Asleep past the lease: another tab takes our key.
    vi.setSystemTime(Date.now() + 5 * 60e3 + 1);
    store.removeItem(queueKeys()[0].key);
    queue.add(message(3));
    queue.save();
    expect(contents(queue)).toEqual([message(3)]);
    expect(queueKeys()[0].lines.slice(1)).toEqual([message(3)]);
  });

  it('writes everything back when the page cleared localStorage (a logout, say)', async () => {
    const { queue } = newQueue();
    queue.add(message(1));
    queue.add(message(2));
    await vi.advanceTimersByTimeAsync(0);
    store.clear();
    queue.add(message(3));
    queue.save();
    expect(contents(queue)).toEqual([message(1), message(2), message(3)]);
    expect(queueKeys()[0].lines.slice(1)).toEqual([message(1), message(2), message(3)]);
  });

  it('a released queue adopted by another tab is not sent again when the page comes back', async () => {
    const leaving = newQueue();
    leaving.queue.add(message(1));
    leaving.queue.save(true);
    const other = newQueue();
    await firstScans();
    expect(contents(other.queue)).toEqual([message(1)]);
    leaving.queue.save();
    expect(contents(leaving.queue)).toEqual([]);
    expect(contents(other.queue)).toEqual([message(1)]);
  });
});

describe('createQueue: limits and failures', () => {
  it(`drops the oldest messages past ${QUEUE_CAP} characters, with a warning`, () => {
    const warnings = spyWarnings();
    const { queue } = newQueue();
    const size = 100_000;
    const count = QUEUE_CAP / size + 3;
    for (let i = 0; i < count; i++) queue.add(message(i, size));
    expect(contents(queue).length).toBe(QUEUE_CAP / size);
    expect(contents(queue)[0]).toBe(message(3, size));
    expect(contents(queue).slice(-1)[0]).toBe(message(count - 1, size));
    expect(warnings.lines().length).toBeGreaterThanOrEqual(1);
    expect(warnings.lines().join('\n')).toMatch(/dropped/);
  });

  it('never loses in-memory messages when setItem throws QuotaExceededError', async () => {
    const { queue } = newQueue();
    store.failSet = quotaError;
    for (let i = 0; i < 5; i++) queue.add(message(i));
    // (A throw in the write would surface as an unhandled rejection.)
    await expect(vi.advanceTimersByTimeAsync(0)).resolves.toBeTruthy();
    expect(() => queue.save(true)).not.toThrow();
    expect(contents(queue)).toEqual([0, 1, 2, 3, 4].map((i) => message(i)));
    store.failSet = undefined;
    queue.add(message(5));
    await vi.advanceTimersByTimeAsync(0);
    expect(queueKeys()[0].lines.slice(1)).toEqual([0, 1, 2, 3, 4, 5].map((i) => message(i)));
  });

  it('works in memory without storage', async () => {
    const queue = createQueue(win, localStoreOf(undefined), SITE, () => {});
    queue.add(message(1));
    await expect(vi.advanceTimersByTimeAsync(LEASE)).resolves.toBeTruthy();
    expect(contents(queue)).toEqual([message(1)]);
  });
});
