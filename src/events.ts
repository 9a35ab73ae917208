import { warn } from './log';
import type { LifecycleEvent, Listener } from './types';

export type Events = ReturnType<typeof createEvents>;

/** `on`/`off` for the SDK's lifecycle events. */
export function createEvents() {
  const listeners: Partial<Record<LifecycleEvent, Listener[]>> = {};
  let ready = false;
  return {
    on(event: LifecycleEvent, fn: Listener) {
      if (typeof fn != 'function') return warn('on: not a function', fn);
      (listeners[event] = listeners[event] || []).push(fn);
      // Late subscribers to `ready` are told at once, as the moment has passed.
      if (event == 'ready' && ready) fn();
    },
    off(event: LifecycleEvent, fn: Listener) {
      listeners[event] = (listeners[event] || []).filter((f) => f != fn);
    },
    /** `payload` is only made when someone listens: parsing a sent batch is not free. */
    emit(event: LifecycleEvent, payload?: () => unknown) {
      if (event == 'ready') ready = true;
      const fns = listeners[event] || [];
      let value: unknown;
      for (const fn of fns.slice())
        try {
          fn(value = value || (payload && payload()));
        } catch (error) {
          warn(event + ' listener threw', error);
        }
    },
  };
}
