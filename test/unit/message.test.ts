import { decodeTime, isValid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentity } from '../../src/identity';
import { createMessages, MAX_MESSAGE, type MessageType } from '../../src/message';
import { freshWindow } from './helpers';
import { ISO_RE } from '../patterns';
import pkg from '../../package.json';

const NOW = Date.UTC(2025, 2, 4, 5, 6, 7, 890);
const URL_ = 'https://shop.example.com/cart?utm_source=news&utm_medium=email&utm_campaign=spring&x=1';

function setup() {
  const win = freshWindow(URL_, { referrer: 'https://ref.example.org/' });
  win.document.title = 'Cart';
  const identity = createIdentity([]);
  const onRestore = vi.fn();
  const messages = createMessages(win, onRestore);
  /** A message finished at once, for the current visitor. */
  const build = (type: MessageType, name: string | undefined, data?: Record<string, unknown>) =>
    messages(type, name, data, false)(identity.anonymousId(), identity.user())!;
  return { win, identity, messages, build, onRestore };
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('createMessages', () => {
  it('builds a track message with every field', () => {
    const { win, identity, build } = setup();
    const text = build('track', 'Added to cart', { sku: 'A1', qty: 2 });
    const m = JSON.parse(text);
    expect(m).toEqual({
      type: 'track',
      event: 'Added to cart',
      messageId: expect.any(String),
      timestamp: '2025-03-04T05:06:07.890Z',
      anonymousId: identity.anonymousId(),
      properties: { sku: 'A1', qty: 2 },
      context: {
        library: { name: 'cio-track', version: pkg.version },
        page: {
          path: '/cart',
          url: URL_,
          search: '?utm_source=news&utm_medium=email&utm_campaign=spring&x=1',
          title: 'Cart',
          referrer: 'https://ref.example.org/',
        },
        userAgent: win.navigator.userAgent,
        locale: win.navigator.language,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        screen: { width: win.screen.width, height: win.screen.height },
        campaign: { source: 'news', medium: 'email', name: 'spring' },
      },
    });
    expect(m.timestamp).toMatch(ISO_RE);
    expect(isValid(m.messageId)).toBe(true);
    expect(decodeTime(m.messageId)).toBe(NOW);
    expect('userId' in m).toBe(false);
  });

  it('adds userId once the user is set, with the same anonymousId', () => {
    const { identity, build } = setup();
    const before = JSON.parse(build('page', '/cart', {}));
    identity.setUser('user-42');
    const after = JSON.parse(build('page', '/cart', {}));
    expect(before.userId).toBeUndefined();
    expect(after.userId).toBe('user-42');
    expect(after.anonymousId).toBe(before.anonymousId);
    expect(after.type).toBe('page');
    expect(after.name).toBe('/cart');
  });

  it('builds an identify message with traits', () => {
    const { identity, build } = setup();
    identity.setUser('u1');
    const m = JSON.parse(build('identify', undefined, { email: 'a@example.com' }));
    expect(m).toMatchObject({ type: 'identify', userId: 'u1', traits: { email: 'a@example.com' } });
    expect(m.properties).toBeUndefined();
  });

  it('makes a new messageId and timestamp per call', () => {
    const { build } = setup();
    const first = JSON.parse(build('track', 'a', {}));
    vi.advanceTimersByTime(1500);
    const second = JSON.parse(build('track', 'a', {}));
    expect(second.messageId).not.toBe(first.messageId);
    expect(Date.parse(second.timestamp) - Date.parse(first.timestamp)).toBe(1500);
    expect(decodeTime(second.messageId)).toBe(NOW + 1500);
  });

  it('marks the first page event after a restore from the back/forward cache, and only that one', () => {
    const { win, build, onRestore } = setup();
    const restoredOf = (type: MessageType) =>
      JSON.parse(build(type, type == 'track' ? 'x' : 'p', {})).context.page.restored;
    expect(restoredOf('page')).toBeUndefined();
    win.dispatchEvent(new win.PageTransitionEvent('pageshow', { persisted: false }));
    expect(restoredOf('page')).toBeUndefined();
    // The pageshow of a load is no restore.
    expect(onRestore).not.toHaveBeenCalled();
    win.dispatchEvent(new win.PageTransitionEvent('pageshow', { persisted: true }));
    expect(onRestore).toHaveBeenCalledTimes(1);
    expect(restoredOf('track')).toBeUndefined();
    expect(restoredOf('page')).toBe(true);
    expect(restoredOf('page')).toBeUndefined();
  });

  it('leaves enumerable additions to Object.prototype out of the message', () => {
    const { build } = setup();
    const proto = Object.prototype as Record<string, unknown>;
    proto.mooExtra = function () {};
    try {
      const m = JSON.parse(build('track', 'x', { a: 1 }));
      expect(m.event).toBe('x');
      expect(m.properties).toEqual({ a: 1 });
      expect(Object.keys(m)).not.toContain('mooExtra');
    } finally {
      delete proto.mooExtra;
    }
  });

  it('follows the page URL and title as they change, and leaves campaign out without utm_*', () => {
    const { win, build } = setup();
    win.history.pushState(null, '', '/checkout?step=2');
    win.document.title = 'Checkout';
    const m = JSON.parse(build('track', 'x', {}));
    expect(m.context.page).toMatchObject({
      path: '/checkout',
      url: 'https://shop.example.com/checkout?step=2',
      search: '?step=2',
      title: 'Checkout',
    });
    expect(m.context.campaign).toBeUndefined();
  });

  it('takes the time zone from Intl, once per page', () => {
    const DateTimeFormat = vi.fn(() => ({ resolvedOptions: () => ({ timeZone: 'Pacific/Chatham' }) }));
    vi.stubGlobal('Intl', { DateTimeFormat });
    const { build } = setup();
    expect(JSON.parse(build('track', 'a', {})).context.timezone).toBe('Pacific/Chatham');
    build('track', 'b', {});
    expect(DateTimeFormat).toHaveBeenCalledTimes(1);
  });

  it('takes the time zone from Temporal where the engine has it, without Intl', () => {
    const DateTimeFormat = vi.fn(() => ({ resolvedOptions: () => ({ timeZone: 'Pacific/Chatham' }) }));
    vi.stubGlobal('Intl', { DateTimeFormat });
    vi.stubGlobal('Temporal', { Now: { timeZoneId: () => 'Asia/Kathmandu' } });
    const { messages, identity } = setup();
    const m = JSON.parse(messages('track', 'a', {}, false)(identity.anonymousId(), undefined)!);
    expect(m.context.timezone).toBe('Asia/Kathmandu');
    expect(DateTimeFormat).not.toHaveBeenCalled();
  });

  it('falls back to Intl when Temporal throws', () => {
    vi.stubGlobal('Intl', { DateTimeFormat: () => ({ resolvedOptions: () => ({ timeZone: 'Pacific/Chatham' }) }) });
    vi.stubGlobal('Temporal', { Now: { timeZoneId: () => { throw new RangeError('no zone'); } } });
    const { build } = setup();
    expect(JSON.parse(build('track', 'a', {})).context.timezone).toBe('Pacific/Chatham');
  });

  it('leaves the time zone out when Intl does not answer', () => {
    vi.stubGlobal('Intl', { DateTimeFormat: () => { throw new Error('broken'); } });
    const { build } = setup();
    const m = JSON.parse(build('track', 'a', {}));
    expect('timezone' in m.context).toBe(false);
    expect(m.context.locale).toBeTruthy();
  });

  it('escapes names so the text always parses', () => {
    const { build } = setup();
    const name = 'quote " backslash \\ newline \n sep \u2028';
    expect(JSON.parse(build('track', name, {})).event).toBe(name);
  });

  it('encodes the data, reshaping arrays unless they are kept', () => {
    const { identity, messages } = setup();
    const finish = (keepArrays: boolean) =>
      JSON.parse(messages('track', 'a', { tags: ['x', 'y'] }, keepArrays)(identity.anonymousId(), undefined)!);
    expect(finish(false).properties).toEqual({ tags: { 0: 'x', 1: 'y' } });
    expect(finish(true).properties).toEqual({ tags: ['x', 'y'] });
  });

  it('sends data that refuses to be read as an empty object', () => {
    const { build } = setup();
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no'); } });
    expect(JSON.parse(build('track', 'a', hostile)).properties).toEqual({});
  });

  it('fixes id, time, data and context at the call, and takes who the visitor is when finished', () => {
    const { win, identity, messages } = setup();
    const draft = messages('track', 'a', { n: 1 }, false);
    vi.advanceTimersByTime(5000);
    win.document.title = 'Later';
    const m = JSON.parse(draft('anon-later', 'user-later')!);
    expect(m).toMatchObject({ anonymousId: 'anon-later', userId: 'user-later', properties: { n: 1 } });
    expect(m.timestamp).toBe(new Date(NOW).toISOString());
    expect(m.context.page.title).toBe('Cart');
    expect(identity.anonymousId()).not.toBe('anon-later');
  });

  it('gives identify the userId it is finished with, its traits, and no name', () => {
    const { messages } = setup();
    const m = JSON.parse(messages('identify', undefined, { plan: 'pro' }, true)('anon', 'new')!);
    expect(m).toMatchObject({ type: 'identify', anonymousId: 'anon', userId: 'new', traits: { plan: 'pro' } });
    expect(m).not.toHaveProperty('properties');
    expect(m).not.toHaveProperty('name');
    expect(m).not.toHaveProperty('event');
  });

  it('finishes nothing over 32 KB (in UTF-8 bytes), and everything up to it', () => {
    const { identity, messages } = setup();
    const size = (pad: string) => {
      const text = messages('track', 'a', { pad }, false)(identity.anonymousId(), undefined);
      return text === undefined ? undefined : new TextEncoder().encode(text).length;
    };
    const overhead = size('')!;
    expect(size('x'.repeat(MAX_MESSAGE - overhead))).toBe(MAX_MESSAGE);
    expect(size('x'.repeat(MAX_MESSAGE - overhead + 1))).toBeUndefined();
    // Three bytes each in UTF-8, one character each in JavaScript.
    expect(size('€'.repeat(Math.ceil((MAX_MESSAGE - overhead) / 3) + 1))).toBeUndefined();
    // Four bytes for two characters (outside the BMP), and up to the limit in bytes.
    expect(size('😀'.repeat(Math.floor((MAX_MESSAGE - overhead) / 4)))).toBeLessThanOrEqual(MAX_MESSAGE);
    expect(size('😀'.repeat(Math.floor((MAX_MESSAGE - overhead) / 4) + 1))).toBeUndefined();
    // At most three bytes for each character: a third of the limit in characters always fits.
    expect(size('€'.repeat(Math.floor(MAX_MESSAGE / 3) - overhead))).toBeDefined();
  });
});
