/**
 * The browser's storage, behind a small interface that never throws: cookies
 * and localStorage can each be blocked (privacy settings, sandboxed iframes,
 * a full quota), and every caller falls back to what still works.
 */
export interface KeyValue {
  get(key: string): string | null;
  /** Stores `value`, or deletes the key when it is empty; returns whether that took. */
  set(key: string, value: string): boolean;
}

/** `fn()`, or `fallback` (by default undefined) if it throws. */
export const attempt = <T, F = undefined>(fn: () => T, fallback?: F): T | F => {
  try {
    return fn();
  } catch {
    return fallback as F;
  }
};

/** `localStorage`, or `undefined` where even reading the property throws. */
export const localStore = (win: Window): Storage | undefined => attempt(() => win.localStorage);

export const storageKeyValue = (store: Storage | undefined): KeyValue => ({
  get: (key) => attempt(() => store!.getItem(key), null),
  set: (key, value) =>
    attempt(() => {
      if (value) store!.setItem(key, value);
      else store!.removeItem(key);
      return true;
    }, false),
});

const YEAR = 31536000;

/**
 * First-party cookies, on `domain` (or, when it is empty, on the registrable
 * domain so that subdomains share them: the broadest parent domain the
 * browser accepts a cookie on, as public suffixes like `co.uk` are refused).
 */
export function cookieKeyValue(doc: Document, domain: string): KeyValue {
  const { hostname = '', protocol } = doc.location || ({} as Partial<Location>);
  const write = (key: string, value: string, maxAge: number, on: string) =>
    (doc.cookie =
      key +
      '=' +
      encodeURIComponent(value) +
      ';path=/;max-age=' +
      maxAge +
      ';SameSite=Lax' +
      (protocol == 'https:' ? ';Secure' : '') +
      (on ? ';domain=' + on : ''));
  // Our keys are plain names: nothing in them to escape for the pattern.
  const get = (key: string) =>
    attempt(() => {
      const found = doc.cookie.match('(?:^|; )' + key + '=([^;]*)');
      return found && decodeURIComponent(found[1]);
    }, null);

  let on: string | undefined = domain || undefined;
  const registrable = () => {
    if (on === undefined) {
      on = '';
      const labels = hostname.split('.');
      // IP addresses and single-label hosts (localhost) take host-only cookies.
      if (!/^[\d.]+$|:/.test(hostname))
        for (let i = 2; i <= labels.length && !on; i++) {
          const candidate = labels.slice(-i).join('.');
          write('_cio_probe', '1', 9, candidate);
          if (get('_cio_probe')) {
            on = candidate;
            write('_cio_probe', '', 0, candidate);
          }
        }
    }
    return on;
  };

  return {
    get,
    set: (key, value) =>
      attempt(() => {
        write(key, value, value ? YEAR : 0, registrable());
        return get(key) == (value || null);
      }, false),
  };
}
