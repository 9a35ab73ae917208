import { defineConfig } from 'vitest/config';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('./package.json', 'utf8'));

export default defineConfig({
  define: { __VERSION__: JSON.stringify(version) },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'jsdom' },
      },
      {
        extends: true,
        test: { name: 'collector', include: ['test/collector/**/*.test.mjs'], environment: 'node' },
      },
      {
        // The published package, as a user installs it: run after the build.
        extends: true,
        test: { name: 'package', include: ['test/package/**/*.test.{ts,mjs}'], environment: 'jsdom' },
      },
      {
        // Real headless Chromium against the real collector: one file at a time on 2 cores.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 90_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
