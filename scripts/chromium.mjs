/**
 * How the tests and the bench start Debian's Chromium (never a downloaded
 * build). The background-networking flags matter here: without them
 * Chromium keeps dialling Google's hosts, which this machine's closed
 * network refuses many at a time.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
