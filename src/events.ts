import { warn } from './log';
import type { CioEvents, Handler, LifecycleEvent } from './types';

export type Events = ReturnType<typeof createEvents>;

/** `on`/`off` for the SDK's lifecycle events. */
export function createEvents() {
  const listeners: { [E in LifecycleEvent]?: Handler<CioEvents[E]>[] } = {};
  let ready = false;
  /** `payload` is only made when someone listens: parsing a sent batch is not free. */
  const emit = <E extends LifecycleEvent>(event: E, payload?: () => CioEvents[E]) => {
    if (event == 'ready') ready = true;
    let value: CioEvents[E] | undefined;
    for (const fn of listeners[event] || [])
      try {
        fn((value = value || payload?.())!);
      } catch (error) {
        warn(error);
      }
  };
  return {
    emit,
    on<E extends LifecycleEvent>(event: E, fn: Handler<CioEvents[E]>) {
      if (typeof fn == 'function') {
        // A new array, never changed in place: an emit under way keeps the one it started with.
        listeners[event] = [...(listeners[event] || []), fn] as (typeof listeners)[E];
        // Late subscribers to `ready` are told at once, as the moment has passed.
        if (ready && event == 'ready') (fn as Handler<void>)();
      } else warn('bad listener', fn);
    },
    off<E extends LifecycleEvent>(event: E, fn: Handler<CioEvents[E]>) {
      // No listeners: left unset, as `on` and `emit` read unset as none.
      listeners[event] = listeners[event]?.filter((f) => f != fn) as (typeof listeners)[E];
    },
    /** Messages dropped for good: a warning, and an `error` event (README, "Delivery"). */
    drop(status: number, reason: string, dropped: number) {
      warn(reason);
      emit('error', () => ({ status, reason, dropped }));
    },
  };
}
