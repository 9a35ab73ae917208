import { resolved, safely } from './util';

/**
 * The browser's storage, behind a small interface that never throws: cookies
 * and localStorage can each be blocked (privacy settings, sandboxed iframes,
 * a full quota), and every caller falls back to what still works.
 */
export interface KeyValue {
  /** The value, `null` when there is none, `undefined` when the store could not be read. */
  get(key: string): string | null | undefined;
  /** Stores `value`, or deletes the key when it is empty; says whether that took where the store tells at once. */
  set(key: string, value: string): boolean | void;
}

/** localStorage, which can also list its keys, and tells whether a write took. */
export interface LocalStore extends KeyValue {
  set(key: string, value: string): boolean;
  keys(): string[];
}

/** `localStorage`: even reading the property throws where storage is blocked. */
export const localStore = (win: Window): LocalStore => {
  const store = safely(() => win.localStorage);
  return {
    get: (key) => safely(() => store!.getItem(key)),
    keys: () =>
      safely(() => {
        const keys: string[] = [];
        for (let i = store!.length; i--; ) keys.push(store!.key(i)!);
        return keys;
      }, []),
    set: (key, value) =>
      safely(() => {
        if (value) store!.setItem(key, value);
        else store!.removeItem(key);
        return true;
      }, false),
  };
};

const YEAR = 31536000;

/**
 * First-party cookies, on `domain` (or, when it is empty, on the registrable
 * domain so that subdomains share them: the broadest parent domain the
 * browser accepts a cookie on, as public suffixes like `co.uk` are refused).
 *
 * A write is not read back, so `set` tells nothing: a read after a write is
 * a round trip to the browser's cookie store (1–3 ms in Chromium on these
 * machines), on the page's load or in the visitor's click. Only the search
 * for the registrable domain reads back, once, what it writes.
 */
export function cookieKeyValue(doc: Document, domain: string): KeyValue {
  const { hostname = '', protocol } = doc.location || ({} as Partial<Location>);
  /**
   * The domain cookies go on: `domain`, or what the first value written finds ('' for none: host-only;
   * while it looks, the one it tries). Null until then, and ever on IP addresses (host-only cookies).
   */
  let on: string | null = domain || null;

  /** An empty value deletes the cookie; others last a year. */
  const write = (key: string, value: string) => {
    jar = undefined;
    doc.cookie =
      key +
      '=' +
      encodeURIComponent(value) +
      ';path=/;max-age=' +
      (value ? YEAR : 0) +
      ';SameSite=Lax' +
      (protocol == 'https:' ? ';Secure' : '') +
      (on ? ';domain=' + on : '');
  };
  /**
   * `document.cookie` as read once in this task: each read is a round trip
   * to the browser's cookie store (in Chromium the first of a page 4–5 ms,
   * later ones up to 1 ms), and a load asks for several keys. After a write
   * of ours the next read asks anew.
   */
  let jar: string | undefined;
  const cookie = () => {
    if (jar == null) {
      jar = doc.cookie;
      resolved.then(() => (jar = undefined));
    }
    return jar;
  };
  // Our keys are plain names: nothing in them to escape for the pattern.
  const get = (key: string) =>
    safely(() => {
      const found = cookie().match('(?:^|; )' + key + '=([^;]*)');
      return found && decodeURIComponent(found[1]);
    });

  return {
    get,
    set: (key, value) =>
      safely(() => {
        // The first value written looks for the registrable domain: the broadest that takes it, as
        // read back. A deletion before that deletes on each candidate, as a read can't tell where a
        // cookie was. IP addresses take host-only cookies: a host name that ends in a digit is an
        // IPv4 address, as no top-level domain ends in one (a punycode label ends in a letter), and
        // an IPv6 one has no dot, like localhost, so there is nothing to search.
        if (on == null && !/\d$/.test(hostname)) {
          const labels = hostname.split('.');
          for (let i = 2; i <= labels.length; i++) {
            on = labels.slice(-i).join('.');
            write(key, value);
            if (value && get(key) == value) return;
          }
          on = value ? '' : null;
        }
        write(key, value);
      }),
  };
}
