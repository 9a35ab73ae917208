import { isValid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApi } from '../../src/api';
import { createConsent } from '../../src/consent';
import { createEvents } from '../../src/events';
import { createIdentity } from '../../src/identity';
import { createMessages, MAX_MESSAGE } from '../../src/message';
import { freshWindow, spyWarnings } from './helpers';

/** createApi over real identity (in memory) and message building, with delivery and events faked. */
function setup(keepArrays = false) {
  const win = freshWindow('https://shop.example.com/current/path?x=1');
  const identity = createIdentity([]);
  const delivered: Record<string, any>[] = [];
  const events = createEvents();
  const on = vi.spyOn(events, 'on');
  const off = vi.spyOn(events, 'off');
  const dropped = vi.fn();
  events.on('error', (error) => dropped(error.reason));
  const delivery = {
    add: vi.fn((text: string) => void delivered.push(JSON.parse(text))),
    flush: vi.fn(() => Promise.resolve(true)),
  };
  const debug = vi.fn();
  const deps = {
    keepArrays,
    messages: createMessages(win, () => {}),
    consent: createConsent([], 'granted', false, events, debug, () => {}),
    identity: () => identity,
    delivery: () => delivery,
    flush: delivery.flush,
    events,
    debug,
    defaultName: () => win.location.pathname,
  };
  const api = createApi(
    deps.keepArrays,
    deps.messages,
    deps.consent,
    deps.identity,
    deps.delivery,
    deps.flush,
    deps.events,
    deps.debug,
    deps.defaultName,
  );
  return { api, deps: { ...deps, delivery, on, off, dropped }, identity, delivered };
}

let warnings: ReturnType<typeof spyWarnings>;
beforeEach(() => {
  warnings = spyWarnings();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('track', () => {
  it('sends the event with its name trimmed and its data', () => {
    const { api, delivered } = setup();
    api.track('  Signed Up  ', { plan: 'pro', seats: 3 });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ type: 'track', event: 'Signed Up', properties: { plan: 'pro', seats: 3 } });
    expect(isValid(delivered[0].messageId)).toBe(true);
    expect(warnings.lines()).toEqual([]);
  });

  it.each([[''], ['   '], [42], [null], [undefined], [{ name: 'x' }], [['x']], [Symbol('s')], [() => 'x']])(
    'warns and sends nothing for the name %s',
    (name) => {
      const { api, deps } = setup();
      (api.track as (n: unknown) => void)(name);
      expect(deps.delivery.add).not.toHaveBeenCalled();
      expect(warnings.lines()).toHaveLength(1);
      expect(warnings.lines()[0]).toMatch(/track/);
    },
  );

  it.each([['a string'], [42], [true], [['a', 'b']]])('sends {} with a warning for data %s', (data) => {
    const { api, delivered } = setup();
    (api.track as (n: string, d: unknown) => void)('Event', data);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].properties).toEqual({});
    expect(warnings.lines()).toHaveLength(1);
    expect(warnings.lines()[0]).toMatch(/data/);
  });

  it('sends {} without a warning for no data, null or undefined', () => {
    const { api, delivered } = setup();
    api.track('a');
    api.track('b', undefined);
    (api.track as (n: string, d: unknown) => void)('c', null);
    expect(delivered.map((m) => m.properties)).toEqual([{}, {}, {}]);
    expect(warnings.lines()).toEqual([]);
  });

  it('reshapes arrays by site setting, and options.useArrayParams overrides it both ways', () => {
    const data = { tags: ['a', 'b'], nested: { list: [[1]] } };
    const reshaped = { tags: { 0: 'a', 1: 'b' }, nested: { list: { 0: { 0: 1 } } } };

    const off = setup(false);
    off.api.track('e', data);
    off.api.track('e', data, { useArrayParams: true });
    off.api.track('e', data, { useArrayParams: false });
    expect(off.delivered.map((m) => m.properties)).toEqual([reshaped, data, reshaped]);

    const on = setup(true);
    on.api.track('e', data);
    on.api.track('e', data, { useArrayParams: false });
    on.api.track('e', data, { useArrayParams: true });
    expect(on.delivered.map((m) => m.properties)).toEqual([data, reshaped, data]);
  });

  it('ignores a useArrayParams that is not a boolean', () => {
    const { api, delivered } = setup(false);
    api.track('e', { a: [1] }, { useArrayParams: 'true' as unknown as boolean });
    expect(delivered[0].properties).toEqual({ a: { 0: 1 } });
  });

  it('makes the data JSON-safe', () => {
    const { api, delivered } = setup(true);
    const data: Record<string, unknown> = { when: new Date(0), big: BigInt(7), nan: NaN, fn: () => 1 };
    data.self = data;
    api.track('e', data);
    expect(delivered[0].properties).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      big: '7',
      nan: null,
      self: '[Circular]',
    });
  });
});

describe('page', () => {
  it('defaults the name to location.pathname, without the query', () => {
    const { api, delivered } = setup();
    api.page();
    api.page('');
    api.page('   ', { a: 1 });
    expect(delivered.map((m) => [m.type, m.name])).toEqual([
      ['page', '/current/path'],
      ['page', '/current/path'],
      ['page', '/current/path'],
    ]);
    expect(delivered[2].properties).toEqual({ a: 1 });
  });

  it('trims a given name and sends its data', () => {
    const { api, delivered } = setup();
    api.page('  Home ', { extra: 'more' });
    expect(delivered[0]).toMatchObject({ type: 'page', name: 'Home', properties: { extra: 'more' } });
  });

  it('takes page(data, options) with the name left out', () => {
    const { api, delivered } = setup(false);
    api.page({ section: 'shoes', ids: [1, 2] });
    api.page({ ids: [1, 2] }, { useArrayParams: true } as unknown as Record<string, unknown>);
    expect(delivered[0]).toMatchObject({ name: '/current/path', properties: { section: 'shoes', ids: { 0: 1, 1: 2 } } });
    expect(delivered[1].properties).toEqual({ ids: [1, 2] });
  });

  it('warns for a name that is not a string and uses the path', () => {
    const { api, delivered } = setup();
    (api.page as (n: unknown) => void)(42);
    expect(delivered[0].name).toBe('/current/path');
    expect(warnings.lines()[0]).toMatch(/page/);
  });
});

describe('identify', () => {
  it('takes the classic object form: userId from id, the rest as traits', () => {
    const { api, identity, delivered } = setup();
    api.identify({ id: 'u1', email: 'u1@example.com', created_at: 1700000000, plan: 'pro' });
    expect(identity.user()).toBe('u1');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ type: 'identify', userId: 'u1' });
    expect(delivered[0].traits).toEqual({ email: 'u1@example.com', created_at: 1700000000, plan: 'pro' });
  });

  it('takes identify(id, traits)', () => {
    const { api, delivered } = setup();
    api.identify('u2', { name: 'Ada' });
    expect(delivered[0]).toMatchObject({ type: 'identify', userId: 'u2', traits: { name: 'Ada' } });
  });

  it('takes identify(id) alone, trimmed, with empty traits', () => {
    const { api, delivered } = setup();
    api.identify('  u3  ');
    expect(delivered[0]).toMatchObject({ userId: 'u3', traits: {} });
  });

  it('uses the email as the id when there is no id', () => {
    const { api, identity, delivered } = setup();
    api.identify({ email: 'only@example.com', name: 'O' });
    expect(identity.user()).toBe('only@example.com');
    expect(delivered[0].traits).toEqual({ email: 'only@example.com', name: 'O' });
  });

  it('turns a number id into a string', () => {
    const { api, delivered } = setup();
    api.identify(42);
    api.identify({ id: 7, email: 'seven@example.com' });
    api.identify(0);
    expect(delivered.map((m) => m.userId)).toEqual(['42', '7', '0']);
  });

  it('warns and sends nothing without a usable id and no user yet', () => {
    const { api, deps } = setup();
    for (const bad of [undefined, null, '', '  ', NaN, Infinity, {}, { id: '' }, { plan: 'x' }, true, Symbol('s')])
      (api.identify as (x: unknown) => void)(bad);
    expect(deps.delivery.add).not.toHaveBeenCalled();
    expect(warnings.lines().length).toBeGreaterThanOrEqual(11);
    expect(warnings.lines().every((line) => /identify/.test(line))).toBe(true);
  });

  it('sends traits for the current user when given no id after an identify', () => {
    const { api, delivered } = setup();
    api.identify('u5');
    api.identify({ plan: 'gold' });
    expect(delivered[1]).toMatchObject({ type: 'identify', userId: 'u5', traits: { plan: 'gold' } });
  });

  it('sidentify behaves as identify', () => {
    const { api, identity, delivered } = setup();
    api.sidentify({ id: 'signed', email: 's@example.com' });
    expect(identity.user()).toBe('signed');
    expect(delivered[0]).toMatchObject({ type: 'identify', userId: 'signed', traits: { email: 's@example.com' } });
  });

  it('tags later events with userId while earlier ones keep the same anonymousId', () => {
    const { api, delivered } = setup();
    api.track('before');
    api.identify('u6');
    api.track('after');
    const [before, , after] = delivered;
    expect(before.userId).toBeUndefined();
    expect(after.userId).toBe('u6');
    expect(after.anonymousId).toBe(before.anonymousId);
  });
});

describe('reset', () => {
  it('forgets the user and starts a new anonymous ID', () => {
    const { api, identity, delivered } = setup();
    api.identify('u7');
    api.track('as user');
    api.reset();
    api.track('as new visitor');
    const [, asUser, asNew] = delivered;
    expect(identity.user()).toBeUndefined();
    expect(asNew.userId).toBeUndefined();
    expect(asNew.anonymousId).not.toBe(asUser.anonymousId);
    expect(isValid(asNew.anonymousId)).toBe(true);
  });
});

describe('on, off, flush', () => {
  it('hand over to the deps', async () => {
    const { api, deps } = setup();
    const fn = () => {};
    api.on('sent', fn);
    api.off('sent', fn);
    expect(deps.on).toHaveBeenCalledWith('sent', fn);
    expect(deps.off).toHaveBeenCalledWith('sent', fn);
    await expect(api.flush()).resolves.toBe(true);
    expect(deps.delivery.flush).toHaveBeenCalledTimes(1);
  });
});

describe('message size', () => {
  it('drops a message over 32 KB with a warning and tells `dropped`', () => {
    const { api, deps } = setup();
    api.track('big', { blob: 'x'.repeat(40_000) });
    expect(deps.delivery.add).not.toHaveBeenCalled();
    expect(deps.dropped).toHaveBeenCalledTimes(1);
    expect(deps.dropped.mock.calls[0][0]).toMatch(/32 KB/);
    expect(warnings.lines()).toHaveLength(1);
    expect(warnings.lines()[0]).toMatch(/32 KB/);
  });

  it('drops data of several MB rather than sending it cut short', () => {
    const { api, deps } = setup();
    const huge = Array.from({ length: 200_000 }, (_, i) => ({ i, s: 'some text' }));
    api.track('huge', { huge });
    expect(deps.delivery.add).not.toHaveBeenCalled();
    expect(deps.dropped).toHaveBeenCalledTimes(1);
  });

  it('sends a message just under 32 KB', () => {
    const { api, delivered } = setup();
    api.track('fits', { blob: 'x'.repeat(MAX_MESSAGE - 2000) });
    expect(delivered).toHaveLength(1);
    expect(delivered[0].properties.blob).toHaveLength(MAX_MESSAGE - 2000);
  });

  it('sends a message of non-ASCII text whose UTF-8 size is under 32 KB', () => {
    const { api, delivered } = setup();
    // 13,000 × 'é' is 26,000 bytes of UTF-8.
    api.track('accents', { text: 'é'.repeat(13_000) });
    expect(delivered).toHaveLength(1);
  });

  it('sends every key of nested data well under 32 KB', () => {
    const { api, delivered } = setup(true);
    const product: Record<string, string> = {};
    for (let i = 0; i < 40; i++) product['field' + i] = 'v'.repeat(500);
    api.track('Viewed', { product, currency: 'EUR' });
    expect(delivered).toHaveLength(1);
    expect(delivered[0].properties.currency).toBe('EUR');
    expect(Object.keys(delivered[0].properties.product)).toHaveLength(40);
  });
});

describe('hostile arguments never throw', () => {
  const throwingProxy = () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error('get trap');
        },
        ownKeys() {
          throw new Error('ownKeys trap');
        },
        getOwnPropertyDescriptor() {
          throw new Error('gOPD trap');
        },
        getPrototypeOf() {
          throw new Error('getPrototypeOf trap');
        },
        has() {
          throw new Error('has trap');
        },
      },
    );
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };
  const getterThrows = () => ({
    ok: 1,
    get id(): string {
      throw new Error('id getter');
    },
    get bad(): string {
      throw new Error('bad getter');
    },
  });
  const hostile: [string, () => unknown][] = [
    ['null', () => null],
    ['a symbol', () => Symbol('s')],
    ['a function', () => () => 'x'],
    ['a proxy with throwing traps', throwingProxy],
    ['a revoked proxy', revoked],
    ['an object with throwing getters', getterThrows],
  ];
  const methods = ['track', 'page', 'identify', 'sidentify', 'reset', 'on', 'off', 'flush'] as const;

  it.each(hostile)('every method accepts %s in every position', (_, make) => {
    const { api } = setup();
    for (const method of methods) {
      const fn = api[method] as (...args: unknown[]) => unknown;
      for (const args of [[make()], ['name', make()], ['name', {}, make()], [make(), make(), make()]]) {
        expect(() => fn(...args)).not.toThrow();
      }
    }
    expect(warnings.spy).toHaveBeenCalled();
  });

  it('keeps the readable keys of data with a throwing getter', () => {
    const { api, delivered } = setup();
    api.track('e', getterThrows() as unknown as Record<string, unknown>);
    expect(delivered[0].properties).toEqual({ ok: 1 });
  });

  it('sends {} for data that cannot be read at all', () => {
    const { api, delivered } = setup();
    api.track('e', throwingProxy());
    expect(delivered).toHaveLength(1);
    expect(delivered[0].properties).toEqual({});
  });

  it('catches a failure inside the SDK with a warning', () => {
    const { api, deps } = setup();
    deps.delivery.add.mockImplementation(() => {
      throw new Error('delivery broke');
    });
    expect(() => api.track('e')).not.toThrow();
    expect(warnings.lines().some((line) => line.includes('delivery broke'))).toBe(true);
  });
});
