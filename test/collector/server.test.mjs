// @vitest-environment node
// The collector's server (collector/server.mjs): the live stream, static
// files, extra pages for browser tests, and starting on a taken port.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCollector } from '../../collector/server.mjs';
import { fixtureRoot, message, postBatch, SNIPPET_SOURCE, start, tempDir, ulid } from './helpers.mjs';

describe('live stream', () => {
  /** Reads Server-Sent Events until `until(events)` holds. */
  async function readStream(collector, until, afterConnect) {
    const controller = new AbortController();
    const response = await fetch(`${collector.url}/api/stream`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const events = [];
    let connected = false;
    try {
      while (!until(events)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        const blocks = text.split('\n\n');
        text = blocks.pop();
        for (const block of blocks) {
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type) events.push({ type, data: JSON.parse(data) });
        }
        if (!connected) {
          connected = true; // the first chunk (retry:) says the subscription is in place
          await afterConnect();
        }
      }
    } finally {
      controller.abort();
    }
    return events;
  }

  it('streams accepted, duplicate and rejected messages with counts', async () => {
    const collector = await start();
    await postBatch(collector, [message(1)]);
    const events = await readStream(
      collector,
      (received) => received.length >= 1,
      () => postBatch(collector, [message(2), message(1), message(3, { anonymousId: '' })]),
    );
    const [update] = events;
    expect(update.type).toBe('update');
    expect(update.data.counts).toEqual({ events: 2, requests: 2, duplicates: 1, rejected: 1 });
    expect(update.data.entries.map((entry) => [entry.kind, entry.message.messageId])).toEqual([
      ['accepted', ulid(2)],
      ['duplicate', ulid(1)],
      ['rejected', ulid(3)],
    ]);
    expect(update.data.entries[2].reason).toMatch(/anonymousId must be a non-empty string/);
    expect(update.data.entries[1].reason).toMatch(/already received/);
    expect(update.data.entries.map((entry) => entry.seq)).toEqual([2, 3, 4]);
  });
});

describe('static files', () => {
  it('serves the live page and the scripts of the live view and demo panel', async () => {
    const collector = await start();
    const page = await fetch(`${collector.url}/live`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/assets/events-view.js"></script>\n  <script src="/assets/live.js"></script>');
    for (const name of ['live.js', 'events-view.js', 'demo.js']) {
      const script = await fetch(`${collector.url}/assets/${name}`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await script.text()).not.toMatch(/innerHTML/);
    }
  });

  it('tells to run the build when dist/track.js is missing', async () => {
    const collector = await start();
    const response = await fetch(`${collector.url}/track.js`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('Not found: dist/track.js does not exist. Run `npm run build` to build it.\n');
  });

  it('serves /track.js and /dist/* from <root>/dist without caching, and never outside it', async () => {
    const root = fixtureRoot({ trackJs: '/* built */' });
    writeFileSync(join(root, 'dist', 'track.esm.js'), 'export {}');
    writeFileSync(join(root, 'secret.txt'), 'secret');
    const collector = await start({ root });

    const track = await fetch(`${collector.url}/track.js`);
    expect(track.status).toBe(200);
    expect(track.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(track.headers.get('cache-control')).toBe('no-store');
    expect(await track.text()).toBe('/* built */');
    expect(await (await fetch(`${collector.url}/dist/track.esm.js`)).text()).toBe('export {}');
    expect(await (await fetch(`${collector.url}/snippet/snippet.min.js`)).text()).toBe(readFileSync(SNIPPET_SOURCE, 'utf8'));

    const escape = await fetch(`${collector.url}/dist/..%2fsecret.txt`);
    expect(escape.status).toBe(404);
    expect(await escape.text()).not.toContain('secret\n');
  });

  it('serves extra pages given to setPages on its own origin, after its own routes', async () => {
    const collector = await start();
    const seen = [];
    collector.setPages((url) => {
      seen.push(url.href);
      return url.pathname.startsWith('/t/') ? `<p>${url.searchParams.get('x')}</p>` : undefined;
    });
    const page = await fetch(`${collector.url}/t/one?x=42`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toBe('<p>42</p>');
    expect(seen).toEqual([`${collector.url}/t/one?x=42`]);
    expect((await fetch(`${collector.url}/no-auto`)).status).toBe(200); // falls through to the demo
    expect((await fetch(`${collector.url}/api/events`)).headers.get('content-type')).toMatch(/json/);
    collector.setPages(undefined);
    expect((await fetch(`${collector.url}/t/one`)).status).toBe(404);
  });
});

describe('startCollector', () => {
  it('rejects with EADDRINUSE when the port is taken', async () => {
    const collector = await start();
    await expect(startCollector({ port: collector.port, root: fixtureRoot(), dataDir: tempDir() })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
