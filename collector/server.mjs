// The local ingestion collector: a development tool, never part of dist/.
//
// One HTTP server that
// - ingests `POST /v1/batch` exactly as the README's "What is sent" describes, validating every
//   message, deduplicating by messageId and storing accepted messages in an
//   append-only NDJSON file;
// - injects faults on demand (`/admin/faults`) so tests can exercise the
//   SDK's retries;
// - serves dist/ and snippet/, a demo site with the real snippet pasted in,
//   and a live view of what arrives (`/live`, fed by Server-Sent Events).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { createBatchHandler, handlePreflight } from './batch.mjs';
import { createFaults } from './faults.mjs';
import { CORS_HEADERS, readBody, send, sendJson, sendText } from './http.mjs';
import { DEMO_PAGES, renderDemoPage, renderErrorPage } from './pages.mjs';
import { REPO_ROOT } from './root.mjs';
import { renderSnippet } from './snippet.mjs';
import { createStore } from './store.mjs';
import { MAX_BODY_BYTES } from './validate.mjs';

/** The site id of the demo pages' snippet. */
export const DEMO_SITE_ID = 'demo-site';

const PUBLIC_DIR = join(REPO_ROOT, 'collector', 'public');

const SSE_HEARTBEAT_MS = 15_000;

const MIME_TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

async function readJsonBody(req) {
  const { text, tooLarge } = await readBody(req, MAX_BODY_BYTES);
  if (tooLarge) throw new TypeError('body too large');
  try {
    return text.trim() ? JSON.parse(text) : {};
  } catch (error) {
    throw new TypeError(`body is not valid JSON: ${error.message}`);
  }
}

/**
 * Starts the collector.
 * @param {object} [opts]
 * @param {number} [opts.port=8080] 0 picks a free port
 * @param {string} [opts.host='127.0.0.1']
 * @param {string} [opts.root] repository root: dist/ and snippet/ are served from it
 * @param {string} [opts.dataDir] where events.ndjson lives; defaults to <root>/.cio-data
 * @param {boolean | ((line: string) => void)} [opts.log=false] true logs one line per batch to the console
 * @returns {Promise<{ url: string, port: number, close(): Promise<void>, store: ReturnType<typeof createStore>,
 *   fault(spec: object): object[], clearFaults(): void, setPages(handler?: (url: URL) => string | { html: string, headers: object } | undefined): void }>}
 *   rejects with the listen error (code EADDRINUSE when the port is taken)
 */
export async function startCollector({ port = 8080, host = '127.0.0.1', root = REPO_ROOT, dataDir = join(root, '.cio-data'), log = false } = {}) {
  root = resolve(root);
  const store = createStore({ dataDir });
  const faults = createFaults();
  const say = typeof log === 'function' ? log : log ? (line) => console.log(line) : () => {};
  const distDir = resolve(root, 'dist');
  const snippetDir = resolve(root, 'snippet');
  let pages; // extra pages set by setPages(): (url) => html | { html, headers } | undefined
  const streams = new Set(); // open /api/stream responses
  const timers = new Set(); // latency faults in progress

  const sleep = (ms) =>
    new Promise((done) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        done();
      }, ms);
      timers.add(timer);
    });

  const handleBatch = createBatchHandler({ store, faults, sleep, say });

  async function handleFaults(req, res) {
    if (req.method === 'GET') return sendJson(res, 200, { pending: faults.pending() });
    if (req.method === 'DELETE') {
      faults.clear();
      return sendJson(res, 200, { ok: true, pending: [] });
    }
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST, GET or DELETE' }, { Allow: 'GET, POST, DELETE' });
    try {
      const pending = faults.add(await readJsonBody(req));
      say(`fault queued: ${JSON.stringify(pending.at(-1))}`);
      return sendJson(res, 200, { ok: true, pending });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      return sendJson(res, 400, { error: error.message });
    }
  }

  function handleStream(req, res) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    const unsubscribe = store.subscribe((update) => res.write(`event: ${update.type}\ndata: ${JSON.stringify(update)}\n\n`));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    streams.add(res);
    req.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      streams.delete(res);
    });
  }

  /** Serves `relPath` from inside `baseDir` (never outside it); `hint` completes a 404. */
  async function serveFile(res, baseDir, relPath, hint = '') {
    let decoded;
    try {
      decoded = decodeURIComponent(relPath);
    } catch {
      return sendText(res, 400, 'Bad request: malformed URL');
    }
    const file = resolve(baseDir, decoded);
    if (!file.startsWith(baseDir + sep)) return sendText(res, 404, 'Not found');
    let content;
    try {
      content = await readFile(file);
    } catch (error) {
      if (error.code !== 'ENOENT' && error.code !== 'EISDIR' && error.code !== 'ENOTDIR') throw error;
      const shown = file.slice(root.length + 1) || file;
      return sendText(res, 404, `Not found: ${shown} does not exist.${hint}`);
    }
    res.writeHead(200, {
      'Content-Type': MIME_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': content.length,
      'Cache-Control': 'no-store', // always the latest build
      'Access-Control-Allow-Origin': '*',
    });
    res.end(content);
  }

  function serveDemoPage(res, page) {
    let snippet;
    try {
      snippet = renderSnippet({ siteId: DEMO_SITE_ID, src: '/track.js', attrs: page.attrs, file: join(snippetDir, 'snippet.min.js') });
    } catch (error) {
      return send(res, 500, renderErrorPage('The snippet is not built', error.message), { 'Content-Type': MIME_TYPES['.html'] });
    }
    send(res, 200, renderDemoPage(page, snippet), { 'Content-Type': MIME_TYPES['.html'] });
  }

  const BUILD_HINT = ' Run `npm run build` to build it.';

  async function route(req, res) {
    const url = new URL(req.url, `http://${req.headers.host || 'collector'}`);
    const { pathname } = url;
    const method = req.method === 'HEAD' ? 'GET' : req.method; // Node leaves out the body of HEAD answers

    if (pathname === '/v1/batch') {
      if (method === 'POST') return handleBatch(req, res);
      if (method === 'OPTIONS') return handlePreflight(req, res);
      return sendJson(res, 405, { error: 'use POST' }, { ...CORS_HEADERS, Allow: 'POST, OPTIONS' });
    }
    if (pathname === '/admin/faults') return handleFaults(req, res);
    if (pathname === '/admin/clear') {
      if (method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' });
      store.clear();
      say('store cleared');
      return sendJson(res, 200, { ok: true });
    }
    if (method !== 'GET') return sendText(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });

    if (pathname === '/api/events') return sendJson(res, 200, store.snapshot());
    if (pathname === '/api/stream') return handleStream(req, res);
    if (pathname === '/track.js') return serveFile(res, distDir, 'track.js', BUILD_HINT);
    if (pathname.startsWith('/dist/')) return serveFile(res, distDir, pathname.slice('/dist/'.length), BUILD_HINT);
    if (pathname.startsWith('/snippet/')) return serveFile(res, snippetDir, pathname.slice('/snippet/'.length), BUILD_HINT);
    if (pathname.startsWith('/assets/')) return serveFile(res, PUBLIC_DIR, pathname.slice('/assets/'.length));
    const extra = pages?.(url);
    if (typeof extra === 'string') return send(res, 200, extra, { 'Content-Type': MIME_TYPES['.html'] });
    if (extra) return send(res, 200, extra.html, { 'Content-Type': MIME_TYPES['.html'], ...extra.headers });
    if (pathname === '/live') return serveFile(res, PUBLIC_DIR, 'live.html');
    if (pathname === '/favicon.ico') return send(res, 204, '');
    if (Object.hasOwn(DEMO_PAGES, pathname)) return serveDemoPage(res, DEMO_PAGES[pathname]);
    return sendText(res, 404, `Not found: ${pathname}. Try / (demo), /live (live view) or POST /v1/batch.`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error) => {
      say(`error on ${req.method} ${req.url}: ${error.stack || error}`);
      if (!res.headersSent) sendJson(res, 500, { error: String(error.message || error) }, CORS_HEADERS);
      else res.destroy();
    });
  });

  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });

  const actualPort = server.address().port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let closing = null;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    store,
    /** Queues a fault for the next batch requests (see POST /admin/faults); returns the pending faults. */
    fault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    /**
     * Serves extra pages on the collector's own origin (for browser tests):
     * `handler(url)` returns the HTML of a GET request (or `{ html, headers }`
     * for a page that needs response headers, e.g. a CSP), or undefined to fall
     * through to the demo site. The API, dist/ and snippet/ routes come first.
     * Pass undefined to remove it.
     */
    setPages(handler) {
      pages = handler;
    },
    /** Stops the server; calling it again returns the same promise. */
    close() {
      closing ??= new Promise((done, fail) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        for (const stream of streams) stream.end();
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections(); // keep-alive sockets would otherwise hold close() open
      });
      return closing;
    },
  };
}
