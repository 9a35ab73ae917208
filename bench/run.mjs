#!/usr/bin/env node
/**
 * `npm run bench` (after `npm run build`): what dist/track.js costs a page and
 * how it uses the network, measured in headless Chromium against the local
 * collector, printed as a table beside the budgets. Figures only: nothing is
 * asserted and the exit code is 0 unless the bench itself could not run.
 *
 * Each scenario runs alone: every page is closed, and what it sends has
 * arrived, before the next one is timed, so no delivery competes with a load
 * or a track() loop for the two cores.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { REPO_ROOT as ROOT } from '../collector/root.mjs';
import { startCollector } from '../collector/server.mjs';
import { renderSnippet } from '../collector/snippet.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.mjs';
import { gzipFile } from '../scripts/gzip-size.mjs';

// Runs per timing figure (median): a load or a cold loop swings by ±30% or more run to run on 2 shared cores.
const RUNS = 11;
const CALLS = 1000; // track() calls per loop
const BURST = 1000;
const PACED = 50; // events of the paced run, one every PACED_EVERY_MS
const PACED_EVERY_MS = 100;
const PROFILE_INTERVAL_US = 100;
const SETTLE_MS = 300;
// How long a new page is left alone before anything is timed in it (see pageIn).
const OPEN_MS = 1000;
const PROFILE_TOP = 10;
const PROFILE_EXCERPT = 60; // characters of minified code shown for each profile entry
const ARRIVAL_MS = 15_000; // how long we wait for events to reach the collector
const BENCH_LIMIT_MS = 360_000;
const SITE = 'bench-site';

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** Polls `fn` until truthy or the deadline: returns the value, or undefined at the deadline. */
async function until(fn, timeoutMs = ARRIVAL_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value || Date.now() >= deadline) return value;
    await sleep(10);
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
  printReport();
  await cleanup();
  process.exit(2);
}, BENCH_LIMIT_MS);
watchdog.unref();

const snippet = (src, attrs = {}) => `<script>${renderSnippet({ siteId: SITE, src, attrs })}</script>`;
const BODY = '<h1>bench page</h1><p>' + 'Some ordinary page text. '.repeat(40) + '</p>';
const html = (head) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>bench</title>${head}</head><body>${BODY}</body></html>`;
const PAGES = {
  '/b/with': html(snippet('/track.js')),
  // The snippet loading an empty script the same way: the baseline that inserting any script costs.
  '/b/empty': html(snippet('/b/empty.js')),
  '/b/empty.js': '',
  '/b/calls': html(snippet('/track.js', { 'data-auto-track-page': 'false' })),
};

/** Results, filled in as the runs finish, printed at the end (or by the watchdog). */
const rows = [];
const notes = [];
let profileTop = [];
const add = (figure, ours, target, ok) => rows.push({ figure, ours, target, ok });

function printReport() {
  const widths = [46, 28, 22, 4];
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ').trimEnd();
  console.log('\n' + line(['figure', 'ours', 'target', 'ok?']));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line([r.figure, r.ours, r.target, r.ok === undefined ? '' : r.ok ? 'yes' : 'NO']));
  if (profileTop.length) {
    console.log(`\nCPU profile of a load (${PROFILE_INTERVAL_US} µs sampling), mean self time per load in dist/track.js over ${RUNS} loads:`);
    for (const p of profileTop) console.log(`  ${fmt(p.ms, 2).padStart(6)} ms  ${p.name.padEnd(12)} ${p.where.padEnd(18)} ${p.code}`);
  }
  if (notes.length) console.log('\n' + notes.map((n) => '- ' + n).join('\n'));
}

/**
 * A page in a context of its own (a first visit: no IDs stored), with a CDP
 * session on it, as pageIn makes it (`openMs` left out: pageIn's default).
 */
async function freshPage(openMs) {
  await sleep(SETTLE_MS);
  const context = await browser.newContext();
  return { context, ...(await pageIn(context, 0, openMs)) };
}

/**
 * A new page, with a CDP session on it, in a context that may have visited
 * before: opened once the browser has had a moment to finish closing the
 * last one (its renderer's exit, its storage written), and left alone for
 * `openMs` before it is used, so that neither lands inside a timing. For a
 * while after the automation returns a new page, the browser and the
 * automation are still setting it up: a load of ours timed then takes 1.2 to
 * 2.4 times as long, and a cold track() loop 1.3 to 2.1 times (five runs),
 * throughout the script and most in the calls that wait on the browser
 * (cookie, localStorage, fetch), while a loop of plain script is barely
 * slowed. A visitor's tab has none of that automation; the rows "as soon as
 * made" show the difference.
 */
async function pageIn(context, settleMs = SETTLE_MS, openMs = OPEN_MS) {
  await sleep(settleMs);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await sleep(openMs);
  return { page, cdp };
}

const READY = 'window._cio && typeof window._cio.version === "string"';
const waitReady = (page) => page.waitForFunction(READY, undefined, { timeout: 15_000, polling: 'raf' });

const pageEvent = (tag) => collector.store.events().find((m) => m.type === 'page' && m.properties?.load === tag);

/**
 * CDP ScriptDuration (ms) once the page has loaded its script (and, with ours,
 * `_cio` is ready): a first visit, or with `context` a later visit in it;
 * from the collector's own address (an IP, where cookies are host-only), or from `origin`;
 * the page left alone for `openMs` after it is made (see pageIn).
 */
async function scriptDuration(path, tag, { context, origin = collector.url, openMs } = {}) {
  const { page, cdp } = context ? await pageIn(context) : await freshPage(openMs);
  await cdp.send('Performance.enable');
  await page.goto(`${origin}${path}?load=${tag}`, { waitUntil: 'load' });
  // The ready check runs on both pages, so that what it costs itself cancels out of the difference.
  if (path === '/b/with') await waitReady(page);
  else await page.evaluate(READY);
  const { metrics } = await cdp.send('Performance.getMetrics');
  const ms = metrics.find((m) => m.name === 'ScriptDuration').value * 1e3;
  return { ms, context: page.context(), page };
}

/**
 * ScriptDuration (ms) of RUNS first visits to our page, with scriptDuration's `options`, each
 * page event awaited before the next load; `inspect` sees each visit's context before it closes.
 */
async function firstVisits(tag, options, inspect) {
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await scriptDuration('/b/with', `${tag}-${i}`, options);
    ms.push(run.ms);
    await until(() => pageEvent(`${tag}-${i}`));
    await inspect?.(run.context);
    await run.context.close();
  }
  return ms;
}

/**
 * Script time on load, and navigation start → the auto page event at the collector.
 *
 * The latency compares two readings of the one system clock: the page's
 * performance.timeOrigin (the epoch time of its navigation start, the zero of
 * every Navigation Timing entry) and the collector's receivedAt, stamped with
 * Date.now() as the request arrives. Browser and collector run on this
 * machine, so there is no clock skew, only the collector's millisecond rounding.
 */
async function loadFigures() {
  const ours = [];
  const again = [];
  const empty = [];
  const latency = [];
  // One untimed load of each first: the browser's first page pays for starting its renderer and caches.
  for (const path of ['/b/empty', '/b/with']) await (await scriptDuration(path, 'warm-up')).context.close();
  for (let i = 0; i < RUNS; i++) {
    const baseline = await scriptDuration('/b/empty', `empty-${i}`);
    empty.push(baseline.ms);
    await baseline.context.close();

    const tag = `with-${i}`;
    const run = await scriptDuration('/b/with', tag);
    ours.push(run.ms);
    const origin = await run.page.evaluate('performance.timeOrigin');
    const event = await until(() => pageEvent(tag));
    latency.push(event ? Date.parse(event.receivedAt) - origin : NaN);
    await run.context.close();
  }
  // Apart from the first visits, so that closing a context of two pages never lands inside their timings.
  for (let i = 0; i < RUNS; i++) {
    const first = await scriptDuration('/b/with', `first-${i}`);
    await until(() => pageEvent(`first-${i}`));
    // The visitor's next page: IDs and consent already stored, the previous page gone.
    await first.page.close();
    const next = await scriptDuration('/b/with', `again-${i}`, { context: first.context });
    again.push(next.ms);
    await until(() => pageEvent(`again-${i}`));
    await first.context.close();
  }
  // A first visit on a named host, as on a real site: the ID's first write there also finds the
  // registrable domain, by reading back what it wrote on bench.localhost (all engines resolve *.localhost).
  let namedDomain;
  const named = await firstVisits('named', { origin: collector.url.replace('127.0.0.1', 'www.bench.localhost') }, async (context) => {
    namedDomain = (await context.cookies()).find((c) => c.name === '_cioanonid')?.domain;
  });
  // First visits again, each navigated as soon as its page is made (see pageIn).
  const atOnce = await firstVisits('at-once', { openMs: 0 });
  const lat = median(latency);
  add('navigation start → first event at collector', `${fmt(lat, 0)} ms`, '≤ 224 ms', lat <= 224);
  const abs = median(ours);
  add('script on load (ScriptDuration until ready)', `${fmt(abs, 2)} ms`, '≤ 12 ms', abs <= 12);
  add('  above an empty script loaded the same way', `${fmt(abs - median(empty), 2)} ms`, '(no target)');
  add('  on a later page of the same visitor', `${fmt(median(again), 2)} ms`, '(no target)');
  add('  first visit on www.bench.localhost', `${fmt(median(named), 2)} ms`, '(no target)');
  add('  first visit, as soon as its page is made', `${fmt(median(atOnce), 2)} ms`, '(no target)');
  notes.push(
    `load: medians of ${RUNS} first visits; ScriptDuration ${ours.map((x) => fmt(x, 2)).join(', ')} ms with ours, ` +
      `${empty.map((x) => fmt(x, 2)).join(', ')} ms with the empty script, ${again.map((x) => fmt(x, 2)).join(', ')} ms ` +
      `on the visitor's next page, ${named.map((x) => fmt(x, 2)).join(', ')} ms on www.bench.localhost ` +
      `(its ID cookie on ${namedDomain ?? 'no domain'}), ${atOnce.map((x) => fmt(x, 2)).join(', ')} ms as soon as made; ` +
      `first event ${latency.map((x) => fmt(x, 0)).join(', ')} ms.`,
  );
}

/** One load under the CDP sampling profiler, from navigation until `_cio` is ready. */
async function profiledLoad(tag) {
  const { context, page, cdp } = await freshPage();
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
  await cdp.send('Profiler.start');
  await page.goto(`${collector.url}/b/with?load=${tag}`, { waitUntil: 'load' });
  await waitReady(page);
  const { profile } = await cdp.send('Profiler.stop');
  // Its page event delivered before the next load starts.
  await until(() => pageEvent(tag));
  await context.close();
  return profile;
}

/** Self time per function of dist/track.js, averaged over RUNS profiled loads (one is too noisy). */
async function profileFigures() {
  const self = new Map();
  for (let i = 0; i < RUNS; i++) {
    const profile = await profiledLoad(`profile-${i}`);
    const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    // Each sample's time, until the next sample, belongs to the function on top of the stack.
    profile.samples.forEach((id, k) => {
      const frame = frames.get(id);
      if (!frame.url.endsWith('/track.js')) return;
      const key = [frame.functionName || '(anon)', frame.lineNumber, frame.columnNumber].join('\t');
      self.set(key, (self.get(key) || 0) + (profile.timeDeltas[k + 1] ?? 0) / 1e3 / RUNS);
    });
  }
  // The file is minified and has no source map: a stretch of its code from each
  // position says which source function it is.
  const lines = trackText.split('\n');
  const excerpt = (line, column) => JSON.stringify(lines[line].slice(column, column + PROFILE_EXCERPT));
  profileTop = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, PROFILE_TOP)
    .map(([key, ms]) => {
      const [name, line, column] = key.split('\t').map((x, i) => (i ? +x : x));
      // CDP's lines and columns are 0-based; printed 1-based, as editors count.
      return { name, where: `track.js:${line + 1}:${column + 1}`, code: excerpt(line, column), ms };
    });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  add('  CPU self time in track.js (profiled loads)', `${fmt(total, 2)} ms`, '(no target)');
}

/** In the page: one loop of CALLS track() calls; returns µs per call. */
const LOOP = `(() => {
  const t0 = performance.now();
  for (let i = 0; i < ${CALLS}; i++) _cio.track('bench', { i: i, sku: 'SKU-12345', price: 19.99, currency: 'EUR', tags: ['a', 'b'] });
  return (performance.now() - t0) * 1000 / ${CALLS};
})()`;

/** Waits until the page has nothing left to deliver (a flush that settles), so the next loop runs alone. */
const drain = (page) => page.evaluate(`Promise.race([_cio.flush(), new Promise((r) => setTimeout(r, ${ARRIVAL_MS}))])`);

/**
 * µs per track(): the first loop of a fresh page right after ready (cold), then a second one
 * (warm); and the first loop of a page navigated as soon as it was made (see pageIn).
 */
async function trackFigures() {
  const cold = [];
  const warm = [];
  const atOnce = [];
  for (let i = 0; i < RUNS; i++) {
    for (const openMs of [OPEN_MS, 0]) {
      const { context, page } = await freshPage(openMs);
      await page.goto(`${collector.url}/b/calls?run=${i}&open=${openMs}`);
      await waitReady(page);
      (openMs ? cold : atOnce).push(await page.evaluate(LOOP));
      await drain(page);
      if (openMs) {
        warm.push(await page.evaluate(LOOP));
        await drain(page);
      }
      await context.close();
    }
  }
  const c = median(cold);
  const w = median(warm);
  add('track(), cold (first 1,000 calls of a page)', `${fmt(c, 2)} µs`, '≤ 20 µs', c <= 20);
  add('  the same, as soon as its page is made', `${fmt(median(atOnce), 2)} µs`, '(no target)');
  add('track(), warm (second 1,000 calls)', `${fmt(w, 2)} µs`, '≤ 20 µs', w <= 20);
  notes.push(
    `track(): ${RUNS} pages; cold ${cold.map((x) => fmt(x)).join(', ')} µs; warm ${warm.map((x) => fmt(x)).join(', ')} µs; ` +
      `cold as soon as made ${atOnce.map((x) => fmt(x)).join(', ')} µs.`,
  );
}

/** Sends `count` events from a fresh page (all at once, or one every `everyMs`); requests until all arrived. */
async function wireRequests(label, count, everyMs) {
  collector.store.clear();
  const { context, page } = await freshPage();
  await page.goto(`${collector.url}/b/calls?wire=${label}`);
  await waitReady(page);
  const call = `_cio.track('wire', { i: i, sku: 'SKU-' + (10000 + i), price: 19.99, qty: 1 + (i % 3) })`;
  await page.evaluate(
    everyMs
      ? `new Promise((done) => {
          let i = 0;
          const tick = setInterval(() => { ${call}; if (++i >= ${count}) { clearInterval(tick); done(); } }, ${everyMs});
        })`
      : `for (let i = 0; i < ${count}; i++) ${call}`,
  );
  const arrivedCount = () => new Set(collector.store.events().filter((m) => m.event === 'wire').map((m) => m.properties.i)).size;
  await until(() => arrivedCount() >= count);
  const arrived = arrivedCount();
  const requests = collector.store.requests().length;
  await context.close();
  if (arrived < count) notes.push(`${label}: only ${arrived} of ${count} events arrived within ${ARRIVAL_MS / 1000} s.`);
  return { requests, complete: arrived === count };
}

async function wireFigures() {
  const burst = await wireRequests('burst', BURST, 0);
  add('requests per 1,000-event burst', burst.requests, '≤ 50', burst.complete && burst.requests <= 50);
  const paced = await wireRequests('paced', PACED, PACED_EVERY_MS);
  add(`requests for ${PACED} events over ${(PACED * PACED_EVERY_MS) / 1000} s`, paced.requests, '≤ 10', paced.complete && paced.requests <= 10);
}

try {
  // Measured as `npm run size` does.
  const gz = gzipFile(trackJs);
  add('dist/track.js gzip', `${gz} B (${trackText.length} B min)`, '≤ 5,632 B (CI 6,144)', gz <= 5632);

  collector = await startCollector({ port: 0, dataDir, root: ROOT });
  collector.setPages((url) => PAGES[url.pathname]);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const steps = [
    ['load', loadFigures],
    ['profile', profileFigures],
    ['track', trackFigures],
    ['wire', wireFigures],
  ];
  for (const [name, step] of steps) {
    const t = Date.now();
    await step();
    process.stderr.write(`bench: ${name} done in ${fmt((Date.now() - t) / 1000)} s\n`);
  }
  finished = true;
  printReport();
} catch (error) {
  finished = true;
  printReport();
  console.error('bench failed:', error);
  process.exitCode = 1;
} finally {
  await cleanup();
}
