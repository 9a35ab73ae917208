/**
 * Reliable delivery, end to end (README, "Delivery"), part 1: batching,
 * retries, faults, offline and body limits. Every engine, the real
 * dist/track.js through the real snippet, the real collector with injected
 * faults. Part 2 (page close, navigation, reload, several tabs, blocked
 * storage) is delivery-lifecycle.test.ts.
 *
 * Every test checks at the collector, by messageId, that each message the
 * page recorded was stored exactly once and nothing else was, and prints one
 * line: sent / stored / duplicates received / requests / seconds.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from './harness';
import { never, settle, useScenarios, type Scenario } from './delivery-helpers';

const suite = useScenarios();
const { scenario } = suite;

const statuses = (s: Scenario) => s.requests().map((r) => r.status);

describe('batching', () => {
  it('100 rapid tracks arrive exactly once in at most 10 requests', async () => {
    const s = scenario('1a 100 rapid tracks');
    const tab = await s.open('p');
    s.t0 = Date.now();
    await s.track(tab, 'r', 0, 100);
    await s.waitAll();
    const requests = s.requests().length;
    await settle(s, tab);

    s.assertExactlyOnce();
    expect(s.duplicatesReceived()).toEqual([]);
    expect(requests).toBeLessThanOrEqual(10);
    expect(s.requests().every((r) => r.status === 200)).toBe(true);
    expect(await s.pageErrors()).toEqual([]);
    s.report(`${requests} requests before the marker`);
  });

  it('1,000 rapid tracks: 1,000 of 1,000, no duplicates, at most 50 requests, within 15 s', async () => {
    const s = scenario('1b 1000 rapid tracks');
    const tab = await s.open('p');
    s.t0 = Date.now();
    await s.track(tab, 'r', 0, 1000);
    // The deadline is 15 s; waiting longer when it is missed only measures by how much.
    await s.waitAll(60_000).catch(() => {});
    const seconds = s.seconds();
    expect(s.missing(), `missing after ${((Date.now() - s.t0) / 1000).toFixed(1)} s`).toEqual([]);
    const requests = s.requests().length;
    await settle(s, tab);

    s.assertExactlyOnce();
    expect(s.stored().filter((m) => m.event?.startsWith('r-'))).toHaveLength(1000);
    expect(s.duplicatesReceived()).toEqual([]);
    expect(requests).toBeLessThanOrEqual(50);
    expect(seconds).toBeLessThan(15);
    expect(await s.pageErrors()).toEqual([]);
    s.report(`1,000 in ${seconds.toFixed(2)} s, ${requests} requests before the marker`);
  }, 120_000);
});

describe('retries', () => {
  it('503 for the first 3 requests: all arrive later with the same messageIds, none stored twice', async () => {
    suite.collector.fault({ status: 503, count: 3 });
    const s = scenario('2 503 x3');
    const tab = await s.open('p');
    s.t0 = Date.now();
    await s.track(tab, 'r', 0, 30);
    await settle(s, tab, 60_000);

    expect(statuses(s).slice(0, 3)).toEqual([503, 503, 503]);
    // The refused messages went again, under the messageIds they were made with.
    expect(s.retried()).toEqual(expect.arrayContaining([s.pageEvent('p')]));
    s.assertExactlyOnce();
    expect(s.duplicatesReceived()).toEqual([]);
    expect(await s.pageErrors()).toEqual([]);
    s.report(`statuses ${statuses(s).join(',')}`);
  });

  it('429 with Retry-After: 1 is retried after 1 s, each time, and everything arrives', async () => {
    suite.collector.fault({ status: 429, retryAfter: 1, count: 3 });
    const s = scenario('3 429 Retry-After 1');
    const tab = await s.open('p');
    s.t0 = Date.now();
    await s.track(tab, 'r', 0, 25);
    await settle(s, tab, 60_000);

    const requests = s.requests();
    expect(requests.slice(0, 4).map((r) => r.status)).toEqual([429, 429, 429, 200]);
    const gaps = requests.slice(1, 4).map((r, i) => r.at - requests[i].at);
    // `at` is when the collector got each request; the SDK waits the 1 s after reading the answer.
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThan(5000);
    }
    s.assertExactlyOnce();
    expect(s.duplicatesReceived()).toEqual([]);
    expect(await s.pageErrors()).toEqual([]);
    s.report(`gaps after 429: ${gaps.map((g) => g + ' ms').join(', ')}`);
  });

  it('a 400 drops that batch with a console warning; later events are still delivered', async () => {
    const s = scenario('4 400 drops the batch');
    const tab = await s.open('p');
    await tab.evaluate(() => {
      (window as any).__errors = [];
      (window as any)._cio.on('error', (e: unknown) => (window as any).__errors.push(e));
    });
    await s.waitAll(); // the page event, before the fault
    suite.collector.fault({ status: 400, count: 1 });
    s.t0 = Date.now();
    // Not expected to arrive: refused for good.
    await tab.evaluate(() => {
      for (let i = 0; i < 5; i++) (window as any)._cio.track(`doomed-${i}`);
    });
    await waitFor(() => s.requests().some((r) => r.status === 400), 'the 400');
    await waitFor(async () => (await s.warnings()).some((w) => /\[cio-track\].*400/.test(w)), 'a [cio-track] warning about the 400');
    await s.track(tab, 'after', 0, 10);
    await settle(s, tab);

    expect(s.stored().filter((m) => m.event?.startsWith('doomed-'))).toEqual([]);
    // Dropped, not retried: the doomed messages went out once.
    expect(s.attempts().filter((a) => a.messages.some((m) => m.name.startsWith('doomed-')))).toHaveLength(1);
    expect(await tab.evaluate(() => (window as any).__errors)).toEqual([
      expect.objectContaining({ status: 400, dropped: 5 }),
    ]);
    s.assertExactlyOnce();
    expect(s.duplicatesReceived()).toEqual([]);
    expect(await s.pageErrors()).toEqual([]);
    s.report(`5 dropped by the 400, warning: ${(await s.warnings()).find((w) => /400/.test(w))}`);
  });

  it('connection dropped mid-request (twice): retried, everything stored exactly once', async () => {
    suite.collector.fault({ drop: true, count: 2 });
    const s = scenario('5a connection dropped');
    const tab = await s.open('p');
    s.t0 = Date.now();
    await s.track(tab, 'r', 0, 25);
    await settle(s, tab, 60_000);

    expect(statuses(s).slice(0, 3)).toEqual([0, 0, 200]);
    s.assertExactlyOnce();
    expect(await s.pageErrors()).toEqual([]);
    s.report(`statuses ${statuses(s).join(',')}`);
  });

  it('connection dropped after 1.5 s of latency: retried, everything stored exactly once', async () => {
    suite.collector.fault({ drop: true, latencyMs: 1500, count: 1 });
    const s = scenario('5b slow then dropped');
    const tab = await s.open('p');
    s.t0 = Date.now();
    await s.track(tab, 'r', 0, 25);
    // The collector records a request when it is done with it: it has taken the fault once the request is there.
    await s.faultsTaken();
    // Tracked while the first request hangs: they queue behind it.
    await s.track(tab, 'later', 0, 10);
    await settle(s, tab, 60_000);

    expect(statuses(s)[0]).toBe(0);
    s.assertExactlyOnce();
    expect(await s.pageErrors()).toEqual([]);
    s.report(`statuses ${statuses(s).join(',')}`);
  });

  it('a slow (3 s) answer: no retry, messages tracked meanwhile wait for it, one request at a time', async () => {
    suite.collector.fault({ latencyMs: 3000, count: 1 });
    const s = scenario('5c slow answer');
    const tab = await s.open('p');
    s.t0 = Date.now();
    await s.track(tab, 'r', 0, 25);
    await s.faultsTaken();
    await s.track(tab, 'during', 0, 30);
    await settle(s, tab, 60_000);

    const [first, second] = s.attempts();
    expect(second.at - first.at).toBeGreaterThanOrEqual(2900);
    expect(s.retried()).toEqual([]);
    s.assertExactlyOnce();
    expect(s.duplicatesReceived()).toEqual([]);
    expect(await s.pageErrors()).toEqual([]);
    s.report(`second request ${second.at - first.at} ms after the first`);
  });
});

describe('offline', () => {
  it('sends nothing while offline (no request even attempted), then everything once back online', async () => {
    const s = scenario('6 offline then online');
    const tab = await s.open('p');
    await s.waitAll(); // the page event, while online
    const requestsBefore = s.requests().length;

    await s.offline(tab);
    expect(await tab.evaluate(() => navigator.onLine)).toBe(false);
    s.t0 = Date.now();
    await s.track(tab, 'off', 0, 30);
    // Markers that the SDK had its chance to send: the 30 are persisted, and a flush answers "not empty".
    await waitFor(async () => (await s.storedQueue(tab)).flatMap((q) => q.names).length === 30, 'the 30 persisted');
    expect(await tab.evaluate(() => (window as any)._cio.flush())).toBe(false);
    // Any request it tried would reach the collector (and be failed there): longer than the batch window, none comes.
    await never('a request while offline', () => s.requests().length > requestsBefore);
    const online = Date.now();
    expect(s.attempts().filter((a) => a.messages.some((m) => m.name.startsWith('off-')))).toEqual([]);
    expect(s.requests().length).toBe(requestsBefore);

    await s.online(tab);
    await settle(s, tab);

    s.assertExactlyOnce();
    expect(s.duplicatesReceived()).toEqual([]);
    expect(s.requests().filter((r) => r.status !== 200), 'failed requests').toEqual([]);
    expect(await s.pageErrors()).toEqual([]);
    const lag = (Math.max(...s.stored().filter((m) => m.event?.startsWith('off-')).map((m) => Date.parse((m as any).receivedAt))) - online) / 1000;
    s.report(`the 30 arrived ${lag.toFixed(2)} s after going online`);
  });
});

describe('limits', () => {
  it('no request over 500 KB; a 40 KB event is dropped with a warning while the next one arrives', async () => {
    const s = scenario('12 body limits');
    const tab = await s.open('p');
    s.t0 = Date.now();
    // ~12 KB each: ~480 KB in all, more than one request may carry.
    await s.track(tab, 'big', 0, 40, { pad: 'x'.repeat(12_000) });
    // Just under the 32 KB message limit: delivered.
    await s.track(tab, 'edge', 0, 1, { pad: 'y'.repeat(31_000) });
    await tab.evaluate(() => (window as any)._cio.track('huge-0', { pad: 'z'.repeat(40_000) }));
    await s.track(tab, 'next', 0, 1);
    await waitFor(async () => (await s.warnings()).some((w) => /\[cio-track\].*32 KB/.test(w)), 'a [cio-track] warning about the 40 KB event');
    await settle(s, tab);

    expect(s.stored().filter((m) => m.event === 'huge-0')).toEqual([]);
    expect(s.attempts().flatMap((a) => a.messages).filter((m) => m.name === 'huge-0')).toEqual([]);
    const sizes = s.requests().map((r) => r.bytes);
    for (const bytes of sizes) expect(bytes).toBeLessThanOrEqual(500 * 1024);
    expect(statuses(s).every((status) => status === 200)).toBe(true);
    s.assertExactlyOnce();
    expect(s.duplicatesReceived()).toEqual([]);
    expect(await s.pageErrors()).toEqual([]);
    s.report(`largest request ${Math.max(...sizes)} B, ${sizes.length} requests`);
  });
});
