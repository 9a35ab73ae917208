import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTransport } from '../../src/transport';

const URL_ = 'https://collector.test/v1/batch';
const BODY = '{"writeKey":"k","sentAt":"2025-01-01T00:00:00.000Z","batch":[]}';

/** A window with just what the transport reads. */
const fakeWindow = (fetch?: unknown, sendBeacon?: unknown) =>
  ({ fetch, navigator: { sendBeacon } }) as unknown as Window;

const respond = (status: number, headers: Record<string, string> = {}) =>
  vi.fn(async () => new Response(status == 204 ? null : '{}', { status, headers }));

/** Stands in for navigator.sendBeacon: records what it was handed and answers `accept`. */
function fakeBeacon(accept = true) {
  const sent: { url: string; body: string }[] = [];
  const sendBeacon = vi.fn((url: string, body: string) => {
    sent.push({ url, body });
    return accept;
  });
  return { sent, sendBeacon };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('createTransport: post', () => {
  it('POSTs the body as a string with fetch, keepalive and no credentials', async () => {
    const fetch = respond(200);
    // Bound, it prints as native code: as the browser's own fetch does.
    const transport = createTransport(fakeWindow(fetch.bind(null)));
    await expect(transport.post(URL_, BODY)).resolves.toEqual([200, undefined]);
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe(URL_);
    expect(init).toMatchObject({ method: 'POST', body: BODY, credentials: 'omit', keepalive: true });
    expect(typeof init.body).toBe('string');
    // No headers: a string body goes as text/plain;charset=UTF-8, a simple request without CORS preflight.
    expect(init.headers).toBeUndefined();
    expect(new Request(url, { method: 'POST', body: BODY }).headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(transport.keepsAlive()).toBe(true);
  });

  it("does not count on keepalive with a fetch that is not the browser's own (polyfill, wrapper)", async () => {
    const native = respond(200);
    // A page's wrapper: whether it passes keepalive on can't be told from outside.
    const wrapper = vi.fn(() => native());
    const transport = createTransport(fakeWindow(wrapper));
    await expect(transport.post(URL_, BODY)).resolves.toMatchObject({ 0: 200 });
    expect(transport.keepsAlive()).toBe(false);
    expect(createTransport(fakeWindow(native.bind(null))).keepsAlive()).toBe(true);
  });

  it('gives the status of any answer', async () => {
    for (const status of [204, 400, 429, 503]) {
      await expect(createTransport(fakeWindow(respond(status))).post(URL_, BODY)).resolves.toMatchObject({ 0: status });
    }
  });

  it('reads Retry-After in seconds or as an HTTP date, in ms', async () => {
    const post = (value: string) =>
      createTransport(fakeWindow(respond(429, { 'Retry-After': value }))).post(URL_, BODY);
    expect((await post('7'))[1]).toBe(7000);
    expect((await post('0'))[1]).toBe(0);
    const inTenSeconds = new Date(Date.now() + 10_500).toUTCString();
    const fromDate = (await post(inTenSeconds))[1]!;
    expect(fromDate).toBeGreaterThan(8000);
    expect(fromDate).toBeLessThanOrEqual(10_500);
    expect((await post(new Date(Date.now() - 60_000).toUTCString()))[1]).toBeUndefined();
    expect((await post('soon'))[1]).toBeUndefined();
  });

  it('gives status 0 for a network error or a timeout', async () => {
    const networkError = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(createTransport(fakeWindow(networkError)).post(URL_, BODY)).resolves.toEqual([0]);
    const timeout = vi.fn(async () => {
      throw new DOMException('The operation timed out.', 'TimeoutError');
    });
    await expect(createTransport(fakeWindow(timeout)).post(URL_, BODY)).resolves.toEqual([0]);
  });

  it('falls back to sendBeacon for good when the page broke fetch', async () => {
    const { sent, sendBeacon } = fakeBeacon(true);
    const broken = vi.fn(() => {
      throw new Error('fetch replaced by something broken');
    });
    const transport = createTransport(fakeWindow(broken, sendBeacon));
    await expect(transport.post(URL_, BODY)).resolves.toEqual([200]);
    expect(sent).toEqual([{ url: URL_, body: BODY }]);
    expect(transport.keepsAlive()).toBe(false);
    await transport.post(URL_, BODY);
    expect(broken).toHaveBeenCalledTimes(1);
    expect(sent).toHaveLength(2);
  });

  it('falls back to sendBeacon when a wrapped fetch rejects with something that is not an Error', async () => {
    const { sent, sendBeacon } = fakeBeacon(true);
    const rejections: unknown[] = [undefined, null, 'offline', { get name(): string { throw new Error('no name'); } }];
    for (const reason of rejections) {
      const wrapped = vi.fn(() => Promise.reject(reason));
      await expect(createTransport(fakeWindow(wrapped, sendBeacon)).post(URL_, BODY)).resolves.toEqual([200]);
    }
    expect(sent).toHaveLength(rejections.length);
  });

  it('uses sendBeacon when fetch is missing or answers something that is not a Response', async () => {
    const { sent, sendBeacon } = fakeBeacon(true);
    await expect(createTransport(fakeWindow(undefined, sendBeacon)).post(URL_, BODY)).resolves.toEqual([200]);
    const odd = vi.fn(async () => ({}));
    await expect(createTransport(fakeWindow(odd, sendBeacon)).post(URL_, BODY)).resolves.toEqual([200]);
    expect(sent).toHaveLength(2);
    // A beacon the browser refuses counts as a network error, to be retried.
    const refused = fakeBeacon(false);
    await expect(createTransport(fakeWindow(undefined, refused.sendBeacon)).post(URL_, BODY)).resolves.toEqual([0]);
  });

  it('survives a page that replaced window.Promise', async () => {
    const original = globalThis.Promise;
    const fetch = respond(200);
    try {
      (globalThis as { Promise: unknown }).Promise = function Broken() {
        throw new Error('no promises here');
      };
      const result = createTransport(fakeWindow(fetch)).post(URL_, BODY);
      globalThis.Promise = original;
      await expect(result).resolves.toMatchObject({ 0: 200 });
    } finally {
      globalThis.Promise = original;
    }
  });
});

describe('createTransport: beacon', () => {
  it('hands the body to navigator.sendBeacon and says whether it took it', () => {
    const accept = vi.fn(() => true);
    expect(createTransport(fakeWindow(respond(200), accept)).beacon(URL_, BODY)).toBe(true);
    expect(accept).toHaveBeenCalledWith(URL_, BODY);
    expect(createTransport(fakeWindow(respond(200), () => false)).beacon(URL_, BODY)).toBe(false);
  });

  it('gives undefined when sendBeacon is missing or throws', () => {
    expect(createTransport(fakeWindow(respond(200))).beacon(URL_, BODY)).toBeUndefined();
    const throws = () => {
      throw new TypeError('beacon refused');
    };
    expect(createTransport(fakeWindow(respond(200), throws)).beacon(URL_, BODY)).toBeUndefined();
  });
});
