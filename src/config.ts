import type { ConsentState, LoaderConfig } from './types';

/**
 * README "Configuration": configuration from the loader `<script>`'s attributes. `attr`
 * reads one attribute; `src` is the script's URL, if any (the default endpoint is its
 * origin) and `base` the page URL to resolve relative URLs against.
 */
export function readConfig(attr: (name: string) => string | null | undefined, src: string | undefined, base: string): LoaderConfig {
  const is = (name: string, value: string) => attr('data-' + name) === value;
  return {
    siteId: (attr('data-site-id') || '').trim(),
    keepArrays: is('use-array-params', 'true'),
    autoPage: !is('auto-track-page', 'false'),
    // data-endpoint is used as written: fetch and sendBeacon resolve a relative one against the page.
    endpoint: (attr('data-endpoint') || new URL(src || base, base).origin).replace(/\/+$/, ''),
    cookieDomain: attr('data-cookie-domain') || '',
    spa: is('auto-track-spa', 'true'),
    debug: is('debug', 'true'),
    consent: (attr('data-consent') || 'granted') as ConsentState,
    respectGpc: is('respect-gpc', 'true'),
    anonymousWhenDenied: is('consent-denied', 'anonymous'),
  };
}
