import type { ConsentState, LoaderConfig } from './types';

/**
 * README "Configuration": configuration from the loader `<script>`'s attributes (none
 * when it is not found); its URL, if any, gives the default endpoint (its origin), and
 * `base` is the page URL to resolve relative URLs against.
 */
export function readConfig(script: Pick<HTMLScriptElement, 'getAttribute' | 'src'> | null, base: string): LoaderConfig {
  // An attribute left out reads as empty, as does every attribute when there is no script.
  const data = (name: string) => script?.getAttribute('data-' + name) ?? '';
  const is = (name: string, value: string) => data(name) == value;
  return {
    siteId: data('site-id').trim(),
    keepArrays: is('use-array-params', 'true'),
    autoPage: !is('auto-track-page', 'false'),
    // data-endpoint is used as written: fetch and sendBeacon resolve a relative one against the page.
    endpoint: (data('endpoint') || new URL(script?.src || base, base).origin).replace(/\/+$/, ''),
    cookieDomain: data('cookie-domain'),
    spa: is('auto-track-spa', 'true'),
    debug: is('debug', 'true'),
    // As written, checked by init, which also takes '' (left out) as granted.
    consent: data('consent') as ConsentState,
    respectGpc: is('respect-gpc', 'true'),
    anonymousWhenDenied: is('consent-denied', 'anonymous'),
  };
}
