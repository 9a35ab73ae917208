/** How often, and how many times at most (a second in all), a navigation's page event looks for the app's new title. */
const TITLE_POLL = 50;
const TITLE_POLLS = 20;

/**
 * `data-auto-track-spa="true"`: calls `onChange` when a single-page app moves
 * to another path or query string through the History API. Wrapping
 * pushState/replaceState is the one way to hear about them in every browser;
 * the site owner opted in to it.
 *
 * Apps set `document.title` after they change the URL (Turbo only once the
 * new page has arrived), so the call waits, briefly and bounded, for the
 * title to change; a further navigation meanwhile restarts the wait, so a
 * redirect counts once, for where it led. One that is still waiting when
 * the page goes away is sent then.
 */
export const watchHistory = (win: Window, onChange: () => void): void => {
  const doc = win.document;
  const where = () => win.location.pathname + win.location.search;
  let last = where();
  // Both set by check before wait reads them.
  let title: string;
  let polls: number;
  /** Set while a navigation's call waits. */
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  const wait = () => {
    timer = doc.title != title || !polls-- ? (onChange(), 0) : setTimeout(wait, TITLE_POLL);
  };
  const check = () => {
    if (where() != last) {
      last = where();
      polls = TITLE_POLLS;
      title = doc.title;
      clearTimeout(timer);
      timer = setTimeout(wait, TITLE_POLL);
    }
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = win.history[method];
    win.history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      check();
      return result;
    };
  }
  // popstate only: a hash change alone is no new page, and with popstate it is one navigation.
  win.addEventListener('popstate', check);
  win.addEventListener('pagehide', () => {
    if (timer) {
      clearTimeout(timer);
      timer = 0;
      onChange();
    }
  });
};
