import { safely } from './util';

/**
 * HTTP to the ingestion endpoint. Bodies are strings, which fetch and
 * sendBeacon both send as `text/plain;charset=UTF-8`: a "simple" request, so
 * a cross-origin endpoint needs no CORS preflight.
 */

/**
 * The HTTP status, 0 when no response came (network error, timeout), and the
 * milliseconds the server asked us to wait (`Retry-After`), if it did. A
 * tuple rather than an object: `status` is a name the bundle keeps whole.
 */
export type Result = [status: number, retryAfter?: number];

/** keepalive fetches and beacons may carry at most 64 KiB between them. */
export const MAX_BODY = 64000;
const TIMEOUT = 10e3;

const waitFor = (header: string | null): number | undefined => {
  if (header) {
    const ms = isNaN(+header) ? Date.parse(header) - Date.now() : +header * 1e3;
    if (ms >= 0) return ms;
  }
  return undefined;
};

export interface Transport {
  post(url: string, body: string): Promise<Result>;
  /**
   * Hands `body` to the browser to send even as the page goes away; false if it refused,
   * undefined if it could not be asked (sendBeacon missing or throwing).
   */
  beacon(url: string, body: string): boolean | undefined;
  /**
   * Whether requests under way survive the page going away (the browser's own
   * fetch, with keepalive). Not named `keepalive`: that name stays whole in the bundle.
   */
  keepsAlive(): boolean;
}

export function createTransport(win: Window): Transport {
  // False once the page has broken fetch (missing, throwing, answering
  // something that is not a Response, or failing in a way the real one never
  // does): then beacons carry everything, unanswered but delivered.
  let useFetch = typeof win.fetch == 'function';
  const beacon = (url: string, body: string) => safely(() => win.navigator.sendBeacon(url, body));

  return {
    async post(url, body) {
      if (useFetch)
        try {
          // No credentials: the endpoint may answer `Access-Control-Allow-Origin: *`.
          const response = await win.fetch(url, {
            method: 'POST',
            body,
            credentials: 'omit',
            keepalive: true,
            signal: AbortSignal.timeout?.(TIMEOUT),
          });
          if (response instanceof Response) {
            // Read the answer: until then Chromium counts this keepalive
            // request against its 64 KB budget, and later ones fail.
            await response.text();
            return [response.status, waitFor(response.headers.get('Retry-After'))];
          }
        } catch (error) {
          // The real fetch only fails with a TypeError (network) or an abort (our timeout).
          // A page's wrapper may reject with anything, `undefined` or a throwing getter too: a name
          // that can't be read is undefined, which the pattern reads as "undefined" and refuses.
          if (/TypeError|Abort|Timeout/.test(safely(() => (error as Error).name)!)) return [0];
        }
      useFetch = false;
      return [beacon(url, body) ? 200 : 0];
    },
    beacon,
    // Only the browser's own fetch is known to keep a request alive: a polyfill
    // (whatwg-fetch sends by XHR) or a page's wrapper may drop `keepalive`,
    // and then what is under way at unload stays stored, to be sent again.
    keepsAlive: () => useFetch && /\[native code/.test('' + win.fetch),
  };
}
