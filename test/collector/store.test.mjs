// @vitest-environment node
// The collector's memory (collector/store.mjs): dedupe, the data file across
// restarts, clearing, and the snapshot the live view starts from.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../collector/store.mjs';
import { message, post, postBatch, readLines, start, tempDir, ulid } from './helpers.mjs';

/** The record of a batch request as batch.mjs makes it, before the store adds its counts. */
const batchRequest = (at, count) => ({ at, status: 200, count, accepted: 0, duplicates: 0, rejected: 0, bytes: 100, beacon: false, writeKey: 'site-1' });

describe('ingest and refuse', () => {
  it('ingest records the request with its counts and one entry per message, and the accessors read them back', () => {
    const store = createStore({ dataDir: tempDir() });
    const updates = [];
    store.subscribe((update) => updates.push(update));
    const at = Date.parse('2025-01-02T03:04:06.000Z');
    const bad = message(3, { anonymousId: '' });
    const { request, errors } = store.ingest([message(1), message(1), bad, message(2)], batchRequest(at, 4));

    expect(request).toEqual({ ...batchRequest(at, 4), accepted: 2, duplicates: 1, rejected: 1 });
    expect(errors).toEqual([{ index: 2, messageId: ulid(3), reason: expect.stringMatching(/anonymousId must be a non-empty string/) }]);
    const receivedAt = '2025-01-02T03:04:06.000Z';
    expect(store.events()).toEqual([
      { ...message(1), receivedAt },
      { ...message(2), receivedAt },
    ]);
    expect(store.duplicates()).toEqual([ulid(1)]);
    expect(store.rejected()).toEqual([{ message: bad, reason: errors[0].reason }]);
    expect(store.requests()).toEqual([request]);
    expect(store.counts()).toEqual({ events: 2, requests: 1, duplicates: 1, rejected: 1 });
    expect(readLines(store.file)).toEqual(store.events());

    const { entries } = store.snapshot();
    expect(entries.map((entry) => [entry.seq, entry.kind, entry.message.messageId, entry.receivedAt])).toEqual([
      [1, 'accepted', ulid(1), receivedAt],
      [2, 'duplicate', ulid(1), receivedAt],
      [3, 'rejected', ulid(3), receivedAt],
      [4, 'accepted', ulid(2), receivedAt],
    ]);
    expect(updates).toEqual([{ type: 'update', seq: 4, counts: store.counts(), request, entries }]);

    // The accessors hand out copies: changing them changes nothing stored.
    store.events().pop();
    store.requests().pop();
    expect(store.counts()).toEqual({ events: 2, requests: 1, duplicates: 1, rejected: 1 });
  });

  it('refuse records a request that stored nothing, with a row that says why', () => {
    const store = createStore({ dataDir: tempDir() });
    const at = Date.parse('2025-01-02T03:04:06.000Z');
    const refused = { ...batchRequest(at, 0), status: 400, error: 'body is not valid JSON' };
    store.refuse(refused);
    expect(store.requests()).toEqual([refused]);
    expect(store.events()).toEqual([]);
    expect(store.snapshot()).toEqual({
      seq: 1,
      counts: { events: 0, requests: 1, duplicates: 0, rejected: 0 },
      entries: [{ seq: 1, kind: 'request', receivedAt: '2025-01-02T03:04:06.000Z', reason: 'body is not valid JSON', request: refused }],
    });
  });

  it('keeps nothing of a batch whose data file write fails, so that the same batch can be sent again', () => {
    const store = createStore({ dataDir: tempDir() });
    rmSync(store.file, { force: true });
    mkdirSync(store.file); // appending to a directory fails
    expect(() => store.ingest([message(1)], batchRequest(Date.now(), 1))).toThrow(/EISDIR/);
    expect(store.counts()).toEqual({ events: 0, requests: 0, duplicates: 0, rejected: 0 });

    rmSync(store.file, { recursive: true });
    expect(store.ingest([message(1)], batchRequest(Date.now(), 1)).request).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(readLines(store.file).map((line) => line.messageId)).toEqual([ulid(1)]);
  });
});

describe('dedupe', () => {
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
});

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

describe('snapshot', () => {
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
});
