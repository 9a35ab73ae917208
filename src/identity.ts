import { ulid } from './id';
import type { KeyValue } from './storage';

/** README "Identity": cookie names shared with the classic Customer.io snippet. */
const ANONYMOUS = '_cioanonid';
const USER = '_cioid';

export interface Identity {
  anonymousId(): string;
  /** The user's ID. (Not `userId`: that name stays whole in the bundle, for the wire format; this one is shortened.) */
  user(): string | undefined;
  setUser(id: string): void;
  /** Forgets the user and starts a new anonymous ID. */
  reset(): void;
  /**
   * Another tab set localStorage `key` to `value` (the storage event; `key`
   * null when it cleared localStorage, and left out when every key may have changed).
   */
  heard(key?: string | null, value?: string | null): void;
}

/** What a withdrawal of consent deletes. */
export const IDENTITY_NAMES = [ANONYMOUS, USER];

/**
 * Who the visitor is, kept in every store that works (cookies first, then
 * localStorage) and in memory, which is what calls read: a cookie read costs
 * several µs, too much for every `track()`. The caller passes on what
 * another tab changed.
 */
export const createIdentity = (stores: KeyValue[]): Identity => {
  /**
   * Whether a store is known to hold the last write (it held the value already, or it is
   * localStorage and took it: a cookie write is not read back). Then what the stores lack is
   * gone, not kept from memory.
   */
  let stored = false;
  /** What each store holds for `key`. */
  const read = (key: string) => stores.map((store) => store.get(key));
  const ids: Record<string, string | undefined> = {};
  /**
   * Sets `key` in memory and in each store that does not hold `value` yet,
   * or deletes it where `value` is empty (`held`: what each store holds,
   * when the caller has just read it; a store that could not be read is
   * tried): a cookie write costs a round trip to the browser's cookie
   * store at the next cookie read.
   */
  const write = (key: string, value: string, held = read(key)) => {
    stored = false;
    ids[key] = value || undefined;
    stores.forEach((store, i) => (stored = held[i] === (value || null) || store.set(key, value) || stored));
  };
  const refresh = () => {
    // The first store (the cookie jar, which sibling subdomains share) is the authority while it
    // holds an anonymous ID: a user ID it lacks was deleted there, by a reset perhaps on a sibling
    // subdomain whose localStorage still holds the old one. Without one (cookies blocked, cleared,
    // or expired: Safari keeps script-set cookies 7 days), each ID comes from the first store
    // that holds it, and is written to every store anew, so that the two cookies expire together.
    // With no store working, memory keeps what it had.
    // Each store read once for both IDs (writing one does not change the other).
    const found = IDENTITY_NAMES.map(read);
    const jar = found[0][0];
    IDENTITY_NAMES.forEach((key, i) => {
      const held = found[i];
      const value = (jar ? held[0] : held.find(Boolean)) || (stored ? undefined : ids[key]);
      write(key, value || (key == ANONYMOUS ? ulid() : ''), jar || !value ? held : []);
    });
  };
  refresh();

  return {
    anonymousId: () => ids[ANONYMOUS]!,
    user: () => ids[USER],
    heard(key, value) {
      // The other tab wrote every store: its new value is taken as it is. Re-reading
      // the stores here would find a cookie that has not caught up yet (Firefox
      // brings cookies to other tabs later than their storage events) and copy
      // the old ID back over the new one: a reset undone.
      // A removed anonymous ID (consent withdrawn there: its own event follows)
      // leaves this one as it is, as every message needs one.
      if (key == USER || (key == ANONYMOUS && value)) ids[key] = value || undefined;
      else if (!key) refresh();
    },
    setUser: (id) => write(USER, id),
    reset() {
      write(USER, '');
      write(ANONYMOUS, ulid());
    },
  };
};
