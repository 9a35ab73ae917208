import { createApi } from './api';
import { createDelivery } from './delivery';
import { createEvents } from './events';
import { createIdentity, IDENTITY_KEYS } from './identity';
import { debugLogger, warn } from './log';
import { messageBuilder } from './message';
import { createQueue } from './queue';
import { cookieKeyValue, localStore, storageKeyValue } from './storage';
import { createTransport, NativePromise } from './transport';
import type { Cio, Config } from './types';

export type { CallOptions, Cio, Config, DeliveryError, LifecycleEvent, Listener, Message, Traits } from './types';

/**
 * Starts the SDK in `win` and returns its commands: the wiring of identity,
 * message building, queue and delivery. `auto.ts` calls it for the snippet;
 * bundler users call it themselves.
 */
export function init(config: Config, win: Window = window): Cio {
  const events = createEvents();
  const debug = debugLogger(config.debug);
  const local = localStore(win);
  const localKeyValue = storageKeyValue(local);
  const identity = createIdentity([cookieKeyValue(win.document, config.cookieDomain), localKeyValue]);
  // An identify or reset in another tab, heard through the localStorage mirror.
  win.addEventListener('storage', (event) => {
    if (!event.key || IDENTITY_KEYS.test(event.key)) identity.refresh();
  });
  const build = messageBuilder(win, identity);

  // Without a site id, calls are checked and built (so warnings still show) but go nowhere.
  let deliver = (_: string) => {};
  let flush = () => NativePromise.resolve(true);
  if (config.siteId) {
    const queue = createQueue(win, local, config.siteId, () => delivery.flush());
    const delivery = createDelivery(win, queue, createTransport(win), config.endpoint + '/v1/batch', config.siteId, events, debug);
    deliver = delivery.add;
    flush = delivery.flush;
  } else warn('no data-site-id, nothing is sent');

  // After the caller's synchronous set-up (the snippet's replayed calls among it).
  setTimeout(() => events.emit('ready'), 0);

  return createApi(config.keepArrays, identity, build, deliver, flush, events, debug, () => win.location.pathname);
}
