import type { Identity } from './identity';
import { bytes, encode } from './json';
import { warn } from './log';
import type { MessageType } from './message';
import type { Events } from './events';
import type { CallOptions, Cio } from './types';

/** SPEC §7: a larger message is dropped with a warning. */
export const MAX_MESSAGE = 32 * 1024;

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value == 'object' && !Array.isArray(value);

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

/**
 * The `_cio` commands (SPEC §4): argument checking and normalising, with the
 * message building, identity and delivery supplied by the caller.
 */
export function createApi(
  keepArrays: boolean,
  identity: Identity,
  build: (type: MessageType, fields: Record<string, string>, dataKey: string, dataText: string) => string,
  deliver: (message: string) => void,
  flush: () => Promise<boolean>,
  events: Events,
  debug: (...args: unknown[]) => void,
  pathname: () => string,
): Cio {
  const record = (type: MessageType, fields: Record<string, string>, dataKey: string, data: unknown, asArrays: boolean) => {
    if (data != null && !isObject(data)) {
      warn(type + ': data must be an object', data);
      data = undefined;
    }
    let text: string | undefined;
    try {
      text = encode(data || {}, asArrays, MAX_MESSAGE);
    } catch {
      // The object itself refused to be read (a proxy, a throwing toJSON).
    }
    const message = build(type, fields, dataKey, text && text[0] == '{' ? text : '{}');
    if (bytes(message) > MAX_MESSAGE) {
      // Not sent: the result is falsy.
      return events.drop(0, type + ': over 32 KB, dropped', 1);
    }
    debug(type, fields, data);
    deliver(message);
    return true;
  };

  const keep = (options: unknown) =>
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
      record('track', { event: name }, 'properties', data, keep(options));
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
      record('page', { name: (name || '').trim() || pathname() }, 'properties', data, keep(options));
    }),
    identify,
    sidentify: identify,
    reset: guard(identity.reset),
    on: guard(events.on),
    off: guard(events.off),
    flush: guard(flush),
  } as Cio;
}
