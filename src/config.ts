import type { ConsentState, LoaderConfig } from './types';

/**
 * README "Configuration": configuration from the loader `<script>`'s attributes. `attr`
 * reads one attribute; `src` is the script's URL, if any (the default endpoint is its
 * origin) and `base` the page URL to resolve relative URLs against.
 */
export function readConfig(attr: (name: string) => string | null | undefined, src: string | undefined, base: string): LoaderConfig {
  const data = (name: string) => attr('data-' + name);
  const is = (name: string, value: string) => data(name) === value;
  return {
    siteId: (data('site-id') || '').trim(),
    keepArrays: is('use-array-params', 'true'),
    autoPage: !is('auto-track-page', 'false'),
    // data-endpoint is used as written: fetch and sendBeacon resolve a relative one against the page.
    endpoint: (data('endpoint') || new URL(src || base, base).origin).replace(/\/+$/, ''),
    cookieDomain: data('cookie-domain') || '',
    spa: is('auto-track-spa', 'true'),
    debug: is('debug', 'true'),
    consent: (data('consent') || 'granted') as ConsentState,
    respectGpc: is('respect-gpc', 'true'),
    anonymousWhenDenied: is('consent-denied', 'anonymous'),
  };
}
