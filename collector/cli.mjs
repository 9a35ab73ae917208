#!/usr/bin/env node
// `npm start` runs this after the build: the collector, the demo site and the
// live view on http://localhost:8080 (PORT to change, HOST to listen elsewhere,
// CIO_DATA_DIR to keep the events somewhere else than .cio-data/).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCollector } from './server.mjs';
import { REPO_ROOT } from './root.mjs';

const port = process.env.PORT === undefined || process.env.PORT === '' ? 8080 : Number(process.env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0-65535); got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}
const host = process.env.HOST || '127.0.0.1';

/** Whether what listens on `port` answers like a collector (with its /api/events snapshot). */
async function isCollector(port) {
  const probed = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  try {
    const response = await fetch(`http://${probed}:${port}/api/events`, { signal: AbortSignal.timeout(1000) });
    return typeof (await response.json())?.counts === 'object';
  } catch {
    return false; // not HTTP, not JSON, or no answer in time: some other server
  }
}

let collector;
try {
  collector = await startCollector({ port, host, dataDir: process.env.CIO_DATA_DIR || undefined, log: true });
} catch (error) {
  if (error.code === 'EADDRINUSE') {
    if (await isCollector(port)) {
      console.error(`Port ${port} is already in use by a cio-track collector: \`npm start\` is running already.`);
      console.error(`Use that one (live view: http://localhost:${port}/live), or run another:  PORT=${port + 1} npm start`);
    } else {
      console.error(`Port ${port} is already in use (another server is running there).`);
      console.error(`Stop it, or start on another port:  PORT=${port + 1} npm start`);
    }
  } else if (error.code === 'EACCES') {
    console.error(`Not allowed to listen on port ${port}. Pick a port above 1023:  PORT=8081 npm start`);
  } else {
    console.error(`The collector could not start: ${error.message}`);
  }
  process.exit(1);
}

// 127.0.0.1 is what browsers and the SDK reach as "localhost".
const base = host === '127.0.0.1' ? `http://localhost:${collector.port}` : collector.url;
const { store } = collector;
console.log(`
cio-track local collector
  Demo site:  ${base}/
  Live view:  ${base}/live
  Ingestion:  POST ${base}/v1/batch
  Data file:  ${store.file} (${store.loaded.events} events kept from earlier runs)
`);
if (store.loaded.skipped) console.warn(`  Warning: ${store.loaded.skipped} unreadable line(s) in the data file were skipped.`);
if (!existsSync(join(REPO_ROOT, 'dist', 'track.js'))) {
  console.warn('  dist/track.js is missing: run `npm run build` (or `npm start`, which builds first).\n');
}
console.log('Press Ctrl-C to stop.\n');

let stopping = false;
async function stop(signal) {
  if (stopping) process.exit(130); // a second Ctrl-C: do not wait
  stopping = true;
  console.log(`\n${signal}: stopping the collector…`);
  await collector.close();
  console.log('Stopped.');
  process.exit(0);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
