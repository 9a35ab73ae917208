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
}

/**
 * Who the visitor is, kept in every store that works (cookies first, then
 * localStorage), or in memory when none does. Read from the stores on every
 * call rather than cached, so that an identify or reset in another tab is
 * seen here too.
 */
export function createIdentity(stores: KeyValue[]): Identity {
  const memory: Record<string, string | undefined> = {};
  /** Whether a store took the last write: then memory is no authority, the stores are. */
  let stored = false;
  const read = (key: string) => {
    for (const store of stores) {
      const value = store.get(key);
      if (value) return value;
    }
    return stored ? undefined : memory[key];
  };
  const write = (key: string, value: string) => {
    memory[key] = value;
    stored = false;
    for (const store of stores) stored = store.set(key, value) || stored;
  };
  const anonymousId = () => read(ANONYMOUS) || (write(ANONYMOUS, ulid()), memory[ANONYMOUS]!);

  // Copy what one store kept into the others (cookies cleared, or Safari
  // expiring script-set cookies) so the ID survives in all of them.
  write(ANONYMOUS, anonymousId());
  const user = read(USER);
  if (user) write(USER, user);

  return {
    anonymousId,
    userId: () => read(USER),
    setUser: (id) => write(USER, id),
    reset() {
      memory[USER] = undefined;
      for (const store of stores) store.del(USER);
      write(ANONYMOUS, ulid());
    },
  };
}
