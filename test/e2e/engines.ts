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
  close(): Promise<void>;
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

export function launchEngine(name: EngineName = engineName()): Promise<Engine> {
  return { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit }[name]();
}

async function launchChromium(): Promise<Engine> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
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
            close: () => page.close(),
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
            close: () => page.close(),
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
 * MiniBrowser has no contexts: each session is a WebDriver session of its
 * own (a fresh ephemeral browser, about 1.5 s to start), its tabs WebDriver
 * windows. Needs DISPLAY, which the global setup provides.
 */
async function launchWebKit(): Promise<Engine> {
  const port = await freePort();
  // The web process sandbox refuses to start as root; this is the switch WebKitGTK documents for it.
  const env = process.getuid?.() === 0 ? { ...process.env, WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS: '1' } : process.env;
  const driverProcess = spawn(WEBKIT_DRIVER_PATH, [`--port=${port}`], { stdio: 'ignore', env });
  const server = `http://127.0.0.1:${port}`;
  await untilListening(`${server}/status`, driverProcess);
  const sessions = new Set<WebDriver>();
  const start = () =>
    new Builder()
      .usingServer(server)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args: ['--automation'] },
      })
      .build();
  const probe = await start();
  const version = `WebKitGTK ${(await probe.getCapabilities()).get('browserVersion')}`;
  await probe.quit();
  return {
    name: 'webkit',
    version,
    async newSession() {
      const driver = await start();
      sessions.add(driver);
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
            // (From the first window: the focused one may have been closed.)
            await driver.switchTo().window(first);
            await driver.switchTo().newWindow('tab');
            const handle = await driver.getWindowHandle();
            /** `run` with this tab's window focused, no other tab's command in between. */
            const inTab = <T>(run: () => Promise<T>) => exclusive(() => driver.switchTo().window(handle).then(run));
            const tab: Tab = {
              goto: (url) => inTab(() => driver.get(url)),
              evaluate: (fn, arg) =>
                inTab(async () => {
                  const result = (await driver.executeAsyncScript(
                    `const done = arguments[arguments.length - 1];
                    Promise.resolve().then(() => (${fn.toString()})(arguments[0]))
                      .then((value) => done({ value }), (e) => done({ error: String(e && e.stack || e) }));`,
                    arg ?? null,
                  )) as { value?: unknown; error?: string };
                  if (result.error !== undefined) throw new Error(result.error);
                  // WebDriver turns undefined into null; the other two drivers keep it, so map it back.
                  return (result.value ?? undefined) as never;
                }),
              reload: () => inTab(() => driver.navigate().refresh()),
              close: () => inTab(() => driver.close()),
            };
            return tab;
          }),
        async close() {
          sessions.delete(driver);
          await driver.quit();
        },
      };
    },
    async close() {
      await Promise.all([...sessions].map((d) => d.quit().catch(() => undefined)));
      driverProcess.kill();
    },
  };
}
