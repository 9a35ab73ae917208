import { defineConfig } from 'vitest/config';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('./package.json', 'utf8'));

const E2E = ['test/e2e/**/*.test.ts'];

/**
 * One project per engine, run one after another (groupOrder) and one file at
 * a time: the machines have 2 shared cores and a browser each is plenty.
 */
const e2e = (engine, groupOrder, include, globalSetup = []) => ({
  extends: true,
  test: {
    globalSetup,
    name: `e2e-${engine}`,
    include,
    environment: 'node',
    env: { E2E_ENGINE: engine },
    sequence: { groupOrder },
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});

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
      // Every scenario file in every engine, written once against the engine-neutral
      // fixture (test/e2e/fixture.ts). The versions line first; the display for
      // WebKit (also when its project runs alone).
      e2e('chromium', 1, E2E, ['test/e2e/global-setup.ts']),
      e2e('firefox', 2, E2E),
      e2e('webkit', 3, E2E, ['test/e2e/global-setup.ts']),
    ],
  },
});
