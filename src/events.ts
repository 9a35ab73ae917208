import { warn } from './log';
import type { LifecycleEvent, Listener } from './types';

export type Events = ReturnType<typeof createEvents>;

/** `on`/`off` for the SDK's lifecycle events. */
export function createEvents() {
  const listeners: Partial<Record<LifecycleEvent, Listener[]>> = {};
  let ready = false;
  /** `payload` is only made when someone listens: parsing a sent batch is not free. */
  const emit = (event: LifecycleEvent, payload?: () => unknown) => {
    if (event == 'ready') ready = true;
    let value: unknown;
    for (const fn of listeners[event] || [])
      try {
        fn(value = value || (payload && payload()));
      } catch (error) {
        warn(event + ' listener threw', error);
      }
  };
  return {
    on(event: LifecycleEvent, fn: Listener) {
      if (typeof fn != 'function') return warn('on: not a function', fn);
      // A new array, never changed in place: an emit under way keeps the one it started with.
      listeners[event] = [...(listeners[event] || []), fn];
      // Late subscribers to `ready` are told at once, as the moment has passed.
      if (event == 'ready' && ready) fn();
    },
    off(event: LifecycleEvent, fn: Listener) {
      listeners[event] = (listeners[event] || []).filter((f) => f != fn);
    },
    emit,
    /** Messages dropped for good: a warning, and an `error` event (SPEC §7). */
    drop(status: number, reason: string, dropped: number) {
      warn(reason);
      emit('error', () => ({ status, reason, dropped }));
    },
  };
}
