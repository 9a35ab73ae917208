import type { Delivery } from './delivery';
import type { Events } from './events';
import type { Identity } from './identity';
import { warn } from './log';
import type { createMessages, MessageType } from './message';
import type { CallOptions, Cio } from './types';
import { isObject } from './util';

/** Every public method: no exception from inside the SDK ever reaches the page. */
const guard =
  <A extends unknown[], R>(fn: (...args: A) => R) =>
  (...args: A): R | void => {
    try {
      return fn(...args);
    } catch (error) {
      warn('call failed:', error);
    }
  };

export interface ApiParts {
  /** `data-use-array-params`: the default for calls that don't say. */
  keepArrays: boolean;
  identity: Identity;
  messages: ReturnType<typeof createMessages>;
  delivery: Delivery;
  events: Events;
  debug: (...args: unknown[]) => void;
  /** The page's path: the default page name. */
  pathname: () => string;
}

/**
 * The `_cio` commands (README, "API"): argument checking and normalising,
 * with the message building, identity and delivery supplied by the caller.
 */
export function createApi({ keepArrays, identity, messages, delivery, events, debug, pathname }: ApiParts): Cio {
  /** Builds and hands on one message; returns whether it went (it may be too large). */
  const record = (type: MessageType, fields: Record<string, string>, dataKey: string, data: unknown, keep: boolean) => {
    if (data != null && !isObject(data)) {
      warn(type + ': data must be an object', data);
      data = undefined;
    }
    const message = messages(type, fields, dataKey, data as Record<string, unknown> | undefined, keep)(
      identity.anonymousId(),
      identity.userId(),
    );
    // Not sent: the result is falsy.
    if (!message) return events.drop(0, type + ': over 32 KB, dropped', 1);
    debug(type, fields, data);
    delivery.add(message);
    return true;
  };

  const keepArraysFor = (options: unknown) =>
    isObject(options) && typeof options.useArrayParams == 'boolean' ? options.useArrayParams : keepArrays;

  const identify = guard((idOrTraits: unknown, traits?: unknown) => {
    let id = idOrTraits;
    if (isObject(idOrTraits)) {
      // Classic form: identify({ id, email, created_at, ...traits }).
      const { id: given, ...rest } = idOrTraits;
      id = given == null || given === '' ? idOrTraits.email : given;
      traits = rest;
    }
    if (typeof id == 'number' && isFinite(id)) id = '' + id;
    if (typeof id != 'string' || !(id = id.trim())) {
      // No id given: traits for the person already identified, if any.
      id = identity.userId();
      if (!id) return warn('identify: id missing');
    }
    // The user is kept only if the message goes: an id too large to send must not stick to every later event.
    if (record('identify', { userId: id as string }, 'traits', traits, true)) identity.setUser(id as string);
  }) as Cio['identify'];

  return {
    track: guard((name: string, data?: Record<string, unknown>, options?: CallOptions) => {
      if (typeof name != 'string' || !(name = name.trim()))
        return warn('track: name must be a non-empty string', name);
      record('track', { event: name }, 'properties', data, keepArraysFor(options));
    }),
    page: guard((name?: string | Record<string, unknown>, data?: Record<string, unknown>, options?: CallOptions) => {
      if (isObject(name)) {
        // page(data, options): the name is left out.
        options = data;
        data = name;
        name = undefined;
      }
      if (name != null && typeof name != 'string') {
        warn('page: name must be a string', name);
        name = undefined;
      }
      record('page', { name: (name || '').trim() || pathname() }, 'properties', data, keepArraysFor(options));
    }),
    identify,
    sidentify: identify,
    reset: guard(identity.reset),
    on: guard(events.on),
    off: guard(events.off),
    flush: guard(delivery.flush),
  } as Cio;
}
