import type { Events } from './events';
import { encode } from './json';
import { warn } from './log';
import type { KeyValue } from './storage';
import type { Categories, ConsentState } from './types';
import { isObject, safely } from './util';

/** README "Consent": the remembered decision, in the cookie and its localStorage mirror. */
export const CONSENT_KEY = '_cioconsent';
/** A remembered decision is asked again after a year (CNIL: 13 months at most). */
const REMEMBERED = 31536e6;
/** Calls held while pending, at most; then the oldest go. */
const MAX_HELD = 1000;

export interface Decision {
  state: ConsentState;
  categories?: Categories;
}

export type Consent = ReturnType<typeof createConsent>;

/**
 * Whether the visitor agreed, and what waits for it: while pending, every
 * finished-to-be call is held in memory, in order, and run at the grant, or
 * dropped at a denial. Parameters rather than an object of named parts, as
 * for createDelivery: made once, it is then inlined by the minifier.
 */
export function createConsent(
  /** Where the decision is remembered, read in order: the cookie (shared with subdomains), then localStorage. */
  stores: KeyValue[],
  /** The state when nothing is remembered (`data-consent`, or denied by Global Privacy Control). */
  start: ConsentState,
  /** `data-consent-denied="anonymous"`: while denied, calls still go, cookieless. */
  anonymous: boolean | undefined,
  events: Events,
  debug: (...args: unknown[]) => void,
  /** Each change of the decision, here or in another tab, before held calls run and listeners hear it. */
  changed: () => void,
) {
  /** Held calls dropped so far: the first drop warns. */
  let dropped = 0;
  const held: (() => void)[] = [];

  const remembered = () => {
    for (const store of stores) {
      const saved = safely(() => JSON.parse(store.get(CONSENT_KEY)!)) as unknown;
      if (isObject(saved) && /^(granted|denied)$/.test(saved.state as string) && Date.now() - (saved.at as number) < REMEMBERED)
        // The decision without its time: what listeners are given, and what tells a change.
        return { state: saved.state, categories: saved.categories } as Decision;
    }
    return undefined;
  };

  let current: Decision = remembered() || { state: start };
  const take = (decision: Decision) => {
    // The same decision heard again changes nothing.
    if (encode(decision) == encode(current)) return;
    current = decision;
    changed();
    // Held calls run at a grant, and go at a denial.
    for (const finish of held.splice(0)) if (current.state == 'granted') finish();
    events.emit('consent', () => current);
  };

  return {
    // The decision's state and categories. Not named `state` and `categories`: those names stay
    // whole in the bundle (listeners get them), these are shortened.
    stateNow: () => current.state,
    preferences: () => current.categories,
    /**
     * Runs `finish` (the part of a call that needs the visitor's identity)
     * now, at the grant, or never. `identifying` calls (identify, reset)
     * never run in anonymous mode.
     */
    run(finish: () => void, identifying?: boolean) {
      if (current.state == 'granted') finish();
      else if (current.state == 'pending') {
        if (held.push(finish) > MAX_HELD) {
          held.shift();
          if (!dropped++) warn('queue full, dropped');
        }
      }
      // Denied: anonymous mode still runs all but identifying calls.
      else if (anonymous && !identifying) finish();
      else debug('consent denied');
    },
    /** The visitor's decision, remembered for the site's next pages and its other tabs. */
    decide(state: 'granted' | 'denied', categories?: Categories) {
      const value = encode({ state, categories, at: Date.now() })!;
      for (const store of stores) store.set(CONSENT_KEY, value);
      take({ state, categories });
    },
    /** Takes up a decision made meanwhile in another tab, or on a sibling subdomain. */
    // Nothing remembered (storage blocked or cleared) keeps the decision as it is.
    reread: () => take(remembered() || current),
  };
}
