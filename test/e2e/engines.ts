/**
 * The one driver interface the engine-neutral scenarios use, and one
 * implementation per engine: Chromium over playwright-core, Firefox ESR over
 * WebDriver BiDi with puppeteer-core, WebKitGTK's MiniBrowser over classic
 * WebDriver with selenium-webdriver. Which one a run uses comes from the
 * vitest project (E2E_ENGINE). Only what all three can do is here: no
 * interception, init scripts or console capture, so pages carry their own
 * recorders (see pageRecorder) and faults come from the collector.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { Builder, type WebDriver } from 'selenium-webdriver';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

export type EngineName = 'chromium' | 'firefox' | 'webkit';

export interface Tab {
  goto(url: string): Promise<void>;
  /** Runs `fn(arg)` in the page (serialised, so it closes over nothing) and returns its awaited, JSON-able result. */
  evaluate<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  reload(): Promise<void>;
  /**
   * The browser's back button. A restore from the back/forward cache fires
   * no load, so callers wait on what the page sends rather than on this.
   */
  back(): Promise<void>;
  close(): Promise<void>;
  /** The cookies the browser holds for the tab's current URL, as its cookie store reports them (the page's document.cookie shows no attributes). */
  cookies(): Promise<Cookie[]>;
}

/** A stored cookie, the same fields from every driver; `expires` in seconds since the epoch, -1 for a session cookie. */
export interface Cookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  expires: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite: string;
}

/** A browsing session with storage of its own (a context, or a whole WebDriver session). */
export interface Session {
  newTab(): Promise<Tab>;
  close(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  version: string;
  newSession(): Promise<Session>;
  close(): Promise<void>;
}

export const FIREFOX_PATH = '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER_PATH = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER_PATH = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

export function engineName(): EngineName {
  const name = process.env.E2E_ENGINE || 'chromium';
  if (name !== 'chromium' && name !== 'firefox' && name !== 'webkit') throw new Error(`unknown E2E_ENGINE ${name}`);
  return name;
}

export interface EngineOptions {
  /**
   * Playwright launches Chromium with --disable-back-forward-cache; this
   * leaves it out. Firefox and WebKit keep pages in the cache as they ship.
   */
  bfcache?: boolean;
}

export function launchEngine(name: EngineName = engineName(), options: EngineOptions = {}): Promise<Engine> {
  return { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit }[name](options);
}

async function launchChromium({ bfcache }: EngineOptions): Promise<Engine> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: bfcache ? ['--disable-back-forward-cache'] : undefined,
  });
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    async newSession() {
      const context = await browser.newContext();
      return {
        async newTab() {
          const page = await context.newPage();
          return {
            goto: async (url) => void (await page.goto(url)),
            evaluate: (fn, arg) => page.evaluate(fn, arg as never),
            reload: async () => void (await page.reload()),
            // A page restored from the cache fires no load: wait for the navigation to commit only.
            back: async () => void (await page.goBack({ waitUntil: 'commit' })),
            // As a person closes a tab: the page's unload sequence runs (pagehide among it).
            // Without it Chromium may shut the renderer down without one, now and then.
            close: async () => {
              const closed = new Promise((resolve) => page.once('close', resolve));
              await page.close({ runBeforeUnload: true });
              await closed;
            },
            cookies: async () => (await context.cookies(page.url())).map(cookie),
          };
        },
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

async function launchFirefox(): Promise<Engine> {
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX_PATH, headless: true });
  const version = (await browser.version()).replace(/^firefox\//i, '');
  return {
    name: 'firefox',
    version: `Firefox ESR ${version}`,
    async newSession() {
      const context = await browser.createBrowserContext();
      return {
        async newTab() {
          const page = await context.newPage();
          return {
            goto: async (url) => void (await page.goto(url)),
            evaluate: (fn, arg) => page.evaluate(fn, arg as never) as never,
            reload: async () => void (await page.reload()),
            // puppeteer's goBack waits for a load, which a restore from the back/forward cache never fires
            // (it times out): start the traversal in the page instead, as the back button would.
            back: () => page.evaluate(() => void history.back()),
            close: () => page.close(),
            cookies: async () => (await page.cookies()).map(cookie),
          };
        },
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}

/** A free TCP port on the loopback, for WebKitWebDriver to listen on. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `url` answers at all: WebKitWebDriver takes a moment to listen. */
async function untilListening(url: string, driver: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${driver.exitCode}`);
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`WebKitWebDriver did not listen on ${url}`);
}

/**
 * Runs in the page (WebKit): the JSON text of what a script gives back, written by own keys
 * and index loops. WebDriver's own JSON clone of a result calls the page's
 * toJSON methods (Prototype.js puts one on Array.prototype) and walks
 * inherited enumerable properties (MooTools-style additions), so a page that
 * has them would garble what a test reads.
 */
function pageJson(value: unknown): string {
  const quote = (s: string) =>
    '"' + s.replace(/[\u0000-\u001f"\\\u2028\u2029]/g, (c) => '\\u' + (c.charCodeAt(0) + 0x10000).toString(16).slice(1)) + '"';
  const write = (v: unknown): string => {
    if (typeof v == 'string') return quote(v);
    if (typeof v == 'number') return isFinite(v) ? String(v) : 'null';
    if (typeof v == 'boolean') return String(v);
    if (!v || typeof v != 'object') return 'null';
    const parts: string[] = [];
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) parts.push(write(v[i]));
      return '[' + parts.join(',') + ']';
    }
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      const item = (v as Record<string, unknown>)[keys[i]];
      if (item !== undefined && typeof item != 'function') parts.push(quote(keys[i]) + ':' + write(item));
    }
    return '{' + parts.join(',') + '}';
  };
  return write(value);
}

/** How long a WebKit session may take to start (about 1.5 s as a rule, several seconds on a busy machine). */
const WEBKIT_START_MS = 30_000;
/** Attempts at starting one WebKit session. */
const WEBKIT_START_TRIES = 3;

/** A WebKitWebDriver with the one session it was started for. */
interface WebKitSession {
  driver: WebDriver;
  /** Ends the session, its browser and its driver process. */
  quit(): Promise<void>;
}

/**
 * One WebKitWebDriver process per session, with a deadline on the start: now
 * and then (about once per WebKit project run on a busy machine) a driver
 * never launches MiniBrowser and waits for it for good, with no web or network
 * process anywhere. Such a driver is killed with its process group and the start
 * tried again; a driver of its own per session means no other session goes with it.
 */
async function startWebKitSession(): Promise<WebKitSession> {
  // The web process sandbox refuses to start as root; this is the switch WebKitGTK documents for it.
  const env = process.getuid?.() === 0 ? { ...process.env, WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: '1' } : process.env;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // Its own process group, so that killing it takes the MiniBrowser it started too.
    const driverProcess = spawn(WEBKIT_DRIVER_PATH, [`--port=${port}`], { stdio: 'ignore', env, detached: true });
    const kill = () => {
      try {
        process.kill(-driverProcess.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const server = `http://127.0.0.1:${port}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await untilListening(`${server}/status`, driverProcess);
      const started = new Builder()
        .usingServer(server)
        .withCapabilities({
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args: ['--automation'] },
        })
        .build();
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no WebKit session within ${WEBKIT_START_MS / 1000} s`)), WEBKIT_START_MS);
      });
      const driver = await Promise.race([started, deadline]);
      return {
        driver,
        quit: async () => {
          await driver.quit().catch(() => undefined);
          kill();
        },
      };
    } catch (error) {
      kill();
      if (attempt >= WEBKIT_START_TRIES) throw error;
      console.warn(`[e2e webkit] session start ${attempt} failed (${(error as Error).message}); starting another driver`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * MiniBrowser has no contexts: each session is a WebDriver session of its
 * own (a fresh ephemeral browser, about 1.5 s to start), its tabs WebDriver
 * windows. Needs DISPLAY, which the global setup provides.
 */
async function launchWebKit(): Promise<Engine> {
  const sessions = new Set<WebKitSession>();
  const probe = await startWebKitSession();
  const version = `WebKitGTK ${(await probe.driver.getCapabilities()).get('browserVersion')}`;
  await probe.quit();
  return {
    name: 'webkit',
    version,
    async newSession() {
      const session = await startWebKitSession();
      sessions.add(session);
      const { driver } = session;
      const first = await driver.getWindowHandle();
      // One window has the focus at a time: a tab's command and the switch to its window go together.
      let last: Promise<unknown> = Promise.resolve();
      const exclusive = <T>(run: () => Promise<T>): Promise<T> => {
        const done = last.then(run, run);
        last = done.catch(() => undefined);
        return done;
      };
      return {
        newTab: () =>
          exclusive(async () => {
            // Every tab is a new window: the one the session opened with stays, blank,
            // since closing a session's last window ends the WebDriver session.
            // (From the first window: the focused one may have been closed.) A window,
            // not a MiniBrowser tab: a tab not in front is `hidden`, and stays so while
            // the test drives it, which no visitor's page would be.
            await driver.switchTo().window(first);
            await driver.switchTo().newWindow('window');
            const handle = await driver.getWindowHandle();
            // A window just made may not be shown yet, and a page loading into it meanwhile
            // starts hidden: wait until it is on screen.
            await driver.wait(async () => (await driver.executeScript('return document.visibilityState')) == 'visible', 10_000);
            /** `run` with this tab's window focused, no other tab's command in between. */
            const inTab = <T>(run: () => Promise<T>) => exclusive(() => driver.switchTo().window(handle).then(run));
            const tab: Tab = {
              goto: (url) => inTab(() => driver.get(url)),
              evaluate: (fn, arg) =>
                inTab(async () => {
                  // An async function, for the engine's own Promise: the page's may be replaced, or broken.
                  const result = (await driver.executeAsyncScript(
                    `const done = arguments[arguments.length - 1];
                    const json = ${pageJson.toString()};
                    (async () => (${fn.toString()})(arguments[0]))()
                      .then((value) => done(json({ value })), (e) => done(json({ error: String(e && e.stack || e) })));`,
                    arg ?? null,
                  )) as string;
                  // A string crosses WebDriver untouched; an undefined value is left out of it, as the other two drivers give it.
                  const { value, error } = JSON.parse(result) as { value?: unknown; error?: string };
                  if (error !== undefined) throw new Error(error);
                  return value as never;
                }),
              reload: () => inTab(() => driver.navigate().refresh()),
              back: () => inTab(() => driver.navigate().back()),
              close: () => inTab(() => driver.close()),
              cookies: () =>
                inTab(async () =>
                  (await driver.manage().getCookies()).map(({ expiry, ...c }) =>
                    cookie({ ...c, expires: typeof expiry === 'number' ? expiry : -1 }),
                  ),
                ),
            };
            return tab;
          }),
        async close() {
          sessions.delete(session);
          await session.quit();
        },
      };
    },
    async close() {
      await Promise.all([...sessions].map((session) => session.quit()));
    },
  };
}

/** One driver's cookie, cut to the fields every driver reports. */
function cookie(c: { name: string; value: string; domain?: string; path?: string; expires?: number; httpOnly?: boolean; secure?: boolean; sameSite?: string }): Cookie {
  return {
    name: c.name,
    value: c.value,
    domain: c.domain ?? '',
    path: c.path ?? '',
    expires: c.expires ?? -1,
    httpOnly: !!c.httpOnly,
    secure: !!c.secure,
    sameSite: c.sameSite ?? '',
  };
}
