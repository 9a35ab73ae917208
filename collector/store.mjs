// The collector's memory: accepted messages (durable, in an append-only NDJSON
// file) and, for this process only, the history of batch requests and a log of
// "entries" that feeds the live view. Events, duplicates and rejections are
// read from that log: it is the one record of what each message became.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateMessage } from './validate.mjs';

/**
 * An entry of the log, numbered by `seq`:
 * - `accepted`: `message` as stored (with `receivedAt`);
 * - `duplicate`: `message` as received again, and the `reason` it was not stored;
 * - `rejected`: `message` as received, and the `reason` it is invalid;
 * - `request`: a request that stored nothing (`request`, and its error as `reason`).
 * @typedef {{ seq: number, kind: 'accepted' | 'duplicate' | 'rejected' | 'request', receivedAt: string,
 *   message?: unknown, reason?: string, request?: object }} Entry (a rejected message may be anything)
 */

const DUPLICATE_REASON = 'messageId already received: not stored again';

/**
 * @param {{ dataDir: string }} options
 */
export function createStore({ dataDir }) {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'events.ndjson');

  let requests = []; // one record per POST /v1/batch
  let log = []; // every Entry, in order
  const seen = new Set(); // messageIds of the accepted entries: first one wins
  const listeners = new Set();
  let seq = 0;

  const ofKind = (kind) => log.filter((entry) => entry.kind === kind);
  const events = () => ofKind('accepted').map((entry) => entry.message);
  const counts = () => ({
    events: ofKind('accepted').length,
    requests: requests.length,
    duplicates: ofKind('duplicate').length,
    rejected: ofKind('rejected').length,
  });

  const emit = (update) => {
    for (const listener of listeners) listener({ ...update, seq, counts: counts() });
  };

  const addEntries = (entries) => {
    const stamped = entries.map((entry) => ({ seq: ++seq, ...entry }));
    log.push(...stamped);
    return stamped;
  };

  /** Records one request with the entries it produced, and tells the subscribers. */
  const record = (request, entries) => {
    requests.push(request);
    emit({ type: 'update', request, entries: addEntries(entries) });
  };

  // Reload what earlier runs accepted, so nothing is lost and dedupe holds across restarts.
  const loaded = { events: 0, skipped: 0 };
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const reloaded = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        loaded.skipped++; // e.g. a line cut short when a previous run was killed mid-write
        continue;
      }
      if (seen.has(message.messageId)) continue;
      seen.add(message.messageId);
      reloaded.push({ kind: 'accepted', receivedAt: message.receivedAt, message });
    }
    loaded.events = addEntries(reloaded).length;
    // A cut-short last line must not swallow the next record appended to the file.
    if (text.length && !text.endsWith('\n')) appendFileSync(file, '\n');
  }

  return {
    file,
    /** What was reloaded from the data file on start. */
    loaded,

    // --- Synchronous accessors (copies, so callers cannot corrupt the store). ---
    events,
    requests: () => requests.slice(),
    duplicates: () => ofKind('duplicate').map((entry) => entry.message.messageId),
    rejected: () => ofKind('rejected').map(({ message, reason }) => ({ message, reason })),
    counts,

    /** Forgets everything, the data file included. */
    clear() {
      requests = [];
      log = [];
      seen.clear();
      writeFileSync(file, '');
      emit({ type: 'clear' });
    },

    /**
     * Validates, dedupes and stores the messages of one batch, and records
     * its request with what became of them. The data file is written before
     * anything is committed in memory, so a failed write (it throws) leaves
     * the store as it was and the batch can be retried.
     * @param {unknown[]} batch
     * @param {{ at: number }} request the record of the request (see batch.mjs); it is stored
     *   with the counts `accepted`, `duplicates` and `rejected` added
     * @returns {{ request: object, errors: { index: number, messageId: unknown, reason: string }[] }}
     *   the stored request, and why each rejected message was rejected
     */
    ingest(batch, request) {
      const receivedAt = new Date(request.at).toISOString();
      const fresh = []; // messages to store, each with receivedAt
      const freshIds = new Set();
      const entries = [];
      const errors = [];
      let duplicates = 0;
      batch.forEach((message, index) => {
        const reason = validateMessage(message);
        if (reason) {
          errors.push({ index, messageId: message?.messageId, reason });
          entries.push({ kind: 'rejected', receivedAt, message, reason });
        } else if (seen.has(message.messageId) || freshIds.has(message.messageId)) {
          duplicates++;
          entries.push({ kind: 'duplicate', receivedAt, message, reason: DUPLICATE_REASON });
        } else {
          const stored = { ...message, receivedAt };
          freshIds.add(message.messageId);
          fresh.push(stored);
          entries.push({ kind: 'accepted', receivedAt, message: stored });
        }
      });
      if (fresh.length) appendFileSync(file, fresh.map((message) => JSON.stringify(message) + '\n').join(''));

      for (const id of freshIds) seen.add(id);
      const recorded = { ...request, accepted: fresh.length, duplicates, rejected: errors.length };
      record(recorded, entries);
      return { request: recorded, errors };
    },

    /**
     * Records a request that stored nothing (a malformed body, an injected
     * fault...): `request.error` says why, on a live-view row of its own.
     */
    refuse(request) {
      record(request, [{ kind: 'request', receivedAt: new Date(request.at).toISOString(), reason: request.error, request }]);
    },

    /** Everything the live view shows, for a client that just connected. */
    snapshot: () => ({ seq, counts: counts(), entries: log.slice() }),

    /**
     * Calls `listener({ type: 'update' | 'clear', seq, counts, request?, entries? })` on every change,
     * `seq` being the last entry's number at that moment; returns an unsubscribe function.
     */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
