// @vitest-environment node
// POST /v1/batch (collector/batch.mjs): what is stored and answered, content
// types, the body size limit, beacons, methods and CORS.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../collector/validate.mjs';
import { envelope, message, post, readLines, start, ulid } from './helpers.mjs';

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
    // How it came: what end-to-end tests check where the browser shows them no requests.
    expect(request).toMatchObject({
      method: 'POST',
      url: `${collector.url}/v1/batch`,
      sentAt: JSON.parse(body).sentAt,
      fields: ['writeKey', 'sentAt', 'batch'],
    });
    expect(request.headers['content-type']).toBe('text/plain;charset=UTF-8');
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
