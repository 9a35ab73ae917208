import { quote } from './json';
import { whenParsed } from './page';
import type { Queue } from './queue';
import type { Transport } from './transport';
import { isoTime, NativePromise, resolved } from './util';
import type { Events } from './events';

/**
 * A message that finds the line quiet goes out at the end of the task it was
 * made in; one that comes while a request is under way, or within BATCH_WAIT
 * after one, waits until this many wait…
 */
const BATCH_COUNT = 20;
/** …or this long after the first of them, whichever comes first. */
const BATCH_WAIT = 1000;
/** Retry delays are drawn at random below min(cap, base × 2^failures) ("full jitter"). */
const BACKOFF_BASE = 1000;
const BACKOFF_CAP = 60e3;

export interface Delivery {
  add(message: string): void;
  /** Sends what waits now; resolves true once the queue is empty, false when it can't be yet. */
  flush(): Promise<boolean>;
}

/**
 * When and how the queue goes out (README, "Delivery"): batching, retries
 * with backoff, pausing while offline, and handing what waits to the browser
 * as the page is hidden or closed. One request is under way at a time, so
 * messages leave in order and a failing endpoint sees one request per
 * backoff step. Parameters rather than an object of named parts: made once,
 * it is then inlined into init by the minifier, which an object's
 * destructuring prevents (50 B gzip, measured).
 */
export function createDelivery(
  win: Window,
  queue: Queue,
  transport: Transport,
  /** The batch endpoint's URL. */
  url: string,
  writeKey: string,
  events: Events,
  debug: (...args: unknown[]) => void,
): Delivery {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let deadline = Infinity;
  /**
   * Between pagehide/freeze and pageshow/resume: the page is closing, or
   * frozen. The queue is released just while it is: each save says so.
   */
  let gone = false;
  /** The batch timer has fired (or a flush asked): send as soon as nothing is under way. */
  let due = false;
  /** A send is due at the end of this task. */
  let soon = false;
  /** Failed requests in a row. */
  let failures = 0;
  let retryAt = 0;
  /** The messages of the request under way: empty when there is none. */
  let inflight: string[] = [];
  /** When the last request ended (none yet: 0, long before any clock reading): the batch window runs on after it. */
  let lastEnded = 0;
  const waiters: ((empty: boolean) => void)[] = [];
  const doc = win.document;

  /**
   * Sends once the page is parsed: not while it is, that is its critical path (README, "Budgets").
   * Run at the end of a task or by the timer, which never fires before a task's end: either way,
   * no end-of-task send is due any more.
   */
  const go = () => {
    soon = false;
    due = true;
    whenParsed(doc, pump);
  };

  /**
   * Closing or going into the back/forward cache (`closing` is then
   * pagehide's event), or frozen (Chromium may then discard the tab without a
   * pagehide): either way other tabs may adopt the queue; a frozen page
   * keeps the request under way in it, as its answer may never be seen.
   */
  const leave = (closing?: unknown) => {
    gone = true;
    handOver(closing);
  };
  /** Back from the back/forward cache, or from frozen: take the queue back (what another tab adopted meanwhile stays with it). */
  const back = () => {
    gone = false;
    queue.save(gone);
    kick();
  };

  /** Fires the timer at time `at`, unless it is already set to fire sooner. */
  const arm = (at: number) => {
    if (at < deadline) {
      clearTimeout(timer);
      deadline = at;
      timer = setTimeout(() => {
        deadline = Infinity;
        go();
      }, at - Date.now());
    }
  };

  const settle = (empty: boolean) => {
    for (const resolve of waiters.splice(0)) resolve(empty);
  };

  const kick = () => {
    // The messages waiting: held, not under way.
    const count = queue.held() - inflight.length;
    if (!count || soon) return;
    // The first message to wait, with nothing under way or just ended (so it
    // is the one message held), goes at the end of the current task, with no
    // timer: the calls made in that task (the snippet's replayed ones, the
    // page view) share one request.
    // So does every message of a hidden page: it may be closed or discarded
    // without notice, and its timers are held back (a second or more in Firefox).
    if (doc.visibilityState == 'hidden' || (Date.now() - lastEnded >= BATCH_WAIT && queue.held() == 1)) {
      soon = true;
      resolved.then(go);
    } else arm(Date.now() + (count >= BATCH_COUNT ? 0 : BATCH_WAIT));
  };

  const body = (batch: string[]) =>
    '{"writeKey":' + quote(writeKey) + ',"sentAt":"' + isoTime(Date.now()) + '","batch":[' + batch + ']}';

  const pump = () => {
    // A flush waiting counts as due: it asked for everything to go now. A
    // page that is gone sends nothing more: its queue is for others to adopt.
    if (!(due || waiters.length) || gone || inflight.length) return;
    if (retryAt > Date.now()) return arm(retryAt);
    // Offline: wait for the `online` event rather than fail and back off.
    if (win.navigator.onLine === false) return settle(false);
    const batch = queue.oldest(inflight);
    if (!batch.length) {
      due = false;
      return settle(true);
    }
    inflight = batch;
    // A backlog larger than one request goes out right after this one.
    due = queue.held() > inflight.length;
    transport.post(url, body(batch)).then(([status, retryAfter]) => {
      inflight = [];
      lastEnded = Date.now();
      debug('POST', url, batch.length, status);
      if (!status || status == 408 || status == 429 || status >= 500) {
        failures++;
        retryAt = Date.now() + (retryAfter ?? Math.random() * Math.min(BACKOFF_CAP, BACKOFF_BASE * 2 ** failures));
        due = true;
        settle(false);
      } else {
        queue.remove(batch);
        // A status is 0 or 200–599 (a Response can't be made with another), so here below 300 is a success.
        if (status < 300) {
          failures = 0;
          events.emit('sent', () => batch.map((text) => JSON.parse(text)));
        } else events.drop(status, 'HTTP ' + status, batch.length);
      }
      pump();
    });
  };

  /**
   * Hands every waiting message to the browser (sendBeacon) and writes what
   * it would not take to storage: released to other tabs and the next page
   * load while the page is `gone` (a page merely hidden keeps it its own).
   * A request already under way with keepalive completes on its own, so
   * when the page is `closing` it is left out of storage too. While the
   * endpoint is failing (a retry is pending), nothing is handed over blind:
   * it all stays stored, to be sent with an answer next time.
   */
  const handOver = (closing?: unknown) => {
    if (!failures) {
      let batch: string[];
      if (win.navigator.onLine !== false)
        while ((batch = queue.oldest(inflight)).length && transport.beacon(url, body(batch))) {
          debug('beacon', url, batch.length);
          queue.remove(batch);
        }
      if (closing && transport.keepsAlive()) queue.remove(inflight);
    }
    queue.save(gone);
  };

  // The browser's page-lifecycle events. `freeze` and `resume` exist only in
  // Chromium; elsewhere a discarded tab says nothing, and the queue's lease
  // lapses instead. A hidden page may never be seen again (mobile browsers
  // kill hidden tabs); after pagehide (Chromium fires it first) the queue is
  // released: keep it so. pagehide's event, truthy, tells leave it is closing.
  // pageshow in the capture phase: before the listeners of the page and of the SDK's own page
  // view, which may have been added first (delivery is made only at the grant when consent was
  // pending), so that the page event of a restore finds the queue taken back, not gone.
  doc.addEventListener('visibilitychange', () => doc.visibilityState == 'hidden' && (gone || handOver()));
  win.addEventListener('pagehide', leave);
  win.addEventListener('pageshow', (event) => (event as PageTransitionEvent).persisted && back(), true);
  doc.addEventListener('freeze', () => leave());
  doc.addEventListener('resume', back);
  win.addEventListener('online', () => {
    due = true;
    retryAt = failures = 0;
    pump();
  });

  const flush = () => {
    const done = new NativePromise<boolean>((resolve) => waiters.push(resolve));
    due = true;
    retryAt = 0;
    pump();
    return done;
  };

  return {
    add(message) {
      queue.add(message);
      // A call from the page's own pagehide handler, after ours: same treatment.
      if (gone) leave(true);
      else kick();
    },
    flush,
  };
}
