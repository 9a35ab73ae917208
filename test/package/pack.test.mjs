// What `npm publish` would ship: exactly what a user needs, nothing internal.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm pack', () => {
  it('ships the two builds, one declaration file each for the module and the global, and the snippet', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }));
    expect(pack.files.map((f) => f.path).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist/index.d.ts',
      'dist/track.esm.js',
      'dist/track.js',
      'package.json',
      'snippet/snippet.js',
      'snippet/snippet.min.js',
      'types/global.d.ts',
    ]);
  });
});
