import { ulid } from './id';
import type { KeyValue } from './storage';

/** SPEC §6: cookie names shared with the classic Customer.io snippet. */
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
  const write = (key: string, value: string) => {
    ids[key] = value;
    stored = false;
    // Only where it is not already: a cookie write (and the first one's
    // domain probe) is the costliest thing on a page load.
    for (const store of stores) stored = store.get(key) == value || store.set(key, value) || stored;
  };
  const read = (key: string) => {
    for (const store of stores) {
      const value = store.get(key);
      if (value) return value;
    }
    return undefined;
  };
  const refresh = () => {
    for (const key of [ANONYMOUS, USER]) {
      const value = read(key);
      if (value || stored) ids[key] = value;
    }
    // Copy what one store kept into the others (cookies cleared, or Safari
    // expiring script-set cookies) so the IDs survive in all of them.
    write(ANONYMOUS, ids[ANONYMOUS] || ulid());
    if (ids[USER]) write(USER, ids[USER]!);
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
