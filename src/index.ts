// The queue first, the rest alphabetical: rollup lays modules out in the order they are first
// imported, and this order gzips track.js 10 B smaller with `gzip -9` (the best of 50 tried).
import { createQueue, QUEUE_PREFIX, type Queue } from './queue';
import { createApi } from './api';
import { createConsent, CONSENT_KEY } from './consent';
import { createDelivery, type Delivery } from './delivery';
import { createEvents } from './events';
import { createIdentity, IDENTITY_NAMES, type Identity } from './identity';
import { debugLogger, warn } from './log';
import { createMessages } from './message';
import { cookieKeyValue, localStore } from './storage';
import { createTransport } from './transport';
import type { Cio, Config, ConsentState } from './types';

export type {
  CallOptions,
  Categories,
  Cio,
  CioEvents,
  CioGlobal,
  Config,
  ConsentState,
  DeliveryError,
  Handler,
  LifecycleEvent,
  Message,
  Traits,
} from './types';

/**
 * Starts the SDK in `win` and returns its commands: the wiring of consent,
 * identity, message building, queue and delivery. `auto.ts` calls it for
 * the snippet; bundler users call it themselves.
 */
export function init(config: Config, win: Window = window): Cio {
  const debug = debugLogger(config.debug);
  const site = config.siteId;
  const local = localStore(win);
  const events = createEvents();
  const cookies = cookieKeyValue(win.document, config.cookieDomain);
  // Until the visitor agrees, the SDK writes nothing but the decision itself
  // (and neither identifies the visitor nor sends on request).
  const allowed = () => consent.stateNow() == 'granted';

  let queue: Queue | undefined;
  let delivery: Delivery | undefined;
  let granted: Identity | undefined;
  let anonymous: Identity | undefined;

  if (!site) warn('bad data-site-id');
  /**
   * The queue and its delivery, made once consent lets calls go: stored
   * while granted, in memory only while denied (the gate refuses writes).
   * Without a site id, calls are checked and built (so warnings still show)
   * but go nowhere. Messages adopted from closed tabs go at once: their tab
   * meant to send them long ago. (An async function's promise is the
   * engine's own, whatever the page did to `window.Promise`.)
   */
  const deliver = (): Delivery =>
    (delivery =
      delivery ||
      (site
        ? createDelivery(
            win,
            (queue = createQueue(
              win,
              // The gate: localStorage, writing only while granted, deleting always (README, "Consent").
              { ...local, set: (key, value) => (!value || allowed()) && local.set(key, value) },
              site,
              () => deliver().flush(),
            )),
            createTransport(win),
            config.endpoint + '/v1/batch',
            site,
            events,
            debug,
          )
        : { add() {}, flush: async () => true }));

  /**
   * Granted, the stored identity (a new one after a withdrawal). Its stores need no consent
   * gate: it is made only while granted, and dropped by the wipe in the same step that leaves
   * granted, so it never writes at another time. Anonymous mode: one ID for this page, in
   * memory only; what waits is beaconed at the latest on leaving.
   */
  const identity = () =>
    allowed()
      ? (granted = granted || createIdentity([cookies, local]))
      : (anonymous = anonymous || createIdentity([]));

  /** Denied: the IDs and every tab's queue go, and nothing is written back. */
  const wipe = () => {
    granted = undefined;
    for (const store of [cookies, local]) for (const key of IDENTITY_NAMES) if (store.get(key)) store.set(key, '');
    for (const key of local.keys()) if (key.indexOf(QUEUE_PREFIX) == 0) local.set(key, '');
    queue?.clear();
  };

  /**
   * A decision taken: granted, delivery and the stored identity, both made at once (so
   * delivery exists whenever calls are granted, and the IDs are stored from the grant on);
   * denied, the wipe.
   */
  const follow = () => (allowed() ? (deliver(), identity()) : wipe());
  // The state before any decision: `data-consent`, overruled by Global Privacy Control where the site respects it.
  let start: ConsentState = config.consent || 'granted';
  if (!/^(pending|granted|denied)$/.test(start)) {
    // Never silently granted: the site meant something else.
    warn('bad data-consent', start);
    start = 'pending';
  }
  const consent = createConsent(
    [cookies, local],
    config.respectGpc && (win.navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true ? 'denied' : start,
    config.anonymousWhenDenied,
    events,
    debug,
    follow,
  );
  // A decision made before (or the site's default) applies from the start; pending waits for one.
  if (consent.stateNow() != 'pending') follow();

  win.addEventListener('storage', (event) => {
    // A decision, identify or reset in another tab, heard through the localStorage mirror.
    if (!event.key || event.key == CONSENT_KEY) consent.reread();
    granted?.heard(event.key, event.newValue);
  });
  /**
   * Takes up what changed unheard: a decision, identify or reset on a sibling subdomain reaches
   * only the shared cookies, so look whenever the page is shown or hidden; and back from the
   * back/forward cache, the storage events of the time away were never heard, so every key is
   * taken as changed.
   */
  const look = () => {
    consent.reread();
    granted?.heard();
  };
  win.document.addEventListener('visibilitychange', look);

  // After the caller's synchronous set-up (the snippet's replayed calls among it).
  setTimeout(() => events.emit('ready'));

  return createApi(
    config.keepArrays,
    // Back from the back/forward cache, before the page event of the restore is built. (Not on
    // the pageshow of a load, which tells nothing new: a cookie read costs a millisecond or two.)
    createMessages(win, look),
    consent,
    identity,
    deliver,
    // Nothing is sent on request unless granted (anonymous mode sends at its own pace). An async
    // function's promise is the engine's own, whatever the page did to `window.Promise`.
    async () => allowed() && deliver().flush(),
    events,
    debug,
    () => win.location.pathname,
  );
}
