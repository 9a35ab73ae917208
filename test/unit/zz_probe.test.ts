import { test, expect } from 'vitest';
import { encode } from '../../src/json';
test('probe', () => {
  console.log(typeof Response, typeof fetch, typeof window.fetch, typeof crypto.getRandomValues, location.href, typeof navigator.sendBeacon, typeof AbortSignal.timeout, typeof XMLHttpRequest);
  const inner: Record<string, string> = {};
  for (let i = 0; i < 40; i++) inner['k' + i] = 'x'.repeat(500);
  const data = { props: inner, other: 1 };
  const text = encode(data, true, 32 * 1024)!;
  console.log(JSON.stringify(data).length, text.length, 'other' in JSON.parse(text));
  const a: any = [1, 2]; a.foo = 3;
  console.log(encode(a), encode([1, , 3]), encode(new String('ab')));
  expect(1).toBe(1);
});
