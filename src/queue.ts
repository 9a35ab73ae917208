import { ulid } from './id';
import { bytes } from './json';
import { warn } from './log';
import { whenParsed } from './page';
import type { LocalStore } from './storage';
import { MAX_BODY } from './transport';
import { resolved } from './util';

/** A tab whose queue has not been written for this long is taken to be gone (crashed, or killed asleep). */
const LEASE = 5 * 60e3;
/** Every queue key of every site and tab starts so (README, "Several tabs"). */
export const QUEUE_PREFIX = '_cioq_';
/** Bytes (as characters) the queue may hold: a couple of thousand typical events, well inside a 5 MB quota. */
export const QUEUE_CAP = 2e6;

export interface Queue {
  /** How many messages are not yet acknowledged. (A method, not `length`: that name stays whole in the bundle.) */
  held(): number;
  /** The oldest messages not in `skip`, as many as fit in one request with its envelope (at least one, if any). */
  oldest(skip: string[]): string[];
  add(message: string): void;
  /** Forgets these messages: acknowledged, or refused for good. */
  remove(messages: string[]): void;
  /**
   * Writes to storage now. `true` releases the queue to whichever tab loads
   * next, `false` takes it back; by default it stays as it was.
   */
  save(release?: boolean): void;
  /** Forgets every message and deletes our key: consent was withdrawn. */
  clear(): void;
}

/**
 * The messages waiting to be delivered, kept in memory and mirrored to
 * localStorage so they survive the page closing or crashing.
 *
 * Several tabs of a site share localStorage, so each page owns one key,
 * `_cioq_<site>_<page id>`, holding the time it last wrote the key, then its
 * messages, one JSON text per line. A page only ever sends what is in its own
 * key, so two tabs never send the same message. When a page goes away it
 * writes time 0 ("released"); any other tab (told by the `storage` event) or
 * the next page load adopts released keys, and keys not written for LEASE
 * (a crashed tab), into its own key before removing them. A page that comes
 * back (back/forward cache) and finds its key adopted lets go of those
 * messages.
 */
export function createQueue(
  win: Window,
  store: LocalStore,
  site: string,
  /** Called when adopted messages have joined the queue. */
  onAdopt: () => void,
): Queue {
  const prefix = QUEUE_PREFIX + site + '_';
  /** Our key, named by an ID new at each page load. */
  const own = prefix + ulid();
  let wroteAt = 0;
  let heartbeat: ReturnType<typeof setTimeout> | undefined;
  let items: string[] = [];
  let size = 0;
  /** A write is due at the end of the task (write-behind). */
  let due = false;
  /** What our key held after our last write: to notice a tab having adopted it since. */
  let written = '';
  /** Released at pagehide: later writes (write-behind, heartbeat) must keep it so. */
  let released = false;

  /** Forgets the messages `gone` picks. */
  const removeIf = (gone: (message: string) => boolean) => {
    size = 0;
    items = items.filter((m) => !gone(m) && (size += m.length) > 0);
  };

  const save = (release = released) => {
    due = false;
    // Our key gone: adopted by another tab if we had released it or let the
    // lease lapse (those messages are its to send now); otherwise the page
    // cleared localStorage, and we write everything back. (A read that
    // failed, `undefined`, tells nothing.)
    if (written && store.get(own) === null && (released || Date.now() - wroteAt > LEASE))
      removeIf((m) => written.indexOf(m) >= 0);
    released = release;
    const text = items.join('\n');
    wroteAt = Date.now();
    // Blocked or over quota: memory still holds every message, and the next write tries again.
    if (store.set(own, text && (release ? 0 : wroteAt) + '\n' + text)) written = text;
    // Keeps our lease while messages wait, and finds crashed tabs' queues
    // meanwhile. Armed only then: a timer left running for nothing keeps
    // a page's zone.js zone (Angular) from ever becoming stable.
    if (text && !release) heartbeat = heartbeat || setTimeout(beat, LEASE / 5);
    else {
      clearTimeout(heartbeat);
      heartbeat = undefined;
    }
  };

  // Write-behind: a burst of calls costs one write, not one per call. At the
  // end of the task, not on a timer: a background tab's timers are held back
  // (a second or more in Firefox), and such a tab may be closed meanwhile.
  const writeBehind = () => {
    if (!due) {
      due = true;
      resolved.then(() => due && save());
    }
  };

  const beat = () => {
    heartbeat = undefined;
    save();
    adopt();
  };

  const append = (messages: string[]) => {
    let dropped = 0;
    for (const m of messages) {
      size += m.length;
      items.push(m);
    }
    while (size > QUEUE_CAP) {
      size -= items.shift()!.length;
      dropped++;
    }
    if (dropped) warn('queue full, dropped', dropped);
  };

  /** Takes over queues left by closed tabs. */
  const adopt = () => {
    const taken: string[] = [];
    for (const key of store.keys()) {
      const value = key != own && key.indexOf(prefix) == 0 && store.get(key);
      if (value && Date.now() - parseInt(value) > LEASE) {
        append(value.split('\n').slice(1));
        taken.push(key);
      }
    }
    if (taken.length) {
      // Ours first, theirs after: a crash in between duplicates (the server
      // dedupes by messageId) rather than loses.
      save();
      for (const key of taken) store.set(key, '');
      onAdopt();
    }
  };

  // Several tabs loading at once would race for the same released key: a random delay spreads them out.
  const adoptSoon = () => setTimeout(adopt, Math.random() * 500);
  // The scan waits for the page to be parsed: off its critical path (README, "Budgets").
  whenParsed(win.document, adoptSoon);
  win.addEventListener('storage', (event) => {
    // A removed key's null reads as "null", which is no release.
    if (event.key && event.key.indexOf(prefix) == 0 && /^0\n/.test(event.newValue as string)) adoptSoon();
  });

  return {
    add(message) {
      append([message]);
      writeBehind();
    },
    held: () => items.length,
    oldest(skip) {
      // The bytes a request may take, less 100 for its envelope; each message takes its own and a comma's.
      let room = MAX_BODY - 100;
      const skipped = new Set(skip);
      const batch: string[] = [];
      for (const message of items) {
        if (skipped.has(message)) continue;
        room -= bytes(message) + 1;
        if (batch.length && room < 0) break;
        batch.push(message);
      }
      return batch;
    },
    remove(messages) {
      const gone = new Set(messages);
      removeIf((m) => gone.has(m));
      writeBehind();
    },
    save,
    clear() {
      items = [];
      size = 0;
      save();
    },
  };
}
