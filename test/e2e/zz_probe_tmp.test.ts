import { it } from 'vitest';
import { launchBrowser, launchCollector, pageHtml, servePages } from '/work/main/test/e2e/harness';
import { readFileSync } from 'node:fs';

it('probe', async () => {
  const browser = await launchBrowser();
  const collector = await launchCollector();
  servePages(collector, () => pageHtml({ attrs: { 'data-debug': 'true' } }));
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.type() + ': ' + m.text().slice(0, 200)));
  page.on('requestfailed', (r) => logs.push('requestfailed ' + r.url() + ' ' + r.failure()?.errorText + ' ' + (r.postData() || '').length)); page.on('pageerror', (e) => logs.push('pageerror ' + e.message));
  await page.goto(collector.url + '/t/x');
  await page.waitForFunction('window._cio && window._cio.version');
  const src = readFileSync('/tmp/dbg/corpus.js', 'utf8');
  const t0 = Date.now();
  const r = await page.evaluate(src);
  console.log('eval ms', Date.now() - t0, JSON.stringify(r).slice(0, 2000));
  await page.evaluate(`_cio.track('marker', {})`);
  const t1 = Date.now();
  while (Date.now() - t1 < 15000 && !collector.store.events().some((m: any) => m.event === 'marker')) await new Promise((r) => setTimeout(r, 200));
  console.log('marker arrived?', collector.store.events().some((m: any) => m.event === 'marker'));
  console.log('requests', JSON.stringify(collector.store.requests().map((r: any) => [r.status, r.count, r.bytes, r.error && r.error.slice(0, 300)])));
  console.log('events', collector.store.events().length);
  console.log('state', await page.evaluate(`(() => { const out = {}; for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i); out[k] = localStorage.getItem(k).length; } return out; })()`));
  console.log(logs.filter((l) => !/track: |\] track |\] page /.test(l)).join('\n'));
  await browser.close(); await collector.close();
}, 120000);
