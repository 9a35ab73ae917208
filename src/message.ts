import { ulid } from './id';
import type { Identity } from './identity';
import { encode, quote } from './json';
import { campaign, pageContext } from './page';
import { attempt } from './storage';

declare const __VERSION__: string;

export type MessageType = 'track' | 'page' | 'identify';

/** Where the browser has it (Chromium, Firefox); not yet in TypeScript's lib. */
declare const Temporal: { Now: { timeZoneId(): string } };

/**
 * Builds wire messages (SPEC §5) as JSON text. The text is made once, when
 * the call is made, and is what the queue persists and sends: the same
 * messageId and timestamp on every retry, and no re-serialising later.
 */
export function messageBuilder(win: Window, identity: Identity) {
  const nav = win.navigator;
  let timezone: string | undefined;
  let contextKey = '';
  let contextText = '';
  // The context changes only with the URL or title, so its text is reused until they do.
  const context = () => {
    const { location: loc, document: doc, screen } = win;
    const key = loc.href + '\n' + doc.title;
    if (key != contextKey) {
      // Temporal answers at once; Intl's first use costs ~20 ms in Chromium.
      // Where neither works the field is left out.
      if (!contextKey)
        timezone =
          attempt(() => Temporal.Now.timeZoneId()) ||
          attempt(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      contextKey = key;
      contextText = encode({
        library: { name: 'cio-track', version: __VERSION__ },
        page: pageContext(loc, doc),
        userAgent: nav.userAgent,
        locale: nav.language,
        timezone,
        screen: screen && { width: screen.width, height: screen.height },
        campaign: campaign(loc.search),
      })!;
    }
    return contextText;
  };

  /** `fields`: `event`, `name` or `userId` (over the current user's); `dataKey`/`dataText`: `properties` or `traits`, already encoded. */
  return (type: MessageType, fields: Record<string, string>, dataKey: string, dataText: string): string => {
    const now = Date.now();
    // Written out rather than encoded from an object: this runs on every call.
    // The type, ULID and ISO time need no escaping.
    let text =
      '{"type":"' +
      type +
      '","messageId":"' +
      ulid(now) +
      '","timestamp":"' +
      new Date(now).toISOString() +
      '","anonymousId":' +
      quote(identity.anonymousId());
    fields = { userId: identity.userId()!, ...fields };
    for (const key in fields) if (fields[key]) text += ',"' + key + '":' + quote(fields[key]);
    return text + ',"' + dataKey + '":' + dataText + ',"context":' + context() + '}';
  };
}
