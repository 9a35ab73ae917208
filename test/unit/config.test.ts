import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config';

const SRC = 'https://cdn.example.com/js/track.js';
const BASE = 'https://shop.example.com/products/list?page=2';

/** readConfig over a script with a set of attributes, as its getAttribute would give them. */
const config = (attrs: Record<string, string>, src = SRC, base = BASE) =>
  readConfig({ src, getAttribute: (name) => (name in attrs ? attrs[name] : null) }, base);

describe('readConfig', () => {
  it('gives the defaults when only data-site-id is set', () => {
    expect(config({ 'data-site-id': 'site-1' })).toEqual({
      siteId: 'site-1',
      keepArrays: false,
      autoPage: true,
      endpoint: 'https://cdn.example.com',
      cookieDomain: '',
      spa: false,
      debug: false,
      // Left out: init takes it as granted.
      consent: '',
      respectGpc: false,
      anonymousWhenDenied: false,
    });
  });

  it('gives the defaults, and the page origin as endpoint, when there is no script element', () => {
    expect(readConfig(null, BASE)).toEqual({ ...config({}), endpoint: 'https://shop.example.com' });
  });

  it('reads data-consent as written (init checks it), data-respect-gpc and data-consent-denied', () => {
    expect(config({ 'data-consent': 'pending' }).consent).toBe('pending');
    expect(config({ 'data-consent': 'maybe' }).consent).toBe('maybe');
    expect(config({ 'data-respect-gpc': 'true' }).respectGpc).toBe(true);
    expect(config({ 'data-consent-denied': 'anonymous' }).anonymousWhenDenied).toBe(true);
    expect(config({ 'data-consent-denied': 'drop' }).anonymousWhenDenied).toBe(false);
  });

  it('reads the site id, trimmed; missing or empty gives ""', () => {
    expect(config({ 'data-site-id': '  abc123 ' }).siteId).toBe('abc123');
    expect(config({}).siteId).toBe('');
    expect(config({ 'data-site-id': '' }).siteId).toBe('');
  });

  it.each([
    ['data-use-array-params', 'keepArrays', { true: true, false: false, '': false, yes: false }],
    ['data-auto-track-page', 'autoPage', { true: true, false: false, '': true, no: true }],
    ['data-auto-track-spa', 'spa', { true: true, false: false, '': false, 1: false }],
    ['data-debug', 'debug', { true: true, false: false, '': false, on: false }],
  ] as const)('%s sets %s', (attribute, key, values) => {
    for (const [value, expected] of Object.entries(values)) {
      expect(config({ 'data-site-id': 's', [attribute]: value })[key]).toBe(expected);
    }
  });

  it('reads data-cookie-domain', () => {
    expect(config({ 'data-cookie-domain': 'example.com' }).cookieDomain).toBe('example.com');
  });

  it('takes the endpoint from the origin of the script src', () => {
    expect(config({}, 'http://collector.test:8080/assets/track.js?v=3').endpoint).toBe('http://collector.test:8080');
    // A relative src is resolved against the page.
    expect(config({}, '/static/track.js').endpoint).toBe('https://shop.example.com');
    // No src (inline or unknown): the page's origin.
    expect(config({}, '').endpoint).toBe('https://shop.example.com');
  });

  it('lets data-endpoint override it, absolute or relative, trailing slashes trimmed', () => {
    expect(config({ 'data-endpoint': 'https://api.example.net/' }).endpoint).toBe('https://api.example.net');
    expect(config({ 'data-endpoint': 'https://api.example.net/ingest//' }).endpoint).toBe(
      'https://api.example.net/ingest',
    );
    // A relative one stays relative: fetch and sendBeacon resolve it against the page.
    expect(config({ 'data-endpoint': '/collect/' }).endpoint).toBe('/collect');
    expect(config({ 'data-endpoint': 'https://api.example.net/v2' }).endpoint).toBe('https://api.example.net/v2');
  });

  it('takes data-endpoint as written, without throwing on one that is not a URL', () => {
    expect(config({ 'data-endpoint': 'http://[bad' }).endpoint).toBe('http://[bad');
  });

  it('reads a real <script> element', () => {
    const script = document.createElement('script');
    script.id = 'cio-tracker';
    script.src = 'http://collector.test/track.js';
    script.setAttribute('data-site-id', 'from-element');
    script.setAttribute('data-use-array-params', 'true');
    script.setAttribute('data-debug', 'true');
    const result = readConfig(script, location.href);
    expect(result).toMatchObject({
      siteId: 'from-element',
      keepArrays: true,
      autoPage: true,
      debug: true,
      endpoint: 'http://collector.test',
    });
  });
});
