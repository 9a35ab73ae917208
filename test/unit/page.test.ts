import { describe, expect, it } from 'vitest';
import { encode } from '../../src/json';
import { campaign, pageContext, queryData } from '../../src/page';
import { freshWindow } from './helpers';

describe('queryData', () => {
  it('gives each parameter, decoded', () => {
    expect({ ...queryData('?q=red+shoes&size=42&note=a%26b') }).toEqual({ q: 'red shoes', size: '42', note: 'a&b' });
  });

  it('turns a repeated key into an array of its values, in order', () => {
    expect({ ...queryData('?tag=a&x=1&tag=b&tag=c') }).toEqual({ tag: ['a', 'b', 'c'], x: '1' });
    expect({ ...queryData('?k=&k=') }).toEqual({ k: ['', ''] });
  });

  it('gives an empty object for no query', () => {
    expect({ ...queryData('') }).toEqual({});
    expect({ ...queryData('?') }).toEqual({});
  });

  it('treats ?__proto__=x and ?constructor=y as plain keys', () => {
    const data = queryData('?__proto__=x&constructor=y&__proto__=z');
    expect(Object.keys(data)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')!.value).toEqual(['x', 'z']);
    expect(data.constructor).toBe('y');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, '0')).toBe(false);
    expect(encode(data)).toBe('{"__proto__":["x","z"],"constructor":"y"}');
  });
});

describe('campaign', () => {
  it('maps every utm_* parameter', () => {
    expect(
      campaign('?utm_campaign=spring&utm_source=newsletter&utm_medium=email&utm_term=shoes&utm_content=hero'),
    ).toEqual({ name: 'spring', source: 'newsletter', medium: 'email', term: 'shoes', content: 'hero' });
  });

  it('gives only the ones present, ignoring other parameters', () => {
    expect(campaign('?utm_source=google&q=x&utm_medium=cpc')).toEqual({ source: 'google', medium: 'cpc' });
  });

  it('gives undefined without any utm_* parameter', () => {
    expect(campaign('?q=1&utm=2')).toBeUndefined();
    expect(campaign('')).toBeUndefined();
  });
});

describe('pageContext', () => {
  const url = 'https://shop.example.com/products/shoe?color=red#reviews';

  it('describes the page from location and document', () => {
    const win = freshWindow(url, { referrer: 'https://search.example.org/?q=shoe' });
    win.document.title = 'Red shoe';
    expect(pageContext(win.location, win.document)).toEqual({
      path: '/products/shoe',
      url,
      search: '?color=red',
      title: 'Red shoe',
      referrer: 'https://search.example.org/?q=shoe',
    });
  });

  it('prefers the canonical link for the url, resolved', () => {
    const win = freshWindow(url, { html: '<html><head><link rel="canonical" href="/products/shoe"></head></html>' });
    const context = pageContext(win.location, win.document);
    expect(context.url).toBe('https://shop.example.com/products/shoe');
    expect(context.path).toBe('/products/shoe');
    expect(context.search).toBe('?color=red');
    expect(context.referrer).toBe('');
  });
});
