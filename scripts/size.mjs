#!/usr/bin/env node
/**
 * `npm run size`: bytes of what visitors download — dist/track.js and the
 * minified snippet — minified, gzip and brotli, then what each source module
 * adds to track.js. `--check` exits 1 when track.js is over the budget.
 */
import { readFileSync, existsSync } from 'node:fs';
import { relative } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';
import { rollup } from 'rollup';
import { minify } from 'terser';
import config from '../rollup.config.mjs';
import { gzip, gzipFile } from './gzip-size.mjs';

/** README "Budgets": the budget CI enforces, and the goal. */
const BUDGET = 6144;
const GOAL = 4096;

const brotli = (text) =>
  brotliCompressSync(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const row = (cells, widths) => cells.map((c, i) => String(c)[i ? 'padStart' : 'padEnd'](widths[i])).join('  ');

const files = ['dist/track.js', 'snippet/snippet.min.js'];
for (const file of files)
  if (!existsSync(file)) {
    console.error(`${file} is missing: run \`npm run build\` first.`);
    process.exit(1);
  }

const widths = [24, 9, 7, 7];
console.log(row(['file', 'minified', 'gzip', 'brotli'], widths));
const sizes = {};
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  sizes[file] = gzipFile(file);
  console.log(row([file, text.length, sizes[file], brotli(text)], widths));
}

// Per module: each module's code as rollup renders it into track.js,
// minified and gzipped on its own (so the column sums to more than the
// whole: gzip shares strings across modules).
const iife = config[0];
const bundle = await rollup({ input: iife.input, plugins: iife.plugins.filter((p) => p.name !== 'terser'), onwarn() {} });
const { output } = await bundle.generate({ format: 'es' });
const modules = Object.entries(output[0].modules)
  .filter(([, m]) => m.code)
  .map(([id, m]) => ({ id: relative(process.cwd(), id), code: m.code }));
console.log('\nper module (minified alone)');
console.log(row(['module', 'minified', 'gzip'], [24, 9, 7]));
for (const { id, code } of modules) {
  const min = (await minify(code, { toplevel: true, compress: { passes: 2, unused: false } })).code || '';
  console.log(row([id, min.length, gzip(min)], [24, 9, 7]));
}

const total = sizes['dist/track.js'];
console.log(`\ndist/track.js: ${total} bytes gzip (budget ${BUDGET}, goal ${GOAL})`);
if (process.argv.includes('--check') && total > BUDGET) {
  console.error(`FAIL: dist/track.js is ${total} bytes gzip, over the ${BUDGET}-byte budget (README, "Budgets").`);
  process.exit(1);
}
