import { ulid } from './id';
import type { Identity } from './identity';
import { encode, quote } from './json';
import { campaign, pageContext } from './page';

declare const __VERSION__: string;

export type MessageType = 'track' | 'page' | 'identify';

/**
 * Builds wire messages (SPEC §5) as JSON text. The text is made once, when
 * the call is made, and is what the queue persists and sends: the same
 * messageId and timestamp on every retry, and no re-serialising later.
 */
export function messageBuilder(win: Window, identity: Identity) {
  const nav = win.navigator;
  let timezone: string | undefined;
  try {
    // ~200 µs in Chromium: read once, not per message.
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // Intl missing or broken: the field is left out.
  }
  let contextKey = '';
  let contextText = '';
  // The context changes only with the URL or title, so its text is reused until they do.
  const context = () => {
    const { location: loc, document: doc, screen } = win;
    const key = loc.href + '\n' + doc.title;
    if (key != contextKey) {
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
    const head = encode({
      type,
      messageId: ulid(now),
      timestamp: new Date(now).toISOString(),
      anonymousId: identity.anonymousId(),
      userId: identity.userId(),
      ...fields,
    })!;
    return head.slice(0, -1) + ',' + quote(dataKey) + ':' + dataText + ',"context":' + context() + '}';
  };
}
