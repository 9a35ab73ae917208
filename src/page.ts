/** What the page itself tells: its URL, query parameters, UTM campaign, and whether it is still being parsed. */

/** Query parameters as event data; a repeated key becomes an array of its values. */
export function queryData(search: string): Record<string, string | string[]> {
  // No prototype, so that `?__proto__=x` is just another key.
  const data: Record<string, string | string[]> = Object.create(null);
  new URLSearchParams(search).forEach((value, key) => {
    // `in` is safe here: `data` has no prototype.
    data[key] = key in data ? [data[key], value].flat() : value;
  });
  return data;
}

/** `context.campaign` from the `utm_*` parameters, or `undefined` when there are none. */
export const campaign = (search: string): Record<string, string> | undefined => {
  let found: Record<string, string> | undefined;
  new URLSearchParams(search).forEach((value, key) => {
    // utm_campaign is the campaign's name (nothing captured); the others keep their own.
    const utm = /^utm_(?:campaign|(source|medium|term|content))$/.exec(key);
    if (utm) (found = found || {})[utm[1] ?? 'name'] = value;
  });
  return found;
};

/**
 * `context.page` (README, "What is sent"); the URL prefers `<link rel="canonical">`.
 * `restored`: back from the back/forward cache (left out when false).
 */
export const pageContext = (loc: Location, doc: Document, restored?: boolean) => {
  return {
    path: loc.pathname,
    url: doc.querySelector<HTMLLinkElement>('link[rel=canonical]')?.href || loc.href,
    search: loc.search,
    title: doc.title,
    referrer: doc.referrer,
    restored: restored || undefined,
  };
};

/**
 * Runs `fn` now, or once the document is parsed if it is still loading
 * (adding the same `fn` again while it waits adds nothing).
 */
export const whenParsed = (doc: Document, fn: () => void): void =>
  doc.readyState == 'loading' ? doc.addEventListener('DOMContentLoaded', fn) : fn();
