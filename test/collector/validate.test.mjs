// @vitest-environment node
// The checks of batch bodies and messages (collector/validate.mjs), through
// POST /v1/batch: each problem is refused with a reason that says what was
// expected and what arrived.
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../collector/validate.mjs';
import { envelope, message, post, postBatch, readLines, start, ulid } from './helpers.mjs';

describe('validation', () => {
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

  it('says what to send when the body is not JSON', async () => {
    const collector = await start();
    const response = await post(collector, 'writeKey=site-1');
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/^body is not valid JSON: .*\. Send one JSON object \{writeKey, sentAt, batch\} \(README, "What is sent"\)$/);
  });

  it('accepts a userId of null on anonymous messages', async () => {
    const collector = await start();
    const response = await postBatch(collector, [message(1, { userId: null })]);
    expect(await response.json()).toEqual({ ok: true, accepted: 1, duplicates: 0, rejected: 0 });
  });
});
