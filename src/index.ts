import { createApi } from './api';
import { createDelivery, type Delivery } from './delivery';
import { createEvents } from './events';
import { createIdentity, IDENTITY_KEYS } from './identity';
import { debugLogger, warn } from './log';
import { createMessages } from './message';
import { createQueue } from './queue';
import { cookieKeyValue, localStore } from './storage';
import { createTransport } from './transport';
import type { Cio, Config } from './types';
import { NativePromise } from './util';

export type {
  CallOptions,
  Cio,
  CioEvents,
  CioGlobal,
  Config,
  DeliveryError,
  Handler,
  LifecycleEvent,
  Message,
  Traits,
} from './types';

/**
 * Starts the SDK in `win` and returns its commands: the wiring of identity,
 * message building, queue and delivery. `auto.ts` calls it for the snippet;
 * bundler users call it themselves.
 */
export function init(config: Config, win: Window = window): Cio {
  const events = createEvents();
  const debug = debugLogger(config.debug);
  const local = localStore(win);
  const identity = createIdentity([cookieKeyValue(win.document, config.cookieDomain), local]);
  // An identify or reset in another tab, heard through the localStorage mirror.
  win.addEventListener('storage', (event) => {
    if (!event.key || IDENTITY_KEYS.test(event.key)) identity.refresh();
  });
  // Back from the back/forward cache: the storage events of the time away were never heard.
  win.addEventListener('pageshow', (event) => (event as PageTransitionEvent).persisted && identity.refresh());

  // Without a site id, calls are checked and built (so warnings still show) but go nowhere.
  let delivery: Delivery = { add() {}, flush: () => NativePromise.resolve(true) };
  if (config.siteId)
    delivery = createDelivery({
      win,
      queue: createQueue(win, local, config.siteId),
      transport: createTransport(win),
      url: config.endpoint + '/v1/batch',
      writeKey: config.siteId,
      events,
      debug,
    });
  else warn('no data-site-id, nothing is sent');

  // After the caller's synchronous set-up (the snippet's replayed calls among it).
  setTimeout(() => events.emit('ready'), 0);

  return createApi({
    keepArrays: config.keepArrays,
    identity,
    messages: createMessages(win),
    delivery,
    events,
    debug,
    pathname: () => win.location.pathname,
  });
}
