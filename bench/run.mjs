#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): what dist/track.js costs a page and
 * how it uses the network, measured in headless Chromium against the local
 * collector, printed as a table beside the targets of SPEC §9 and the
 * "Hardening and budgets" issue. Figures only: nothing is asserted and the
 * exit code is 0 unless the bench itself could not run. Bounded: a watchdog
 * stops everything after BENCH_LIMIT_MS.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startCollector } from '../collector/server.mjs';
import { renderSnippet } from '../collector/snippet.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';
import { gzipFile } from '../scripts/gzip-size.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LOADS = 10; // page loads per load figure (median)
const ROUNDS = 10; // track() rounds per queue state (median)
const CALLS = 1000; // track() calls per round
const WIRE_EVENTS = 1000;
const WIRE_DEADLINE_MS = 25_000; // per wire run: how long we wait for the 1,000 events
const BENCH_LIMIT_MS = 240_000;
const SITE = 'bench-site';

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until truthy or the deadline: returns the value, or undefined at the deadline. */
async function until(fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value || Date.now() >= deadline) return value;
    await sleep(20);
  }
}

const trackJs = join(ROOT, 'dist', 'track.js');
let trackText;
try {
  trackText = readFileSync(trackJs, 'utf8');
} catch {
  console.error('dist/track.js is missing: run `npm run build` first (`npm run bench` does).');
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), 'cio-bench-'));
let browser;
let collector;
let finished = false;

async function cleanup() {
  await browser?.close().catch(() => {});
  await collector?.close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}

const watchdog = setTimeout(async () => {
  if (finished) return;
  console.error(`bench: still running after ${BENCH_LIMIT_MS / 1000} s, stopping.`);
  printTable();
  await cleanup();
  process.exit(2);
}, BENCH_LIMIT_MS);
watchdog.unref();

const snippet = (attrs = {}) => renderSnippet({ siteId: SITE, src: '/track.js', attrs });
const BODY = '<h1>bench page</h1><p>' + 'Some ordinary page text. '.repeat(40) + '</p>';
const html = (head) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>bench</title>${head}</head><body>${BODY}</body></html>`;
const PAGES = {
  '/b/with': html(`<script>${snippet()}</script>`),
  // The control runs one trivial inline script, so that creating the page's script context counts on both sides.
  '/b/without': html('<script>void 0</script>'),
  // The snippet loading an empty script: what inserting any script this way costs, whatever it contains.
  '/b/shell': html(`<script>${renderSnippet({ siteId: SITE, src: '/b/empty.js', attrs: {} })}</script>`),
  '/b/empty.js': '',
  '/b/calls': html(`<script>${snippet({ 'data-auto-track-page': 'false' })}</script>`),
};

/** Results, filled in as the runs finish, printed at the end (or by the watchdog). */
const rows = [];
const notes = [];
const add = (metric, value, target, ok) => rows.push({ metric, value, target, ok });

function printTable() {
  const widths = [48, 26, 24, 6];
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  console.log('\n' + line(['measure', 'measured', 'target', 'meets']));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line([r.metric, r.value, r.target, r.ok === undefined ? '' : r.ok ? 'yes' : 'NO']));
  if (notes.length) console.log('\n' + notes.map((n) => '- ' + n).join('\n'));
}

const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

async function newPage(shared) {
  const context = shared || (await browser.newContext());
  const page = await context.newPage();
  const warnings = [];
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text());
  });
  return { context, page, warnings };
}

const waitReady = (page) => page.waitForFunction('window._cio && typeof window._cio.version === "string"', undefined, { timeout: 15_000 });

/** Script time on load (CDP ScriptDuration) with and without the snippet, and load → page event at the collector. */
async function loadFigures() {
  const scriptWith = [];
  const scriptWithout = [];
  const scriptShell = [];
  const scriptRepeat = [];
  const latency = [];
  // A returning visitor: one browser profile, its IDs already stored.
  const returning = await browser.newContext();
  for (let i = 0; i <= LOADS; i++) {
    for (const variant of ['without', 'shell', 'with', 'repeat']) {
      if (i == LOADS && variant != 'repeat') continue;
      const { context, page } = await newPage(variant == 'repeat' ? returning : undefined);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const tag = `${variant}-${i}`;
      await page.goto(`${collector.url}/b/${variant == 'repeat' ? 'with' : variant}?load=${tag}`, { waitUntil: 'load' });
      if (variant === 'repeat') {
        await until(() => collector.store.events().find((m) => m.type === 'page' && m.properties?.load === tag), 10_000);
        const { metrics } = await cdp.send('Performance.getMetrics');
        // The first load of the profile is the warm-up.
        if (i) scriptRepeat.push(metrics.find((m) => m.name === 'ScriptDuration').value * 1e3);
        await page.close();
        continue;
      }
      if (variant === 'with') {
        // The SDK's work on load includes building and sending the page event: wait for it to arrive.
        const event = await until(
          () => collector.store.events().find((m) => m.type === 'page' && m.properties?.load === tag),
          10_000,
        );
        const { metrics } = await cdp.send('Performance.getMetrics');
        scriptWith.push(metrics.find((m) => m.name === 'ScriptDuration').value * 1e3);
        const loadAt = await page.evaluate(
          "performance.timeOrigin + performance.getEntriesByType('navigation')[0].loadEventStart",
        );
        latency.push(event ? Date.parse(event.receivedAt) - loadAt : NaN);
      } else {
        const { metrics } = await cdp.send('Performance.getMetrics');
        (variant === 'shell' ? scriptShell : scriptWithout).push(metrics.find((m) => m.name === 'ScriptDuration').value * 1e3);
      }
      await context.close();
    }
  }
  await returning.close();
  const delta = median(scriptWith) - median(scriptWithout);
  add('script on load, first visit (ScriptDuration Δ)', `${fmt(delta, 2)} ms`, '≤ 10 ms', delta <= 10);
  const repeat = median(scriptRepeat) - median(scriptWithout);
  add('script on load, returning visitor (Δ)', `${fmt(repeat, 2)} ms`, '≤ 10 ms', repeat <= 10);
  const shell = median(scriptShell) - median(scriptWithout);
  add('  of which the snippet inserting a script (empty)', `${fmt(shell, 2)} ms`, '(no target)');
  notes.push(
    `ScriptDuration medians over ${LOADS} loads: ${fmt(median(scriptWith), 2)} ms with the snippet ` +
      `(until its page event arrived; a first visit: new profile, so the ID cookies are created), ` +
      `${fmt(median(scriptRepeat), 2)} ms for a returning visitor, ${fmt(median(scriptWithout), 2)} ms with a trivial inline script instead, ${fmt(median(scriptShell), 2)} ms with the snippet loading an empty script. ` +
      'Chromium counts each browser API a page touches first (creating a script element, localStorage, cookies, fetch…) as script time.',
  );
  const lat = median(latency);
  const missing = latency.filter((x) => !Number.isFinite(x)).length;
  add('load event → page event at the collector', `${fmt(lat, 0)} ms (median)`, '≤ 1,200 ms', lat <= 1200);
  notes.push(
    `load → page event over ${LOADS} loads: min ${fmt(Math.min(...latency.filter(Number.isFinite)), 0)} ms, ` +
      `max ${fmt(Math.max(...latency.filter(Number.isFinite)), 0)} ms` +
      (missing ? `, ${missing} page events not received within 10 s` : ''),
  );
}

/** In the page: one timed round of CALLS track() calls; returns µs per call, sync and with the deferred work. */
const ROUND = `(async () => {
  const n = ${CALLS};
  const t0 = performance.now();
  for (let i = 0; i < n; i++) _cio.track('bench', { i: i, sku: 'SKU-12345', price: 19.99, currency: 'EUR', tags: ['a', 'b'] });
  const t1 = performance.now();
  // The write-behind and the batch timer run on timers set during the loop: a timer set now runs after them.
  await new Promise((r) => setTimeout(r, 0));
  const t2 = performance.now();
  return { sync: (t1 - t0) * 1000 / n, deferred: (t2 - t0) * 1000 / n };
})()`;

const flushWithin = (page, ms) =>
  page.evaluate(`Promise.race([_cio.flush(), new Promise((r) => setTimeout(() => r('pending'), ${ms}))])`);

/** µs per track(): from an empty queue, and with 1,000 messages waiting (offline). */
async function trackFigures() {
  const empty = { sync: [], deferred: [] };
  const cold = [];
  const full = { sync: [], deferred: [] };
  let fullWarnings = 0;
  let onlineWhileOffline;
  for (let r = 0; r < ROUNDS; r++) {
    // Empty queue: a fresh page, warmed up with a few calls that are delivered before the timed round.
    {
      const { context, page } = await newPage();
      await page.goto(`${collector.url}/b/calls?round=${r}`);
      await waitReady(page);
      await page.evaluate(`for (let i = 0; i < 40; i++) _cio.track('warmup', { i: i, sku: 'SKU-12345', price: 19.99 })`);
      const flushed = await flushWithin(page, 5000);
      if (flushed !== true) notes.push(`empty-queue round ${r}: warm-up flush gave ${flushed}`);
      const res = await page.evaluate(ROUND);
      cold.push(res.sync);
      // Again once the 1,000 calls above are delivered: the same empty queue, with the code warmed up (JIT-compiled).
      const again = await flushWithin(page, 10_000);
      if (again !== true) notes.push(`empty-queue round ${r}: flush after the cold round gave ${again}`);
      const warm = await page.evaluate(ROUND);
      empty.sync.push(warm.sync);
      empty.deferred.push(warm.deferred);
      await context.close();
    }
    // 1,000 waiting: offline, so nothing leaves; the first 1,000 calls (untimed) fill the queue.
    {
      const { context, page, warnings } = await newPage();
      await page.goto(`${collector.url}/b/calls?round=${r}`);
      await waitReady(page);
      await context.setOffline(true);
      onlineWhileOffline = await page.evaluate('navigator.onLine');
      await page.evaluate(ROUND);
      const before = warnings.length;
      const res = await page.evaluate(ROUND);
      fullWarnings += warnings.slice(before).filter((w) => /queue full/.test(w)).length;
      full.sync.push(res.sync);
      full.deferred.push(res.deferred);
      await context.close();
    }
  }
  const e = median(empty.sync);
  const f = median(full.sync);
  add('µs per track(), empty queue', `${fmt(e, 2)} µs`, '≤ 20 µs', e <= 20);
  add('  first 1,000 calls of a page (code still cold)', `${fmt(median(cold), 2)} µs`, '(no target)');
  add('µs per track(), 1,000 messages waiting', `${fmt(f, 2)} µs`, '≤ 20 µs', f <= 20);
  add('  incl. deferred work (write-behind), empty', `${fmt(median(empty.deferred), 2)} µs`, '(no target)');
  add('  incl. deferred work (write-behind), 1,000', `${fmt(median(full.deferred), 2)} µs`, '(no target)');
  notes.push(
    `track(): median of ${ROUNDS} rounds × ${CALLS} calls each; the empty-queue round runs after ${CALLS} delivered calls warmed the code up (rounds: empty ${empty.sync.map((x) => fmt(x)).join(', ')} µs; ` +
      `1,000 waiting ${full.sync.map((x) => fmt(x)).join(', ')} µs). Offline rounds: navigator.onLine = ${onlineWhileOffline}` +
      (fullWarnings ? `, ${fullWarnings} "queue full" warnings during timed calls` : ', no "queue full" drops') +
      '. "incl. deferred" = until a timer set right after the loop runs (the queue write to localStorage happens there).',
  );
}

/** CALLS track() calls in a fresh page, as a burst or paced; what reached the collector. */
async function wireFigures(mode) {
  collector.store.clear();
  const { context, page, warnings } = await newPage();
  await page.goto(`${collector.url}/b/calls?wire=${mode}`);
  await waitReady(page);
  const started = Date.now();
  const CALL = `_cio.track('wire', { i: i, sku: 'SKU-' + (10000 + i), price: 19.99, currency: 'EUR', qty: 1 + (i % 3) })`;
  if (mode === 'burst') await page.evaluate(`for (let i = 0; i < ${WIRE_EVENTS}; i++) ${CALL}`);
  else
    // 10 calls every 20 ms: 1,000 events over about 2 s, as a busy page would make them.
    await page.evaluate(`new Promise((done) => {
      let i = 0;
      const tick = setInterval(() => {
        for (let k = 0; k < 10 && i < ${WIRE_EVENTS}; k++, i++) ${CALL};
        if (i >= ${WIRE_EVENTS}) { clearInterval(tick); done(); }
      }, 20);
    })`);
  const arrivedCount = () => new Set(collector.store.events().filter((m) => m.event === 'wire').map((m) => m.properties.i)).size;
  await until(() => arrivedCount() >= WIRE_EVENTS, WIRE_DEADLINE_MS);
  const took = Date.now() - started;
  const arrived = arrivedCount();
  const requests = collector.store.requests();
  const bytes = requests.reduce((sum, r) => sum + r.bytes, 0);
  const failed = requests.filter((r) => r.status !== 200).length;
  await context.close();
  const label = mode === 'burst' ? 'burst of 1,000' : '1,000 over ~2 s';
  add(`bytes on the wire per event (${label})`, `${fmt(bytes / Math.max(arrived, 1), 0)} B`, '(no target)');
  add(
    `requests for 1,000 events (${label})`,
    `${requests.length}${failed ? ` (${failed} not 2xx)` : ''}`,
    '≤ 50, all arriving',
    requests.length <= 50 && arrived === WIRE_EVENTS,
  );
  add(`events arrived of 1,000 (${label})`, `${arrived} in ${fmt(took / 1000)} s`, 'all 1,000', arrived === WIRE_EVENTS);
  const problems = warnings.filter((w) => !/^\[cio-track\] (track|page) /.test(w));
  notes.push(
    `wire (${label}): ${bytes} request-body bytes in ${requests.length} requests` +
      (arrived < WIRE_EVENTS ? `; only ${arrived} had arrived when the ${WIRE_DEADLINE_MS / 1000} s deadline passed` : '') +
      (problems.length ? `; page warnings: ${[...new Set(problems)].slice(0, 3).join(' | ')}` : ''),
  );
}

try {
  // Measured as `npm run size` does.
  const gz = gzipFile(trackJs);
  add('dist/track.js gzip', `${gz} B (${trackText.length} B min)`, '≤ 5,120 B (goal 4,096)', gz <= 5120);

  collector = await startCollector({ port: 0, dataDir, root: ROOT });
  collector.setPages((url) => PAGES[url.pathname]);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const steps = [
    ['load', loadFigures],
    ['track', trackFigures],
    ['wire burst', () => wireFigures('burst')],
    ['wire paced', () => wireFigures('paced')],
  ];
  for (const [name, step] of steps) {
    const t = Date.now();
    await step();
    process.stderr.write(`bench: ${name} done in ${fmt((Date.now() - t) / 1000)} s\n`);
  }
  finished = true;
  printTable();
} catch (error) {
  finished = true;
  printTable();
  console.error('bench failed:', error);
  process.exitCode = 1;
} finally {
  await cleanup();
}
