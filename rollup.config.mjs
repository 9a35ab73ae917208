import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { readFileSync } from 'node:fs';
import dts from 'rollup-plugin-dts';

const { version } = JSON.parse(readFileSync('./package.json', 'utf8'));

// The library version is baked in at build time so that it costs no runtime lookup.
const define = () => ({
  name: 'define-version',
  transform: (code) => ({ code: code.replace(/__VERSION__/g, JSON.stringify(version)), map: null }),
});

const minify = terser({
  ecma: 2020,
  compress: { passes: 3, pure_getters: true, unsafe_arrows: true, unsafe_methods: true },
  format: { comments: false },
});

export default [
  {
    // The file the snippet loads: one self-contained, minified IIFE.
    input: 'src/auto.ts',
    output: { file: 'dist/track.js', format: 'iife', sourcemap: false, strict: false },
    plugins: [define(), resolve({ browser: true }), typescript({ declaration: false, declarationDir: undefined, outDir: 'dist' }), minify],
  },
  {
    // For bundlers: `import { init } from 'cio-track'`, with types.
    input: 'src/index.ts',
    output: { file: 'dist/track.esm.js', format: 'es' },
    plugins: [define(), resolve({ browser: true }), typescript({ declaration: false, declarationDir: undefined, outDir: 'dist' })],
  },
  {
    // Its types, as one file: the public ones only, not a .d.ts per internal module.
    input: 'src/index.ts',
    output: { file: 'dist/index.d.ts', format: 'es' },
    plugins: [dts()],
  },
  {
    // The paste-in snippet, minified from its readable source.
    input: 'snippet/snippet.js',
    output: { file: 'snippet/snippet.min.js', format: 'es' },
    plugins: [terser({ compress: { passes: 2 }, format: { comments: false } })],
  },
];
