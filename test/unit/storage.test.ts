import { afterEach, describe, expect, it } from 'vitest';
import { cookieKeyValue, localStore } from '../../src/storage';
import { asStorage, clearCookies, cookieDocument, localStoreOf, memoryStorage, quotaError } from './helpers';

afterEach(() => clearCookies());

describe('localStore', () => {
  it('gets, sets and deletes (an empty value) in a Storage', () => {
    const store = memoryStorage();
    const kv = localStoreOf(asStorage(store));
    expect(kv.get('k')).toBeNull();
    expect(kv.set('k', 'v')).toBe(true);
    expect(store.dump()).toEqual({ k: 'v' });
    expect(kv.get('k')).toBe('v');
    expect(kv.set('k', '')).toBe(true);
    expect(store.dump()).toEqual({});
    expect(kv.get('k')).toBeNull();
  });

  it('never throws with no Storage or a failing one', () => {
    const none = localStoreOf(undefined);
    // Unreadable is not the same as missing: a queue must not take it for "adopted by another tab".
    expect(none.get('k')).toBeUndefined();
    expect(none.keys()).toEqual([]);
    expect(none.set('k', 'v')).toBe(false);
    expect(none.set('k', '')).toBe(false);

    const full = memoryStorage();
    full.failSet = quotaError;
    expect(localStoreOf(asStorage(full)).set('k', 'v')).toBe(false);
  });

  it('wraps the window localStorage, and answers nothing when reading it throws', () => {
    localStorage.setItem('_cioq_a', '1');
    expect(localStore(window).keys()).toEqual(['_cioq_a']);
    localStorage.clear();
    const blocked = {} as Window;
    Object.defineProperty(blocked, 'localStorage', {
      get() {
        throw new DOMException('denied', 'SecurityError');
      },
    });
    expect(localStore(blocked).get('k')).toBeUndefined();
    expect(localStore(blocked).set('k', 'v')).toBe(false);
  });
});

describe('cookieKeyValue', () => {
  it('round-trips values in the real document.cookie, encoded', () => {
    const kv = cookieKeyValue(document, '');
    expect(kv.get('_cio_test')).toBeNull();
    kv.set('_cio_test', 'a b;c=d%é');
    expect(kv.get('_cio_test')).toBe('a b;c=d%é');
    expect(document.cookie).toContain('_cio_test=' + encodeURIComponent('a b;c=d%é'));
    kv.set('_cio_test', '');
    expect(kv.get('_cio_test')).toBeNull();
  });

  it('writes path=/, one year, SameSite=Lax and Secure on https', () => {
    const doc = cookieDocument('example.com', 'https:');
    cookieKeyValue(doc, 'example.com').set('_cioanonid', 'ID1');
    expect(doc.written).toEqual(['_cioanonid=ID1;path=/;max-age=31536000;SameSite=Lax;Secure;domain=example.com']);
  });

  it('leaves out Secure on http', () => {
    const doc = cookieDocument('example.com', 'http:');
    cookieKeyValue(doc, 'example.com').set('_cioid', 'u');
    expect(doc.written[0]).toContain(';path=/');
    expect(doc.written[0]).toContain(';SameSite=Lax');
    expect(doc.written[0]).not.toContain('Secure');
  });

  it('finds the registrable domain with the first value written, skipping public suffixes the browser refuses', () => {
    const doc = cookieDocument('www.shop.example.co.uk');
    const kv = cookieKeyValue(doc, '');
    kv.set('_cioanonid', 'ID2');
    // The value itself is the probe: refused on co.uk, taken on example.co.uk, and nothing else written.
    expect(doc.written.map((text) => text.match(/domain=(.*)$/)?.[1])).toEqual(['co.uk', 'example.co.uk']);
    expect(doc.written[1]).toMatch(/^_cioanonid=ID2;/);
    expect([...doc.jar]).toEqual([['_cioanonid', 'ID2']]);
    // Later writes go straight to the domain found.
    kv.set('_cioid', 'u');
    expect(doc.written.slice(2)).toEqual(['_cioid=u;path=/;max-age=31536000;SameSite=Lax;Secure;domain=example.co.uk']);
  });

  it('deletes on every candidate domain while none is found yet, then still finds it', () => {
    const doc = cookieDocument('www.example.com');
    doc.jar.set('_cioanonid', 'OLD');
    const kv = cookieKeyValue(doc, '');
    kv.set('_cioanonid', '');
    expect(doc.jar.has('_cioanonid')).toBe(false);
    // A read can't tell which domain held the cookie: the deletion goes to each, and host-only.
    expect(doc.written.map((text) => text.match(/max-age=0;.*?(?:domain=(.*))?$/)?.[1] ?? 'host-only')).toEqual([
      'example.com',
      'www.example.com',
      'host-only',
    ]);
    kv.set('_cioanonid', 'NEW');
    expect(doc.written.slice(-1)[0]).toMatch(/^_cioanonid=NEW;.*;domain=example\.com$/);
  });

  it('uses host-only cookies on single-label hosts, with nothing to search', () => {
    const doc = cookieDocument('intranet');
    const kv = cookieKeyValue(doc, '');
    kv.set('_cioid', 'u');
    expect(doc.written).toEqual(['_cioid=u;path=/;max-age=31536000;SameSite=Lax;Secure']);
  });

  it('tries each candidate once when no domain keeps a write (a consent manager swallowing cookies), then stops searching', () => {
    const doc = cookieDocument('www.example.com', 'https:', { swallowed: true });
    const kv = cookieKeyValue(doc, '');
    kv.set('_cioanonid', 'ID3');
    // Each candidate tried once, then host-only; later writes go straight to host-only.
    expect(doc.written.map((text) => text.match(/domain=(.*)$/)?.[1] ?? 'host-only')).toEqual(['example.com', 'www.example.com', 'host-only']);
    kv.set('_cioid', 'u');
    expect(doc.written.slice(3).map((text) => text.includes('domain='))).toEqual([false]);
  });

  it('uses host-only cookies on localhost and IP addresses', () => {
    for (const host of ['localhost', '127.0.0.1']) {
      const doc = cookieDocument(host, 'http:');
      const kv = cookieKeyValue(doc, '');
      kv.set('_cioid', 'u');
      expect(doc.written.slice(-1)[0]).not.toContain('domain=');
      expect(kv.get('_cioid')).toBe('u');
    }
  });

  it('never throws when cookies are blocked', () => {
    const kv = cookieKeyValue(cookieDocument('example.com', 'https:', { blocked: true }), '');
    expect(kv.get('_cioid')).toBeUndefined();
    expect(() => kv.set('_cioid', 'u')).not.toThrow();
    expect(() => kv.set('_cioid', '')).not.toThrow();
  });

  it('reads document.cookie once per task, never to check a write, and anew after its own writes and in later tasks', async () => {
    const doc = cookieDocument('example.com', 'https:');
    doc.jar.set('_cioanonid', 'A1');
    let reads = 0;
    const counting = {
      location: doc.location,
      get cookie() {
        reads++;
        return doc.cookie;
      },
      set cookie(text: string) {
        doc.cookie = text;
      },
    } as Document;
    const kv = cookieKeyValue(counting, 'example.com');
    expect([kv.get('_cioconsent'), kv.get('_cioanonid'), kv.get('_cioid')]).toEqual([null, 'A1', null]);
    expect(reads).toBe(1);
    // A write is not read back (only the search for the registrable domain does that): the next
    // read asks anew, and the task then keeps it.
    kv.set('_cioid', 'u');
    kv.set('_cioanonid', 'A1');
    expect(reads).toBe(1);
    expect([kv.get('_cioid'), kv.get('_cioanonid')]).toEqual(['u', 'A1']);
    expect(reads).toBe(2);
    // Another script changes the cookie: a later task sees it.
    doc.jar.set('_cioanonid', 'A2');
    expect(kv.get('_cioanonid')).toBe('A1');
    await Promise.resolve();
    expect(kv.get('_cioanonid')).toBe('A2');
    expect(reads).toBe(3);
  });
});
