import { decodeTime, isValid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentity } from '../../src/identity';
import { cookieKeyValue, type KeyValue } from '../../src/storage';
import { asStorage, clearCookies, cookieDocument, localStoreOf, memoryStorage } from './helpers';

const cookieValue = (name: string) => {
  const pair = document.cookie.split('; ').find((p) => p.startsWith(name + '='));
  return pair ? decodeURIComponent(pair.slice(name.length + 1)) : null;
};

/** The stores index.ts uses, on the test's own document and localStorage: a fresh set per "page load". */
const pageStores = (): KeyValue[] => [cookieKeyValue(document, ''), localStoreOf(localStorage)];

beforeEach(() => {
  clearCookies();
  localStorage.clear();
});
afterEach(() => {
  clearCookies();
  localStorage.clear();
});

describe('createIdentity', () => {
  it('makes an anonymous ULID and keeps it in the _cioanonid cookie and localStorage', () => {
    const id = createIdentity(pageStores()).anonymousId();
    expect(isValid(id)).toBe(true);
    expect(Math.abs(decodeTime(id) - Date.now())).toBeLessThan(5000);
    expect(cookieValue('_cioanonid')).toBe(id);
    expect(localStorage.getItem('_cioanonid')).toBe(id);
  });

  it('writes its cookies with path=/, SameSite=Lax and the registrable domain', () => {
    const doc = cookieDocument('www.example.com', 'https:');
    const id = createIdentity([cookieKeyValue(doc, '')]).anonymousId();
    expect(doc.written).toContain(`_cioanonid=${id};path=/;max-age=31536000;SameSite=Lax;Secure;domain=example.com`);
  });

  it('keeps the same anonymous ID across reloads', () => {
    const first = createIdentity(pageStores()).anonymousId();
    const second = createIdentity(pageStores());
    expect(second.anonymousId()).toBe(first);
    expect(createIdentity(pageStores()).anonymousId()).toBe(first);
  });

  it('has no user until setUser, which persists _cioid for later loads', () => {
    const identity = createIdentity(pageStores());
    expect(identity.user()).toBeUndefined();
    identity.setUser('user-7');
    expect(identity.user()).toBe('user-7');
    expect(cookieValue('_cioid')).toBe('user-7');
    expect(localStorage.getItem('_cioid')).toBe('user-7');
    expect(createIdentity(pageStores()).user()).toBe('user-7');
  });

  /** What the storage event tells this tab of `key`, as the other tab left it. */
  const told = (identity: ReturnType<typeof createIdentity>, key: string) => identity.heard(key, localStorage.getItem(key));

  it('sees an identify and a reset made in another tab once told (the storage event)', () => {
    const here = createIdentity(pageStores());
    const there = createIdentity(pageStores());
    there.setUser('from-other-tab');
    told(here, '_cioid');
    expect(here.user()).toBe('from-other-tab');
    there.reset();
    told(here, '_cioid');
    told(here, '_cioanonid');
    expect(here.user()).toBeUndefined();
    expect(here.anonymousId()).toBe(there.anonymousId());
  });

  it('a cookie that has not caught up with a reset in another tab brings no old ID back', () => {
    const stores = pageStores();
    const here = createIdentity(stores);
    const there = createIdentity(pageStores());
    const old = there.anonymousId();
    there.setUser('logged-out');
    told(here, '_cioid');
    there.reset();
    const fresh = there.anonymousId();
    // Firefox: the storage events arrive while this tab's cookies still show the old IDs.
    document.cookie = `_cioanonid=${old};path=/`;
    document.cookie = '_cioid=logged-out;path=/';
    const writes = stores.map((store) => vi.spyOn(store, 'set'));
    told(here, '_cioid');
    told(here, '_cioanonid');
    expect(here.user()).toBeUndefined();
    expect(here.anonymousId()).toBe(fresh);
    // Nothing written back: the other tab's reset stands.
    expect([localStorage.getItem('_cioanonid'), localStorage.getItem('_cioid')]).toEqual([fresh, null]);
    for (const spy of writes) expect(spy).not.toHaveBeenCalled();
  });

  it('an ID removed by a stranger in another tab keeps the anonymous ID; a cleared localStorage is filled again', () => {
    const here = createIdentity(pageStores());
    const anonymous = here.anonymousId();
    here.heard('_cioanonid', null);
    expect(here.anonymousId()).toBe(anonymous);
    localStorage.clear();
    here.heard(null, null);
    expect(here.anonymousId()).toBe(anonymous);
    expect(localStorage.getItem('_cioanonid')).toBe(anonymous);
  });

  it('keeps its IDs in memory between refreshes: no cookie read per call', () => {
    const stores = pageStores();
    const identity = createIdentity(stores);
    identity.setUser('cached');
    const spies = stores.map((store) => vi.spyOn(store, 'get'));
    for (let i = 0; i < 5; i++) expect(identity.user()).toBe('cached');
    identity.anonymousId();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('reset forgets the user everywhere and starts a new anonymous ID', () => {
    const identity = createIdentity(pageStores());
    const before = identity.anonymousId();
    identity.setUser('user-8');
    identity.reset();
    const after = identity.anonymousId();
    expect(after).not.toBe(before);
    expect(isValid(after)).toBe(true);
    expect(identity.user()).toBeUndefined();
    expect(cookieValue('_cioid')).toBeNull();
    expect(localStorage.getItem('_cioid')).toBeNull();
    expect(cookieValue('_cioanonid')).toBe(after);
    const reloaded = createIdentity(pageStores());
    expect(reloaded.anonymousId()).toBe(after);
    expect(reloaded.user()).toBeUndefined();
  });

  it('copies IDs found only in localStorage into the cookies at start', () => {
    localStorage.setItem('_cioanonid', '01HZZZZZZZZZZZZZZZZZZZZZZZ');
    localStorage.setItem('_cioid', 'kept-user');
    const identity = createIdentity(pageStores());
    expect(identity.anonymousId()).toBe('01HZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(cookieValue('_cioanonid')).toBe('01HZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(cookieValue('_cioid')).toBe('kept-user');
  });

  it('copies IDs found only in cookies into localStorage at start', () => {
    document.cookie = '_cioanonid=01HAAAAAAAAAAAAAAAAAAAAAAA;path=/';
    document.cookie = '_cioid=cookie-user;path=/';
    const identity = createIdentity(pageStores());
    expect(identity.anonymousId()).toBe('01HAAAAAAAAAAAAAAAAAAAAAAA');
    expect(identity.user()).toBe('cookie-user');
    expect(localStorage.getItem('_cioanonid')).toBe('01HAAAAAAAAAAAAAAAAAAAAAAA');
    expect(localStorage.getItem('_cioid')).toBe('cookie-user');
  });

  it('takes the cookies as the truth while they hold an anonymous ID: a user reset elsewhere stays out, and its copy goes', async () => {
    // A reset on a sibling subdomain, which shares the cookies but not this localStorage.
    localStorage.setItem('_cioanonid', '01HAAAAAAAAAAAAAAAAAAAAAAA');
    localStorage.setItem('_cioid', 'logged-out');
    document.cookie = '_cioanonid=01HBBBBBBBBBBBBBBBBBBBBBBB;path=/';
    const identity = createIdentity(pageStores());
    expect(identity.anonymousId()).toBe('01HBBBBBBBBBBBBBBBBBBBBBBB');
    expect(identity.user()).toBeUndefined();
    expect([localStorage.getItem('_cioanonid'), localStorage.getItem('_cioid')]).toEqual(['01HBBBBBBBBBBBBBBBBBBBBBBB', null]);
    expect(cookieValue('_cioid')).toBeNull();
    // The same when told every key may have changed (the page shown again, or back from the back/forward cache).
    identity.setUser('second');
    localStorage.setItem('_cioid', 'second');
    document.cookie = '_cioid=;path=/;max-age=0';
    // A later task: cookies are read once per task.
    await Promise.resolve();
    identity.heard();
    expect(identity.user()).toBeUndefined();
    expect(localStorage.getItem('_cioid')).toBeNull();
  });

  it('with the anonymous cookie lost (Safari expires script-set cookies), restores both IDs and rewrites both cookies', () => {
    const doc = cookieDocument('www.example.com', 'https:');
    const store = memoryStorage();
    store.setItem('_cioanonid', '01HCCCCCCCCCCCCCCCCCCCCCCC');
    store.setItem('_cioid', 'kept-user');
    // The user cookie, written later, outlived the anonymous one.
    doc.jar.set('_cioid', 'kept-user');
    const identity = createIdentity([cookieKeyValue(doc, 'example.com'), localStoreOf(asStorage(store))]);
    expect([identity.anonymousId(), identity.user()]).toEqual(['01HCCCCCCCCCCCCCCCCCCCCCCC', 'kept-user']);
    // Both written now, so that they expire together: never a user cookie gone while the anonymous one stays.
    expect(doc.written.map((text) => text.split(';')[0])).toEqual(['_cioanonid=01HCCCCCCCCCCCCCCCCCCCCCCC', '_cioid=kept-user']);
  });

  it('writes no cookie for a user ID that is not there (a reset before any identify)', () => {
    const doc = cookieDocument('www.example.com', 'https:');
    const identity = createIdentity([cookieKeyValue(doc, 'example.com'), localStoreOf(asStorage(memoryStorage()))]);
    identity.reset();
    expect(doc.written.map((text) => text.split('=')[0])).toEqual(['_cioanonid', '_cioanonid']);
  });

  it('falls back to localStorage when cookies are blocked', () => {
    const store = memoryStorage();
    const stores = () => [
      cookieKeyValue(cookieDocument('example.com', 'https:', { blocked: true }), ''),
      localStoreOf(asStorage(store)),
    ];
    const identity = createIdentity(stores());
    const id = identity.anonymousId();
    expect(isValid(id)).toBe(true);
    expect(store.getItem('_cioanonid')).toBe(id);
    identity.setUser('ls-user');
    const reloaded = createIdentity(stores());
    expect(reloaded.anonymousId()).toBe(id);
    expect(reloaded.user()).toBe('ls-user');
  });

  it('keeps its IDs through a re-read when no store keeps them (cookie writes swallowed, localStorage blocked)', async () => {
    const swallowing = cookieDocument('www.example.com', 'https:', { swallowed: true });
    const identity = createIdentity([cookieKeyValue(swallowing, ''), localStoreOf(undefined)]);
    const id = identity.anonymousId();
    identity.setUser('kept');
    // The page shown again: every store re-read, and memory is all there is.
    await Promise.resolve();
    identity.heard();
    expect([identity.anonymousId(), identity.user()]).toEqual([id, 'kept']);
  });

  it('with localStorage blocked, still takes a user the cookies lost for logged out, not memory for the truth', async () => {
    const identity = createIdentity([cookieKeyValue(document, ''), localStoreOf(undefined)]);
    identity.setUser('logged-out');
    expect(cookieValue('_cioid')).toBe('logged-out');
    // A reset on a sibling subdomain: a new anonymous ID, and no user, in the shared cookies.
    document.cookie = '_cioanonid=01HDDDDDDDDDDDDDDDDDDDDDDD;path=/';
    document.cookie = '_cioid=;path=/;max-age=0';
    await Promise.resolve();
    identity.heard();
    expect([identity.anonymousId(), identity.user()]).toEqual(['01HDDDDDDDDDDDDDDDDDDDDDDD', undefined]);
  });

  it('keeps the IDs in memory for the page when cookies and localStorage are both blocked', () => {
    const identity = createIdentity([
      cookieKeyValue(cookieDocument('example.com', 'https:', { blocked: true }), ''),
      localStoreOf(undefined),
    ]);
    const id = identity.anonymousId();
    expect(isValid(id)).toBe(true);
    expect(identity.anonymousId()).toBe(id);
    identity.setUser('memory-user');
    expect(identity.user()).toBe('memory-user');
    expect(identity.anonymousId()).toBe(id);
    identity.reset();
    expect(identity.user()).toBeUndefined();
    expect(identity.anonymousId()).not.toBe(id);
  });
});
