// What a TypeScript user sees: the published declarations (dist/index.d.ts
// and types/global.d.ts, through the package's own `exports`), type-checked
// on their own by `npm run typecheck` (test/package/tsconfig.json), as a
// user's project would, and run against the built ESM module.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Cio, CioEvents, CioGlobal, DeliveryError, Message } from 'cio-track';
import type {} from 'cio-track/global';
import { init } from 'cio-track';

describe('published types', () => {
  it('types on() by the event map', () => {
    const cio: Cio = init({ siteId: '', endpoint: 'https://collector.test', keepArrays: false, cookieDomain: '', debug: false });
    expectTypeOf<CioEvents['sent']>().toEqualTypeOf<Message[]>();
    expectTypeOf<CioEvents['error']>().toEqualTypeOf<DeliveryError>();
    cio.on('sent', (batch) => expectTypeOf(batch).toEqualTypeOf<Message[]>());
    cio.on('error', (error) => expectTypeOf(error.status).toBeNumber());
    // @ts-expect-error: not an event of the SDK
    cio.on('sending', () => {});
    // @ts-expect-error: `sent` hands over a batch, not a string
    cio.on('sent', (text: string) => text);
    expect(typeof cio.flush).toBe('function');
  });

  it('types the global _cio the snippet makes', () => {
    expectTypeOf(window._cio).toEqualTypeOf<CioGlobal>();
    expectTypeOf<typeof _cio.push>().parameter(0).toExtend<[keyof Cio, ...unknown[]]>();
    // @ts-expect-error: not a command
    expectTypeOf<Parameters<CioGlobal['push']>[0]>().toExtend<['nope']>();
  });
});
