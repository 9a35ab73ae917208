/**
 * Once per `vitest run`: prints the three engines' versions (the README's
 * test section quotes them), and starts an Xvfb display for WebKitGTK's
 * MiniBrowser, which has no headless mode, so that a plain `npm test` works
 * on a machine without a display. The workers inherit DISPLAY.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { FIREFOX_PATH } from './engines';

const firstLine = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8' }).trim().split('\n')[0];

function versions(): string {
  const chromium = firstLine(CHROMIUM_PATH, ['--version']).replace(/^Chromium\s+([\d.]+).*/, 'Chromium $1');
  const firefox = firstLine(FIREFOX_PATH, ['--version']).replace(/^Mozilla Firefox\s+([\d.]+)esr.*/, 'Firefox ESR $1');
  const webkit = firstLine('dpkg-query', ['-W', '-f=${Version}', 'libwebkit2gtk-4.1-0']).replace(/^([\d.]+).*/, 'WebKitGTK $1');
  return [chromium, firefox, webkit].join(', ');
}

/** Starts Xvfb on the first free display; resolves with it once the server is ready. */
function startXvfb(): Promise<{ display: string; xvfb: ChildProcess }> {
  return new Promise((resolve, reject) => {
    // -displayfd picks a free display and writes its number when ready, so no fixed :N can clash.
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x1024x24'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    let out = '';
    xvfb.once('error', reject);
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
    xvfb.stdio[3]!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve({ display: ':' + out.trim(), xvfb });
    });
  });
}

export default async function setup(): Promise<() => void> {
  console.log(`e2e engines: ${versions()}`);
  if (process.env.DISPLAY) return () => undefined;
  const { display, xvfb } = await startXvfb();
  process.env.DISPLAY = display;
  return () => {
    xvfb.removeAllListeners('exit');
    xvfb.kill();
  };
}
