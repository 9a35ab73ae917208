/** What the page's lifecycle means for a page that holds undelivered messages. */
export interface Lifecycle {
  /** The page is hidden: it may never be seen again (mobile browsers kill hidden tabs). */
  hidden(): void;
  /** pagehide: closing, or going into the back/forward cache. */
  closing(): void;
  /** Frozen (Chromium only): it may be discarded without a pagehide. */
  frozen(): void;
  /** Back from the back/forward cache, or from frozen. */
  back(): void;
  online(): void;
}

/**
 * The browser's page-lifecycle events, translated. `freeze` and `resume`
 * exist only in Chromium; elsewhere a discarded tab says nothing, and the
 * queue's lease lapses instead.
 */
export function watchLifecycle(win: Window, on: Lifecycle): void {
  const doc = win.document;
  doc.addEventListener('visibilitychange', () => doc.visibilityState == 'hidden' && on.hidden());
  win.addEventListener('pagehide', on.closing);
  win.addEventListener('pageshow', (event) => (event as PageTransitionEvent).persisted && on.back());
  doc.addEventListener('freeze', on.frozen);
  doc.addEventListener('resume', on.back);
  win.addEventListener('online', on.online);
}
