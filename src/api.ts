import type { Delivery } from './delivery';
import type { Events } from './events';
import type { Identity } from './identity';
import { warn } from './log';
import type { Consent } from './consent';
import type { createMessages, MessageType } from './message';
import type { CallOptions, Categories, Cio } from './types';
import { isObject } from './util';

/** Every public method: no exception from inside the SDK ever reaches the page. */
const guard =
  <A extends unknown[], R>(fn: (...args: A) => R) =>
  (...args: A): R | void => {
    try {
      return fn(...args);
    } catch (error) {
      warn(error);
    }
  };

/**
 * The `_cio` commands (README, "API"): argument checking and normalising.
 * A call's message is built at once (its ID, time, context and data are the
 * call's); who the visitor is is added when consent lets it go.
 * Parameters rather than an object of named parts, as for createDelivery:
 * made once, it is then inlined by the minifier.
 */
export function createApi(
  /** `data-use-array-params`: the default for calls that don't say. */
  keepArrays: boolean,
  messages: ReturnType<typeof createMessages>,
  consent: Consent,
  /** Who the visitor is, under the consent given now. */
  who: () => Identity,
  delivery: () => Delivery,
  flush: () => Promise<boolean>,
  events: Events,
  debug: (...args: unknown[]) => void,
  /** The page's path: the default page name. */
  defaultName: () => string,
): Cio {
  /**
   * Checks a call's data and builds its message. Returns the rest, for consent to run: who the
   * visitor is (`userId`, when identify sets a new user) is added and the message handed on;
   * it returns the message if it went (it may be too large), else undefined.
   */
  const build = (type: MessageType, name: string | undefined, data: unknown, keep: boolean) => {
    if (data != null && !isObject(data)) {
      warn('bad ' + type + ' data', data);
      data = undefined;
    }
    debug(type, name, data);
    const draft = messages(type, name, data as Record<string, unknown> | undefined, keep);
    return (userId?: string) => {
      const identity = who();
      const message = draft(identity.anonymousId(), userId || identity.user(), consent.preferences());
      if (message) delivery().add(message);
      else events.drop(0, type + ' over 32 KB', 1);
      return message;
    };
  };

  const keepArraysFor = (options: unknown) =>
    isObject(options) && typeof options.useArrayParams == 'boolean' ? options.useArrayParams : keepArrays;

  const record = (type: MessageType, name: string, data: unknown, options: unknown) =>
    consent.run(build(type, name, data, keepArraysFor(options)));

  // `id` is the id, or the classic form's object until the id is taken from it.
  const identify = guard((id: unknown, traits?: unknown) => {
    if (isObject(id)) {
      // Classic form: identify({ id, email, created_at, ...traits }).
      const { id: given, ...rest } = id;
      traits = rest;
      // An id left out, null or '' gives way to the email.
      id = (given ?? '') === '' ? id.email : given;
    }
    // A string, or a finite number taken as its text.
    const given = typeof id == 'string' || (typeof id == 'number' && isFinite(id)) ? ('' + id).trim() : '';
    const send = build('identify', undefined, traits, true);
    consent.run(() => {
      const identity = who();
      // No id given: traits for the person already identified, if any.
      const userId = given || identity.user();
      if (!userId) warn('bad identify id');
      // The user is kept only if the message goes: an id too large to send must not stick to every later event.
      else if (send(userId)) identity.setUser(userId);
    }, true);
  }) as Cio['identify'];

  return {
    track: guard((name: string, data?: Record<string, unknown>, options?: CallOptions) => {
      if (typeof name == 'string' && (name = name.trim())) record('track', name, data, options);
      else warn('bad track name', name);
    }),
    page: guard((name?: string | Record<string, unknown>, data?: Record<string, unknown>, options?: CallOptions) => {
      if (isObject(name)) {
        // page(data, options): the name is left out.
        options = data;
        data = name;
        name = '';
      }
      if (typeof name == 'string') name = name.trim();
      else {
        if (name != null) warn('bad page name', name);
        name = '';
      }
      record('page', name || defaultName(), data, options);
    }),
    identify,
    sidentify: identify,
    reset: guard(() => consent.run(() => who().reset(), true)),
    consent: guard((state?: unknown, categories?: unknown) => {
      if (state === 'granted' || state === 'denied') {
        const valid = isObject(categories) && Object.keys(categories).every((key) => typeof categories[key] == 'boolean');
        // A consent manager passing `{ analytics: 1 }` still grants: without categories.
        if (categories !== undefined && !valid) warn('bad consent categories', categories);
        // A copy, of booleans as just checked: the caller may change its object later.
        consent.decide(state, valid ? ({ ...categories } as Categories) : undefined);
      } else if (state !== undefined) warn('bad consent state', state);
      return consent.stateNow();
    }),
    on: guard(events.on),
    off: guard(events.off),
    flush: guard(flush),
  } as Cio;
}
