// Tests of the local ingestion collector (collector/): ingestion per README, "What is sent",
// dedupe, persistence, CORS, fault injection, the live stream, static and
// demo pages, the snippet renderer and the CLI.
// @vitest-environment node
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_SITE_ID, MAX_BODY_BYTES, MAX_MESSAGE_BYTES, startCollector } from '../../collector/server.mjs';
import { REPO_ROOT, renderSnippet } from '../../collector/snippet.mjs';

const SNIPPET_SOURCE = join(REPO_ROOT, 'snippet', 'snippet.js');
const SNIPPET_MIN = join(REPO_ROOT, 'snippet', 'snippet.min.js');

// ---------------------------------------------------------------- helpers

const cleanups = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()();
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'cio-collector-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A repository root with only what the collector serves: snippet/snippet.min.js
 * (a minified copy of the real readable snippet, so these tests need no build)
 * and optionally dist/track.js.
 */
function fixtureRoot({ trackJs } = {}) {
  const root = tempDir();
  mkdirSync(join(root, 'snippet'));
  copyFileSync(SNIPPET_SOURCE, join(root, 'snippet', 'snippet.min.js'));
  if (trackJs !== undefined) {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'track.js'), trackJs);
  }
  return root;
}

async function start(opts = {}) {
  const collector = await startCollector({ port: 0, root: fixtureRoot(), dataDir: tempDir(), ...opts });
  cleanups.push(() => collector.close());
  return collector;
}

// Valid ULIDs, distinct per n: Crockford digits only.
const ulid = (n) => `01J${String(n).padStart(23, '0')}`;

const CONTEXT = { library: { name: 'cio-track', version: '0.0.0' }, page: { path: '/' } };

function message(n, overrides = {}) {
  return {
    type: 'track',
    event: `event_${n}`,
    properties: { n },
    messageId: ulid(n),
    timestamp: '2025-01-02T03:04:05.678Z',
    anonymousId: 'anon-1',
    context: CONTEXT,
    ...overrides,
  };
}

const envelope = (batch, overrides = {}) => ({ writeKey: 'site-1', sentAt: new Date().toISOString(), batch, ...overrides });

function post(collector, body, headers = {}) {
  return fetch(`${collector.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const postBatch = (collector, batch) => post(collector, envelope(batch));

const readLines = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));

// ---------------------------------------------------------------- ingestion

describe('POST /v1/batch', () => {
  it('accepts a valid batch, stores each message with receivedAt and appends it to the NDJSON file', async () => {
    const collector = await start();
    const batch = [message(1), message(2, { type: 'page', name: '/products', event: undefined }), message(3, { type: 'identify', userId: 'u-1', traits: { email: 'a@b.c' } })];
    const body = JSON.stringify(envelope(batch));
    const before = Date.now();
    const response = await post(collector, body);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, accepted: 3, duplicates: 0, rejected: 0 });
    const events = collector.store.events();
    expect(events.map((event) => event.messageId)).toEqual([ulid(1), ulid(2), ulid(3)]);
    expect(events[0]).toEqual({ ...message(1), receivedAt: expect.any(String) });
    expect(Date.parse(events[0].receivedAt)).toBeGreaterThanOrEqual(before - 5);
    expect(events[2].traits).toEqual({ email: 'a@b.c' });
    expect(readLines(collector.store.file)).toEqual(JSON.parse(JSON.stringify(events)));

    const [request] = collector.store.requests();
    expect(request).toMatchObject({ status: 200, count: 3, accepted: 3, duplicates: 0, rejected: 0, beacon: false, writeKey: 'site-1' });
    expect(request.bytes).toBe(Buffer.byteLength(body));
    expect(typeof request.at).toBe('number');
    expect(request.carried).toEqual([
      { messageId: ulid(1), type: 'track', event: 'event_1', name: undefined },
      { messageId: ulid(2), type: 'page', event: undefined, name: '/products' },
      { messageId: ulid(3), type: 'identify', event: 'event_3', name: undefined },
    ]);
  });

  it('accepts application/json, and rejects other content types with 415', async () => {
    const collector = await start();
    const json = await post(collector, envelope([message(1)]), { 'Content-Type': 'application/json' });
    expect(json.status).toBe(200);
    const form = await post(collector, envelope([message(2)]), { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect((await form.json()).error).toMatch(/Content-Type must be text\/plain/);
    expect(collector.store.events().map((event) => event.messageId)).toEqual([ulid(1)]);
  });

  it.each([
    ['malformed JSON', '{"writeKey": "site-1", "batch": [', /body is not valid JSON/],
    ['an array body', '[]', /body must be a JSON object/],
    ['a missing writeKey', JSON.stringify({ sentAt: new Date().toISOString(), batch: [] }), /writeKey must be a non-empty string.*got nothing/],
    ['an empty writeKey', JSON.stringify(envelope([], { writeKey: '' })), /writeKey must be a non-empty string \(the site id\); got ""/],
    ['a batch that is not an array', JSON.stringify(envelope({ 0: message(1) })), /batch must be an array of messages; got an object/],
    ['a sentAt that is not ISO', JSON.stringify(envelope([], { sentAt: 'yesterday' })), /sentAt must be an ISO 8601 date-time; got "yesterday"/],
  ])('answers 400 with the reason for %s, and stores nothing', async (_label, body, reason) => {
    const collector = await start();
    const response = await post(collector, body);
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect((await response.json()).error).toMatch(reason);
    expect(collector.store.events()).toEqual([]);
    expect(collector.store.requests()).toMatchObject([{ status: 400, accepted: 0, error: expect.stringMatching(reason) }]);
  });

  it.each([
    ['an unknown type', { type: 'screen' }, /type must be one of track, page, identify; got "screen"/],
    ['a lower-case messageId', { messageId: ulid(9).toLowerCase() }, /messageId must be a ULID/],
    ['a messageId with I, L, O or U', { messageId: '01J0000000000000000000000L' }, /messageId must be a ULID/],
    ['a messageId starting above 7', { messageId: '81J00000000000000000000000' }, /messageId must be a ULID/],
    ['a 25-character messageId', { messageId: ulid(9).slice(1) }, /messageId must be a ULID/],
    ['a timestamp without time', { timestamp: '2025-01-02' }, /timestamp must be an ISO 8601 date-time; got "2025-01-02"/],
    ['a numeric timestamp', { timestamp: 1735787045678 }, /timestamp must be an ISO 8601 date-time; got 1735787045678/],
    ['no anonymousId', { anonymousId: undefined }, /anonymousId must be a non-empty string; got nothing/],
    ['a track without event', { event: undefined }, /a track message needs event/],
    ['a track with a blank event', { event: '  ' }, /a track message needs event/],
    ['a page whose name is not a string', { type: 'page', name: 42 }, /a page message needs name, a string; got 42/],
    ['an identify without userId', { type: 'identify' }, /an identify message needs userId/],
    ['an identify with a numeric userId', { type: 'identify', userId: 42 }, /an identify message needs userId, a non-empty string; got 42/],
    ['a track with an empty userId', { userId: '' }, /userId, when present, must be a non-empty string/],
    ['no context', { context: undefined }, /context must be an object; got nothing/],
    ['an array as context', { context: [] }, /context must be an object; got an array/],
    ['properties that are an array', { properties: ['a'] }, /properties, when present, must be an object/],
    ['a message over 32 KB', { properties: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) } }, new RegExp(`over the ${MAX_MESSAGE_BYTES}-byte limit`)],
  ])('rejects only the message with %s, with its reason, and accepts the others', async (_label, overrides, reason) => {
    const collector = await start();
    const bad = message(2, overrides);
    const response = await postBatch(collector, [message(1), bad, message(3)]);

    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer).toMatchObject({ ok: true, accepted: 2, duplicates: 0, rejected: 1 });
    expect(answer.errors).toEqual([{ index: 1, messageId: bad.messageId, reason: expect.stringMatching(reason) }]);
    expect(collector.store.events().map((event) => event.messageId)).toEqual([ulid(1), ulid(3)]);
    expect(collector.store.rejected()).toEqual([{ message: JSON.parse(JSON.stringify(bad)), reason: expect.stringMatching(reason) }]);
    expect(readLines(collector.store.file).map((line) => line.messageId)).toEqual([ulid(1), ulid(3)]);
  });

  it('lists every problem of a message in its reason, and rejects non-object messages', async () => {
    const collector = await start();
    const response = await postBatch(collector, [{ type: 'track' }, 'hello', null]);
    const answer = await response.json();
    expect(answer).toMatchObject({ accepted: 0, rejected: 3 });
    const [first, second, third] = answer.errors.map((error) => error.reason);
    for (const field of ['messageId', 'timestamp', 'anonymousId', 'context', 'event']) expect(first).toContain(field);
    expect(second).toBe('message must be an object; got "hello"');
    expect(third).toBe('message must be an object; got null');
  });

  it('accepts a userId of null on anonymous messages', async () => {
    const collector = await start();
    const response = await postBatch(collector, [message(1, { userId: null })]);
    expect(await response.json()).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: 0 });
  });

  it('dedupes by messageId: the first copy wins, later ones are counted and not stored', async () => {
    const collector = await start();
    await postBatch(collector, [message(1), message(2)]);

    const again = await postBatch(collector, [message(1, { event: 'changed' }), message(3), message(3)]);
    expect(await again.json()).toEqual({ ok: true, accepted: 1, duplicates: 2, rejected: 0 });
    expect(collector.store.duplicates()).toEqual([ulid(1), ulid(3)]);
    const events = collector.store.events();
    expect(events.map((event) => event.messageId)).toEqual([ulid(1), ulid(2), ulid(3)]);
    expect(events[0].event).toBe('event_1');
    expect(readLines(collector.store.file)).toHaveLength(3);
    expect(collector.store.requests().map((request) => request.duplicates)).toEqual([0, 2]);
  });

  it('accepts a body of exactly 500 KB and answers 413 one byte over it, storing nothing', async () => {
    const collector = await start();
    // 16 messages of ~30 KB, then a 17th padded so that the body has the exact size wanted.
    const bodyOfSize = (size, firstId) => {
      const batch = Array.from({ length: 17 }, (_, i) => message(firstId + i, { properties: { pad: 'x'.repeat(30_000) } }));
      batch[16].properties.pad = '';
      const sentAt = new Date().toISOString();
      const base = JSON.stringify(envelope(batch, { sentAt })).length;
      batch[16].properties.pad = 'x'.repeat(size - base);
      const text = JSON.stringify(envelope(batch, { sentAt }));
      expect(Buffer.byteLength(text)).toBe(size);
      return text;
    };

    const atLimit = await post(collector, bodyOfSize(MAX_BODY_BYTES, 100));
    expect(atLimit.status).toBe(200);
    expect((await atLimit.json()).accepted).toBe(17);

    const over = await post(collector, bodyOfSize(MAX_BODY_BYTES + 1, 200));
    expect(over.status).toBe(413);
    expect(over.headers.get('access-control-allow-origin')).toBe('*');
    expect((await over.json()).error).toBe(`body is ${MAX_BODY_BYTES + 1} bytes, over the ${MAX_BODY_BYTES}-byte limit: send smaller batches`);
    expect(collector.store.events()).toHaveLength(17);
    expect(collector.store.requests().map((request) => [request.status, request.bytes])).toEqual([
      [200, MAX_BODY_BYTES],
      [413, MAX_BODY_BYTES + 1],
    ]);
  });

  it('marks requests made by sendBeacon (Sec-Fetch-Mode: no-cors)', async () => {
    const collector = await start();
    // fetch sets Sec-Fetch-Mode itself, so talk HTTP directly to play a browser's beacon.
    const send = (mode, batch) =>
      new Promise((done, fail) => {
        const body = JSON.stringify(envelope(batch));
        const req = request(`${collector.url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'Sec-Fetch-Mode': mode } }, (res) => {
          res.resume();
          res.on('end', () => done(res.statusCode));
        });
        req.on('error', fail);
        req.end(body);
      });
    expect(await send('no-cors', [message(1)])).toBe(200);
    expect(await send('cors', [message(2)])).toBe(200);
    expect(collector.store.requests().map((request) => request.beacon)).toEqual([true, false]);
  });

  it('answers 405 to other methods', async () => {
    const collector = await start();
    const response = await fetch(`${collector.url}/v1/batch`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

// ---------------------------------------------------------------- CORS

describe('CORS', () => {
  it('lets any origin read the answer and Retry-After', async () => {
    const collector = await start();
    const response = await post(collector, envelope([message(1)]), { Origin: 'https://shop.example' });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')).toBe('Retry-After');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('answers the preflight of application/json posts with 204', async () => {
    const collector = await start();
    const response = await fetch(`${collector.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('Content-Type');
    expect(collector.store.requests()).toEqual([]); // a preflight is not a batch
  });
});

// ---------------------------------------------------------------- persistence

describe('persistence', () => {
  it('reloads stored events on start, so they and the dedupe survive a restart', async () => {
    const dataDir = join(tempDir(), 'nested', 'data'); // created on first run
    const first = await start({ dataDir });
    await postBatch(first, [message(1), message(2)]);
    const stored = first.store.events();
    await first.close();

    const second = await start({ dataDir });
    expect(second.store.events()).toEqual(stored);
    expect(second.store.loaded).toEqual({ events: 2, skipped: 0 });
    const response = await postBatch(second, [message(2), message(3)]);
    expect(await response.json()).toEqual({ ok: true, accepted: 1, duplicates: 1, rejected: 0 });
    expect(readLines(join(dataDir, 'events.ndjson')).map((line) => line.messageId)).toEqual([ulid(1), ulid(2), ulid(3)]);
  });

  it('skips a line cut short by a crash and keeps appending on a fresh line', async () => {
    const dataDir = tempDir();
    const good = { ...message(1), receivedAt: '2025-01-02T03:04:06.000Z' };
    writeFileSync(join(dataDir, 'events.ndjson'), `${JSON.stringify(good)}\n{"type":"track","messageId":"01J`);

    const collector = await start({ dataDir });
    expect(collector.store.loaded).toEqual({ events: 1, skipped: 1 });
    expect(collector.store.events()).toEqual([good]);
    await postBatch(collector, [message(2)]);

    const lines = readFileSync(collector.store.file, 'utf8').split('\n');
    expect(JSON.parse(lines.at(-2)).messageId).toBe(ulid(2));
    await collector.close();
    const again = await start({ dataDir });
    expect(again.store.events().map((event) => event.messageId)).toEqual([ulid(1), ulid(2)]);
  });

  it('POST /admin/clear forgets events, history and dedupe, and empties the file', async () => {
    const collector = await start();
    await postBatch(collector, [message(1), message(1)]);
    const response = await fetch(`${collector.url}/admin/clear`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(collector.store.events()).toEqual([]);
    expect(collector.store.requests()).toEqual([]);
    expect(collector.store.duplicates()).toEqual([]);
    expect(readFileSync(collector.store.file, 'utf8')).toBe('');
    expect(await (await postBatch(collector, [message(1)])).json()).toMatchObject({ accepted: 1, duplicates: 0 });
  });
});

// ---------------------------------------------------------------- faults

describe('fault injection', () => {
  const addFault = (collector, spec) =>
    fetch(`${collector.url}/admin/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });

  it('answers the next `count` batches with the status and Retry-After, storing nothing, then recovers', async () => {
    const collector = await start();
    const added = await addFault(collector, { status: 503, count: 2, retryAfter: 7 });
    expect(added.status).toBe(200);
    expect((await added.json()).pending).toEqual([{ status: 503, count: 2, retryAfter: 7, latencyMs: 0, drop: false, remaining: 2 }]);

    for (const n of [1, 2]) {
      const response = await postBatch(collector, [message(n)]);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect((await response.json()).error).toBe('injected fault: status 503');
    }
    const ok = await postBatch(collector, [message(1)]);
    expect(ok.status).toBe(200);
    expect(collector.store.events().map((event) => event.messageId)).toEqual([ulid(1)]);
    expect(collector.store.requests().map((request) => [request.status, request.count, request.accepted])).toEqual([
      [503, 1, 0],
      [503, 1, 0],
      [200, 1, 1],
    ]);
    expect(readLines(collector.store.file)).toHaveLength(1);
  });

  it('queues faults in order and passes an HTTP-date Retry-After through', async () => {
    const collector = await start();
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT';
    collector.fault({ status: 500 });
    collector.fault({ status: 429, retryAfter: date });
    const statuses = [];
    for (const n of [1, 2, 3]) {
      const response = await postBatch(collector, [message(n)]);
      statuses.push([response.status, response.headers.get('retry-after')]);
    }
    expect(statuses).toEqual([
      [500, null],
      [429, date],
      [200, null],
    ]);
  });

  it('drops the connection without an answer, recording status 0', async () => {
    const collector = await start();
    collector.fault({ drop: true });
    await expect(postBatch(collector, [message(1)])).rejects.toThrow(TypeError);
    expect(collector.store.events()).toEqual([]);
    // What it carried is recorded all the same: a retry of it can be told by its messageId.
    expect(collector.store.requests()).toMatchObject([{ status: 0, count: 1, accepted: 0, fault: { drop: true }, carried: [{ messageId: ulid(1) }] }]);
    expect((await postBatch(collector, [message(1)])).status).toBe(200);
  });

  it('delays a batch by latencyMs, then processes it normally', async () => {
    const collector = await start();
    collector.fault({ latencyMs: 300 });
    const started = performance.now();
    const response = await postBatch(collector, [message(1)]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(response.status).toBe(200);
    expect(collector.store.events()).toHaveLength(1);
  });

  it('delays, then fails, when latencyMs and status are both set', async () => {
    const collector = await start();
    collector.fault({ latencyMs: 200, status: 502 });
    const started = performance.now();
    const response = await postBatch(collector, [message(1)]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(response.status).toBe(502);
    expect(collector.store.events()).toEqual([]);
  });

  it('DELETE /admin/faults (and clearFaults) remove pending faults', async () => {
    const collector = await start();
    await addFault(collector, { status: 503, count: 5 });
    expect((await (await fetch(`${collector.url}/admin/faults`)).json()).pending).toHaveLength(1);
    expect((await fetch(`${collector.url}/admin/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await postBatch(collector, [message(1)])).status).toBe(200);

    collector.fault({ status: 503 });
    collector.clearFaults();
    expect((await postBatch(collector, [message(2)])).status).toBe(200);
  });

  it.each([
    [{}, /at least one of status, latencyMs or drop/],
    [{ status: 99 }, /status must be an HTTP status code/],
    [{ status: 503, count: 0 }, /count must be a positive integer/],
    [{ retryAfter: 5 }, /give status too/],
    [{ drop: 'yes' }, /drop must be a boolean/],
    [{ stauts: 503 }, /unknown fault field\(s\) stauts/],
  ])('refuses the fault %j with a reason', async (spec, reason) => {
    const collector = await start();
    const response = await addFault(collector, spec);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(reason);
    expect(() => collector.fault(spec)).toThrow(reason);
  });
});

// ---------------------------------------------------------------- live view

describe('live view', () => {
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

  it('GET /api/events returns what is stored, in order, with failed requests', async () => {
    const collector = await start();
    await postBatch(collector, [message(1), message(1)]);
    await post(collector, 'nope');
    const snapshot = await (await fetch(`${collector.url}/api/events`)).json();
    expect(snapshot.seq).toBe(3);
    expect(snapshot.counts).toEqual({ events: 1, requests: 2, duplicates: 1, rejected: 0 });
    expect(snapshot.entries.map((entry) => entry.kind)).toEqual(['accepted', 'duplicate', 'request']);
    expect(snapshot.entries[2].request.status).toBe(400);
    expect(snapshot.entries[2].reason).toMatch(/not valid JSON/);
  });

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
});

// ---------------------------------------------------------------- static files and demo site

describe('static files', () => {
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

  it('serves demo pages with the snippet, its site id and /track.js, and a link to the live view', async () => {
    const root = fixtureRoot();
    const collector = await start({ root });
    const file = join(root, 'snippet', 'snippet.min.js');
    const pages = {
      '/': renderSnippet({ siteId: DEMO_SITE_ID, src: '/track.js', file }),
      '/products': renderSnippet({ siteId: DEMO_SITE_ID, src: '/track.js', file }),
      '/no-auto': renderSnippet({ siteId: DEMO_SITE_ID, src: '/track.js', attrs: { 'data-auto-track-page': 'false' }, file }),
    };
    for (const [path, snippet] of Object.entries(pages)) {
      const response = await fetch(collector.url + path);
      expect(response.status).toBe(200);
      const html = await response.text();
      const head = html.slice(0, html.indexOf('</head>'));
      expect(head).toContain(`<script>\n${snippet}\n  </script>`);
      expect(html).toContain('href="/live"');
      // The "Received by the collector" panel, fed by the live view's shared script.
      expect(html).toContain('<div id="received-entries" data-max-rows="20"></div>');
      expect(html.indexOf('<script src="/assets/events-view.js"></script>')).toBeGreaterThan(-1);
      expect(html.indexOf('<script src="/assets/events-view.js"></script>')).toBeLessThan(html.indexOf('<script src="/assets/demo.js"></script>'));
    }
    expect(pages['/no-auto']).toContain('script.setAttribute("data-auto-track-page","false")');
    const home = await (await fetch(`${collector.url}/`)).text();
    expect(home).toContain('{ useArrayParams: false }');
    expect(home).toContain('_cio.identify({ id: form.get(\'id\'), email: form.get(\'email\') })');
    expect(home).toContain('href="/products?category=shoes&amp;color=red&amp;color=blue&amp;utm_source=demo&amp;utm_campaign=launch"');
    expect(await (await fetch(`${collector.url}/no-auto`)).text()).toContain('() => _cio.page()');
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

  it('says to build when the snippet is missing', async () => {
    const root = fixtureRoot();
    rmSync(join(root, 'snippet', 'snippet.min.js'));
    const collector = await start({ root });
    const response = await fetch(`${collector.url}/`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('run `npm run build`');
  });
});

// ---------------------------------------------------------------- snippet renderer

describe('renderSnippet', () => {
  /** Runs a rendered snippet against a minimal DOM; returns the `_cio` stub and the inserted <script>. */
  function runSnippet(code) {
    const inserted = [];
    const element = (tagName) => ({ tagName, attributes: {}, setAttribute(name, value) { this.attributes[name] = value; } });
    const document = {
      createElement: element,
      getElementsByTagName: () => [],
      head: { appendChild: (node) => inserted.push(node) },
    };
    const window = {};
    vm.runInNewContext(code, { window, document });
    expect(inserted).toHaveLength(1);
    return { cio: window._cio, script: inserted[0] };
  }

  const realMin = existsSync(SNIPPET_MIN) ? [['snippet/snippet.min.js', SNIPPET_MIN]] : [];
  const variants = () => {
    const dir = tempDir();
    const minified = existsSync(SNIPPET_MIN) ? readFileSync(SNIPPET_MIN, 'utf8') : null;
    const files = [['snippet/snippet.js (readable)', SNIPPET_SOURCE], ...realMin];
    if (minified) {
      // terser may pick single quotes one day: the renderer must not care.
      writeFileSync(join(dir, 'single.js'), minified.replaceAll('"', "'"));
      files.push(['minified with single quotes', join(dir, 'single.js')]);
    }
    return files;
  };

  it('sets the site id, src and extra attributes, keeping the stub working, in every shape of the snippet', () => {
    for (const [label, file] of variants()) {
      const { cio, script } = runSnippet(renderSnippet({ siteId: 'site-42', src: 'https://cdn.example/track.js', attrs: { 'data-auto-track-page': 'false', 'data-debug': true }, file }));
      expect(script.attributes, label).toEqual({
        'data-site-id': 'site-42',
        'data-use-array-params': 'true',
        'data-auto-track-page': 'false',
        'data-debug': 'true',
      });
      expect(script.src, label).toBe('https://cdn.example/track.js');
      expect(script.id, label).toBe('cio-tracker');
      expect(script.async, label).toBe(true);
      cio.track('clicked', { a: 1 });
      expect(Array.from(cio), label).toEqual([['track', 'clicked', { a: 1 }]]);
    }
  });

  it('defaults src to /track.js and can leave attributes out with null', () => {
    for (const [label, file] of variants()) {
      const { script } = runSnippet(renderSnippet({ siteId: null, attrs: { 'data-use-array-params': null }, file }));
      expect(script.attributes, label).toEqual({});
      expect(script.src, label).toBe('/track.js');
      const { script: overridden } = runSnippet(renderSnippet({ siteId: 's', attrs: { 'data-use-array-params': 'false' }, file }));
      expect(overridden.attributes, label).toEqual({ 'data-site-id': 's', 'data-use-array-params': 'false' });
    }
  });

  it('cannot be broken out of its <script> by a value', () => {
    const hostile = '</script><script>alert(1)</script>';
    const code = renderSnippet({ siteId: hostile, file: SNIPPET_SOURCE });
    expect(code).not.toMatch(/<\/script/i);
    expect(runSnippet(code).script.attributes['data-site-id']).toBe(hostile);
  });

  it('says what to do when the file is missing or no longer has the placeholders', () => {
    const dir = tempDir();
    expect(() => renderSnippet({ siteId: 's', file: join(dir, 'snippet.min.js') })).toThrow(/not found: run `npm run build`/);
    writeFileSync(join(dir, 'changed.js'), 'var s = document.createElement("script"); s.dataset.siteId = "YOUR_SITE_ID";');
    expect(() => renderSnippet({ siteId: 's', file: join(dir, 'changed.js') })).toThrow(/update collector\/snippet\.mjs/);
  });
});

// ---------------------------------------------------------------- start, stop and the CLI

describe('startCollector and the CLI', () => {
  it('rejects with EADDRINUSE when the port is taken', async () => {
    const collector = await start();
    await expect(startCollector({ port: collector.port, root: fixtureRoot(), dataDir: tempDir() })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  /** Runs collector/cli.mjs; resolves with its output once `ready(stdout)` holds or it exits. */
  function runCli(env, ready = () => false) {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'collector', 'cli.mjs')], {
      env: { ...process.env, CIO_DATA_DIR: tempDir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.exitCode === null && child.kill('SIGKILL'));
    const output = { stdout: '', stderr: '', child };
    output.exited = new Promise((done) => child.on('exit', (code) => done(code)));
    return new Promise((done) => {
      child.stdout.on('data', (chunk) => {
        output.stdout += chunk;
        if (ready(output.stdout)) done(output);
      });
      child.stderr.on('data', (chunk) => (output.stderr += chunk));
      output.exited.then(() => done(output));
    });
  }

  it('prints the URLs, logs each batch in one line and stops cleanly on SIGINT', async () => {
    const cli = await runCli({ PORT: '0' }, (stdout) => stdout.includes('Press Ctrl-C'));
    const base = /Demo site: {2}(http:\/\/localhost:\d+)\//.exec(cli.stdout)?.[1];
    expect(base).toBeDefined();
    expect(cli.stdout).toContain(`Live view:  ${base}/live`);
    expect(cli.stdout).toContain(`Ingestion:  POST ${base}/v1/batch`);

    const url = base.replace('localhost', '127.0.0.1');
    const response = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(envelope([message(1), message(1)])) });
    expect(response.status).toBe(200);
    await expect.poll(() => cli.stdout).toMatch(/POST \/v1\/batch 200 {2}site-1 {2}2 messages: 1 accepted, 1 duplicates, 0 rejected/);

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout).toContain('Stopped.');
  });

  it('explains what to do when the port is taken', async () => {
    const collector = await start();
    const cli = await runCli({ PORT: String(collector.port) });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr).toContain(`Port ${collector.port} is already in use`);
    expect(cli.stderr).toContain(`PORT=${collector.port + 1} npm start`);
  });
});
