import { ulid } from './id';
import type { KeyValue } from './storage';

/** README "Identity": cookie names shared with the classic Customer.io snippet. */
const ANONYMOUS = '_cioanonid';
const USER = '_cioid';

export interface Identity {
  anonymousId(): string;
  userId(): string | undefined;
  setUser(id: string): void;
  /** Forgets the user and starts a new anonymous ID. */
  reset(): void;
  /** Takes up what the stores hold now: another tab may have identified or reset. */
  refresh(): void;
}

/** What a withdrawal of consent deletes. */
export const IDENTITY_NAMES = [ANONYMOUS, USER];

/** Keys whose change in another tab calls for a refresh. */
export const IDENTITY_KEYS = /^_cio(anon)?id$/;

/**
 * Who the visitor is, kept in every store that works (cookies first, then
 * localStorage) and in memory, which is what calls read: a cookie read costs
 * several µs, too much for every `track()`. The caller refreshes memory from
 * the stores when another tab may have changed them.
 */
export function createIdentity(stores: KeyValue[]): Identity {
  const ids: Record<string, string | undefined> = {};
  /** Whether a store took the last write: then the stores, not memory, are the authority. */
  let stored = false;
  /**
   * Sets `key` in memory and in each store that does not hold `value` yet
   * (`held`: what each store holds, when the caller has just read it): a
   * cookie write, and the first one's domain probe, is the costliest thing
   * on a page load.
   */
  const write = (key: string, value: string, held = stores.map((store) => store.get(key))) => {
    ids[key] = value;
    stored = false;
    stores.forEach((store, i) => (stored = held[i] == value || store.set(key, value) || stored));
  };
  const refresh = () => {
    for (const key of IDENTITY_NAMES) {
      // Each store read once: the first that holds the ID wins, the others
      // get a copy (cookies cleared, or Safari expiring script-set cookies).
      // With no store working, memory keeps what it had.
      const held = stores.map((store) => store.get(key));
      const value = held.find(Boolean) || (stored ? undefined : ids[key]);
      if (value || key == ANONYMOUS) write(key, value || ulid(), held);
      else ids[key] = undefined;
    }
  };
  refresh();

  return {
    anonymousId: () => ids[ANONYMOUS]!,
    userId: () => ids[USER],
    setUser: (id) => write(USER, id),
    reset() {
      ids[USER] = undefined;
      for (const store of stores) store.set(USER, '');
      write(ANONYMOUS, ulid());
    },
    refresh,
  };
}
