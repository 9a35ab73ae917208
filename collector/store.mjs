// The collector's memory: accepted messages (durable, in an append-only NDJSON
// file), plus the request, duplicate and rejection history of this process
// (in memory only) and a log of "entries" that feeds the live view.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateMessage } from './validate.mjs';

/**
 * @param {{ dataDir: string }} options
 */
export function createStore({ dataDir }) {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'events.ndjson');

  let events = []; // accepted messages, each { ...message, receivedAt }
  let requests = []; // one record per POST /v1/batch
  let duplicates = []; // messageIds received again
  let rejected = []; // { message, reason }
  let log = []; // live-view entries: { seq, kind, receivedAt, message?, reason?, request? }
  const seen = new Set(); // messageIds of `events`: first one wins
  const listeners = new Set();
  let seq = 0;

  const counts = () => ({ events: events.length, requests: requests.length, duplicates: duplicates.length, rejected: rejected.length });

  const emit = (update) => {
    for (const listener of listeners) listener({ ...update, seq, counts: counts() });
  };

  const addEntries = (entries) => {
    const stamped = entries.map((entry) => ({ seq: ++seq, ...entry }));
    log.push(...stamped);
    return stamped;
  };

  // Reload what earlier runs accepted, so nothing is lost and dedupe holds across restarts.
  const loaded = { events: 0, skipped: 0 };
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
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
      events.push(message);
    }
    loaded.events = events.length;
    addEntries(events.map((message) => ({ kind: 'accepted', receivedAt: message.receivedAt, message })));
    // A cut-short last line must not swallow the next record appended to the file.
    if (text.length && !text.endsWith('\n')) appendFileSync(file, '\n');
  }

  return {
    file,
    /** What was reloaded from the data file on start. */
    loaded,

    // --- Synchronous accessors (copies, so callers cannot corrupt the store). ---
    events: () => events.slice(),
    requests: () => requests.slice(),
    duplicates: () => duplicates.slice(),
    rejected: () => rejected.slice(),
    counts,

    /** Forgets everything, the data file included. */
    clear() {
      events = [];
      requests = [];
      duplicates = [];
      rejected = [];
      log = [];
      seen.clear();
      writeFileSync(file, '');
      emit({ type: 'clear' });
    },

    /**
     * Validates, dedupes and stores the messages of one batch. The data file
     * is written before anything is committed in memory, so a failed write
     * (it throws) leaves the store as it was and the batch can be retried.
     * @param {unknown[]} batch
     * @param {string} receivedAt ISO time of the request
     */
    ingest(batch, receivedAt) {
      const fresh = [];
      const freshIds = new Set();
      const entries = [];
      const errors = [];
      const dupIds = [];
      const rejections = [];
      batch.forEach((message, index) => {
        const reason = validateMessage(message);
        if (reason) {
          rejections.push({ message, reason });
          errors.push({ index, messageId: message?.messageId, reason });
          entries.push({ kind: 'rejected', receivedAt, message, reason });
        } else if (seen.has(message.messageId) || freshIds.has(message.messageId)) {
          dupIds.push(message.messageId);
          entries.push({ kind: 'duplicate', receivedAt, message, reason: 'messageId already received: not stored again' });
        } else {
          const stored = { ...message, receivedAt };
          freshIds.add(message.messageId);
          fresh.push(stored);
          entries.push({ kind: 'accepted', receivedAt, message: stored });
        }
      });
      if (fresh.length) appendFileSync(file, fresh.map((message) => JSON.stringify(message) + '\n').join(''));

      events.push(...fresh);
      for (const id of freshIds) seen.add(id);
      duplicates.push(...dupIds);
      rejected.push(...rejections);
      return { accepted: fresh.length, duplicates: dupIds.length, rejected: rejections.length, errors, entries };
    },

    /**
     * Records one POST /v1/batch and the live-view entries it produced, and
     * tells the subscribers.
     */
    recordRequest(request, entries = []) {
      requests.push(request);
      emit({ type: 'update', request, entries: addEntries(entries) });
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
