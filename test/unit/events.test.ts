import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEvents } from '../../src/events';
import type { Message } from '../../src/types';
import { spyWarnings } from './helpers';

const batch = [{ type: 'track', event: 'a' }] as Message[];

afterEach(() => vi.restoreAllMocks());

describe('createEvents', () => {
  it('calls listeners with the payload, made once and only when someone listens', () => {
    const events = createEvents();
    const payload = vi.fn(() => batch);
    events.emit('sent', payload);
    expect(payload).not.toHaveBeenCalled();
    const a = vi.fn();
    const b = vi.fn();
    events.on('sent', a);
    events.on('sent', b);
    events.emit('sent', payload);
    expect(payload).toHaveBeenCalledTimes(1);
    expect(a).toHaveBeenCalledWith(batch);
    expect(b).toHaveBeenCalledWith(batch);
  });

  it('off removes a listener', () => {
    const events = createEvents();
    const fn = vi.fn();
    events.on('error', fn);
    events.off('error', fn);
    events.emit('error', () => ({ status: 400, reason: 'x', dropped: 1 }));
    expect(fn).not.toHaveBeenCalled();
  });

  it('tells late ready listeners at once', () => {
    const events = createEvents();
    events.emit('ready');
    const fn = vi.fn();
    events.on('ready', fn);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('keeps going when a listener throws, with a warning', () => {
    const warnings = spyWarnings();
    const events = createEvents();
    const after = vi.fn();
    events.on('sent', () => {
      throw new Error('listener bug');
    });
    events.on('sent', after);
    expect(() => events.emit('sent', () => batch)).not.toThrow();
    expect(after).toHaveBeenCalledWith(batch);
    expect(warnings.lines()).toHaveLength(1);
  });

  it('warns for a listener that is not a function', () => {
    const warnings = spyWarnings();
    createEvents().on('sent', 'nope' as unknown as () => void);
    expect(warnings.lines()).toHaveLength(1);
  });
});
