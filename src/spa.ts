/**
 * `data-auto-track-spa="true"`: calls `onChange` when a single-page app moves
 * to another path or query string through the History API. Wrapping
 * pushState/replaceState is the one way to hear about them in every browser;
 * the site owner opted in to it.
 */
export function watchHistory(win: Window, onChange: () => void): void {
  const { history, location } = win;
  const where = () => location.pathname + location.search;
  let last = where();
  const check = () => {
    if (where() != last) {
      last = where();
      onChange();
    }
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      check();
      return result;
    };
  }
  win.addEventListener('popstate', check);
}
