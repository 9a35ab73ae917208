// @vitest-environment node
// `npm start` (collector/cli.mjs): what it prints, its batch log, Ctrl-C,
// and what it says when the port is taken.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../collector/root.mjs';
import { envelope, message, onCleanup, start, tempDir } from './helpers.mjs';

describe('the CLI', () => {
  /** Runs collector/cli.mjs; resolves with its output once `ready(stdout)` holds or it exits. */
  function runCli(env, ready = () => false) {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'collector', 'cli.mjs')], {
      env: { ...process.env, CIO_DATA_DIR: tempDir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onCleanup(() => child.exitCode === null && child.kill('SIGKILL'));
    const output = { stdout: '', stderr: '', child };
    output.exited = new Promise((done) => child.on('exit', (code) => done(code)));
    return new Promise((done) => {
      child.stdout.on('data', (chunk) => {
        output.stdout += chunk;
        if (ready(output.stdout)) done(output);
      });
      child.stderr.on('data', (chunk) => (output.stderr += chunk));
      output.exited.then(() => done(output));
    });
  }

  it('prints the URLs, logs each batch in one line and stops cleanly on SIGINT', async () => {
    const cli = await runCli({ PORT: '0' }, (stdout) => stdout.includes('Press Ctrl-C'));
    const base = /Demo site: {2}(http:\/\/localhost:\d+)\//.exec(cli.stdout)?.[1];
    expect(base).toBeDefined();
    expect(cli.stdout).toContain(`Live view:  ${base}/live`);
    expect(cli.stdout).toContain(`Ingestion:  POST ${base}/v1/batch`);

    const url = base.replace('localhost', '127.0.0.1');
    const response = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(envelope([message(1), message(1)])) });
    expect(response.status).toBe(200);
    await expect.poll(() => cli.stdout).toMatch(/POST \/v1\/batch 200 {2}site-1 {2}2 messages: 1 accepted, 1 duplicates, 0 rejected/);

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.stdout).toContain('Stopped.');
  });

  it('explains what to do when the port is taken', async () => {
    const collector = await start();
    const cli = await runCli({ PORT: String(collector.port) });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr).toContain(`Port ${collector.port} is already in use`);
    expect(cli.stderr).toContain(`PORT=${collector.port + 1} npm start`);
    expect(cli.stderr).toContain(`by a cio-track collector: \`npm start\` is running already`);
    expect(cli.stderr).toContain(`live view: http://localhost:${collector.port}/live`);
  });

  it('tells another server on the port from a collector', async () => {
    const other = createServer((req, res) => res.end('not a collector'));
    await new Promise((done) => other.listen(0, '127.0.0.1', done));
    onCleanup(() => new Promise((done) => other.close(done)));
    const { port } = other.address();
    const cli = await runCli({ PORT: String(port) });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr).toBe(`Port ${port} is already in use (another server is running there).\nStop it, or start on another port:  PORT=${port + 1} npm start\n`);
  });
});
