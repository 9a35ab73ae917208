/**
 * The browser's page-lifecycle events, translated into what they mean for a
 * page that holds undelivered messages. `freeze` and `resume` exist only in
 * Chromium; elsewhere a discarded tab says nothing, and the queue's lease
 * lapses instead. (Callbacks rather than an object of them: the bundle then
 * carries no names for them.)
 */
export function watchLifecycle(
  win: Window,
  /** The page is hidden: it may never be seen again (mobile browsers kill hidden tabs). */
  hidden: () => void,
  /** Frozen (Chromium) or, given pagehide's event (anything truthy), closing or going into the back/forward cache. */
  leave: (closing?: unknown) => void,
  /** Back from the back/forward cache, or from frozen. */
  back: () => void,
  online: () => void,
): void {
  const doc = win.document;
  doc.addEventListener('visibilitychange', () => doc.visibilityState == 'hidden' && hidden());
  win.addEventListener('pagehide', leave);
  win.addEventListener('pageshow', (event) => (event as PageTransitionEvent).persisted && back());
  doc.addEventListener('freeze', () => leave());
  doc.addEventListener('resume', back);
  win.addEventListener('online', online);
}
