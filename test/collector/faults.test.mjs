// @vitest-environment node
// Fault injection (collector/faults.mjs, /admin/faults): scripted statuses,
// Retry-After, dropped connections and latency for the next batch requests.
import { describe, expect, it } from 'vitest';
import { message, postBatch, readLines, start, ulid } from './helpers.mjs';

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
