// What the collector's tests share: a collector on a free port over a
// temporary repository root and data folder, removed after each test, and
// valid messages and batches to post to it.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { REPO_ROOT } from '../../collector/root.mjs';
import { startCollector } from '../../collector/server.mjs';

export const SNIPPET_SOURCE = join(REPO_ROOT, 'snippet', 'snippet.js');
export const SNIPPET_MIN = join(REPO_ROOT, 'snippet', 'snippet.min.js');
export const SNIPPET_TRUSTED_TYPES = join(REPO_ROOT, 'snippet', 'snippet-trusted-types.js');

const cleanups = []; // run after each test, last first
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()();
});

export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'cio-collector-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A repository root with only what the collector serves: snippet/snippet.min.js
 * (a minified copy of the real readable snippet, so these tests need no build)
 * and optionally dist/track.js.
 */
export function fixtureRoot({ trackJs } = {}) {
  const root = tempDir();
  mkdirSync(join(root, 'snippet'));
  copyFileSync(SNIPPET_SOURCE, join(root, 'snippet', 'snippet.min.js'));
  if (trackJs !== undefined) {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'track.js'), trackJs);
  }
  return root;
}

export async function start(opts = {}) {
  const collector = await startCollector({ port: 0, root: fixtureRoot(), dataDir: tempDir(), ...opts });
  cleanups.push(() => collector.close());
  return collector;
}

// Valid ULIDs, distinct per n: Crockford digits only.
export const ulid = (n) => `01J${String(n).padStart(23, '0')}`;

export const CONTEXT = { library: { name: 'cio-track', version: '0.0.0' }, page: { path: '/' } };

export function message(n, overrides = {}) {
  return {
    type: 'track',
    event: `event_${n}`,
    properties: { n },
    messageId: ulid(n),
    timestamp: '2025-01-02T03:04:05.678Z',
    anonymousId: 'anon-1',
    context: CONTEXT,
    ...overrides,
  };
}

export const envelope = (batch, overrides = {}) => ({ writeKey: 'site-1', sentAt: new Date().toISOString(), batch, ...overrides });

export function post(collector, body, headers = {}) {
  return fetch(`${collector.url}/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const postBatch = (collector, batch) => post(collector, envelope(batch));

export const readLines = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));

/** Runs `cleanup` after the current test (with the temporary folders and collectors). */
export const onCleanup = (cleanup) => cleanups.push(cleanup);
