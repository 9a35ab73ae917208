// Not in alphabetical order: rollup lays modules out in the order they are first
// imported, and this one gzips track.js about 20 B smaller (index, which pulls in
// the rest, last).
import { readConfig } from './config';
import { queryData } from './page';
import { watchHistory } from './spa';
import { warn } from './log';
import { init } from './index';
import type { Cio } from './types';

declare const __VERSION__: string;

type Command = [keyof Cio | 'load', ...unknown[]];
/** What the snippet leaves on `window._cio`: an array of queued calls, with stub methods. */
type Stub = Command[] & Partial<Cio> & { version?: string };

/**
 * The script the snippet loads: reads its configuration from
 * `<script id="cio-tracker">`, turns the snippet's `_cio` array into the
 * real thing, replays the calls queued on it, and sends the page view.
 */
(function (win: Window & { _cio?: Stub }) {
  try {
    const stub = win._cio;
    // Loaded twice: the first copy already runs the show.
    if (stub?.version) return;
    const doc = win.document;
    const script = (doc.getElementById('cio-tracker') || doc.currentScript) as HTMLScriptElement | null;
    const config = readConfig(script, win.location.href);
    const cio = init(config, win);
    const run = (command: unknown) => {
      try {
        const [method, ...args] = command as Command;
        // `load`, a stub the snippet makes, is done: this script is what it loads. Quietly ignored.
        if (method == 'load') return;
        // Only our own commands: not `hasOwnProperty` and friends from Object.prototype.
        if (Object.keys(cio).indexOf(method) >= 0) return (cio[method as keyof Cio] as (...a: unknown[]) => void)(...args);
      } catch {
        // Whatever a page pushes (proxies, throwing iterators) stays its problem, not an exception.
      }
      warn('bad command', command);
    };
    // Keep the snippet's array as `_cio` (a page may hold a reference to it),
    // emptied, with the real methods, and a push that runs commands at once.
    const target: Stub = Array.isArray(stub) ? stub : [];
    const queued = target.splice(0);
    Object.assign(target, cio, {
      version: __VERSION__,
      push: (...commands: unknown[]) => {
        commands.forEach(run);
        return 0;
      },
    });
    win._cio = target;
    queued.forEach(run);

    // No name: page() defaults it to the path.
    const pageView = () => cio.page(queryData(win.location.search));
    if (config.autoPage) {
      pageView();
      // A page restored from the back/forward cache is seen again: a page view, as on load.
      win.addEventListener('pageshow', (event) => (event as PageTransitionEvent).persisted && pageView());
    }
    if (config.spa) watchHistory(win, pageView);
  } catch (error) {
    warn(error);
  }
})(window);
