import { ulid } from './id';
import { bytes, encode, quote } from './json';
import { campaign, pageContext } from './page';
import type { Categories } from './types';
import { isoTime, safely } from './util';

declare const __VERSION__: string;

/** What is used of Temporal (Chromium, Firefox), which TypeScript's libraries do not declare yet. */
declare const Temporal: { Now: { timeZoneId(): string } };

export type MessageType = 'track' | 'page' | 'identify';

/** A larger message is dropped with a warning (README, "Delivery"). */
export const MAX_MESSAGE = 32 * 1024;

/**
 * The rest of a message, fixed when the call was made: given who the
 * visitor is, the wire text, or `undefined` when it is over MAX_MESSAGE.
 * Split from the call so that who the visitor is is read when the message
 * is finished (at once today; later where a call must wait).
 */
export type Draft = (anonymousId: string, userId: string | undefined, categories?: Categories) => string | undefined;

/**
 * Builds wire messages (README, "What is sent") as JSON text. The text is
 * made once, when the call is made, and is what the queue persists and
 * sends: the same messageId and timestamp on every retry, and no
 * re-serialising later.
 *
 * `onRestore` is called when the page comes back from the back/forward cache,
 * before its page event can be built: what the page missed meanwhile (a
 * decision or an identity changed in another tab) is read again first.
 */
export const createMessages = (win: Window, onRestore: () => void) => {
  /**
   * Set by a restore from the back/forward cache, until the next page event,
   * whose `context.page.restored` tells it apart from a load (README, "Page views").
   */
  let restored = false;
  let timezone: string | undefined;
  // Set on the first call, as no key is empty.
  let contextText: string;
  let contextKey = '';
  win.addEventListener('pageshow', (event) => {
    restored = (event as PageTransitionEvent).persisted;
    if (restored) onRestore();
  });
  // The context changes only with the URL or title, so its text is reused until they do.
  const context = (restore: boolean) => {
    const { location: loc, document: doc, navigator: nav, screen } = win;
    const key = loc.href + '\n' + doc.title + restore;
    if (key != contextKey) {
      // Read once, from Temporal where the engine has it (0.1 ms): Intl's first use in a
      // page costs 20–60 ms in Chromium, the largest part of our work on load. Where
      // both fail the field is left out.
      if (!contextKey)
        timezone =
          safely(() => Temporal.Now.timeZoneId()) ||
          safely(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      contextKey = key;
      contextText = encode({
        library: { name: 'cio-track', version: __VERSION__ },
        page: pageContext(loc, doc, restore),
        userAgent: nav.userAgent,
        locale: nav.language,
        timezone,
        screen: screen && { width: screen.width, height: screen.height },
        campaign: campaign(loc.search),
      })!;
    }
    return contextText;
  };

  /**
   * `name`: a track's event or a page's name (identify has none); `data`
   * (a track's or page's properties, an identify's traits) the caller has
   * checked is an object, or nothing.
   */
  return (type: MessageType, name: string | undefined, data: Record<string, unknown> | undefined, keepArrays: boolean): Draft => {
    const now = Date.now();
    const restore = type == 'page' && restored;
    if (restore) restored = false;
    // Sent as {} when it is not an object's text: no data (undefined is no text, null is "null"),
    // a toJSON that gives no object, or an object that refuses to be read (a proxy, a throwing toJSON).
    const dataText = safely(() => encode(data, !keepArrays, MAX_MESSAGE));
    // Written out rather than encoded from an object: this runs on every call.
    // The type, ULID and ISO time need no escaping.
    const head = '{"type":"' + type + '","messageId":"' + ulid(now) + '","timestamp":"' + isoTime(now) + '","anonymousId":';
    const body =
      (name ? ',"' + (type == 'track' ? 'event' : 'name') + '":' + quote(name) : '') +
      ',"' + (type != 'identify' ? 'properties' : 'traits') + '":' + (dataText?.[0] == '{' ? dataText : '{}') + ',"context":';
    const contextText = context(restore);
    return (anonymousId, userId, categories) => {
      const text =
        head +
        quote(anonymousId) +
        (userId ? ',"userId":' + quote(userId) : '') +
        body +
        // The consent given is known only when the message is finished (README, "Consent").
        (categories
          ? contextText.slice(0, -1) + ',"consent":{"categoryPreferences":' + encode(categories) + '}}'
          : contextText) +
        '}';
      // A UTF-16 unit is at most 3 bytes of UTF-8: most messages need no count.
      return text.length * 3 > MAX_MESSAGE && bytes(text) > MAX_MESSAGE ? undefined : text;
    };
  };
};
