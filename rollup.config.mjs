import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { readFileSync } from 'node:fs';
import dts from 'rollup-plugin-dts';
// Not in terser's exports map: read by path, for its list of DOM property names.
import { domprops } from './node_modules/terser/tools/domprops.js';

const { version } = JSON.parse(readFileSync('./package.json', 'utf8'));

// The library version is baked in at build time so that it costs no runtime lookup.
const define = () => ({
  name: 'define-version',
  transform: (code) => ({ code: code.replace(/__VERSION__/g, JSON.stringify(version)), map: null }),
});

/**
 * Names that leave the bundle, so the minifier must keep them: the `_cio`
 * API, what listeners are given, the wire format's keys (written as object
 * literals in message.ts), the stored consent decision, and the few
 * platform properties terser's own list of DOM names lacks. Every other
 * property is internal and gets a short name.
 */
const PUBLIC = [
  // _cio and what listeners get
  '_cio', 'track', 'page', 'identify', 'sidentify', 'reset', 'consent', 'on', 'off', 'flush', 'push', 'version', 'load',
  'status', 'reason', 'dropped', 'state', 'categories', 'at',
  // what callers pass
  'useArrayParams', 'id', 'email',
  // the wire format
  'userId', 'event', 'library', 'name', 'path', 'url', 'search', 'title', 'referrer', 'userAgent', 'locale', 'timezone',
  'screen', 'width', 'height', 'campaign', 'source', 'medium', 'term', 'content', 'message', 'restored',
  // platform
  'Temporal', 'Now', 'timeZoneId', 'globalPrivacyControl', 'persisted', 'keepalive', 'credentials', 'signal', 'timeout',
];

/**
 * Internal names that are also the name of some DOM or built-in property
 * somewhere, which terser therefore keeps whole by default: none of them is
 * read from a platform object in src/, so they are ours to shorten.
 */
const OURS = [
  'add', 'adopt', 'changed', 'clear', 'debug', 'delivery', 'drop', 'emit', 'endpoint', 'events', 'identity', 'messages',
  'queue', 'remove', 'run', 'save', 'set', 'start', 'transport',
];

/** What terser keeps by default (its list of DOM properties and those of the built-ins), but for OURS. */
const platformNames = () => {
  const names = new Set([...domprops, 'null', 'true', 'false', 'NaN', 'Infinity', '-Infinity', 'undefined']);
  const builtins = [Object, Array, Function, Number, String, Boolean, Error, Math, Date, RegExp, Symbol, ArrayBuffer,
    DataView, decodeURI, decodeURIComponent, encodeURI, encodeURIComponent, EvalError, Float32Array, Float64Array,
    Int8Array, Int16Array, Int32Array, isFinite, isNaN, JSON, Map, parseFloat, parseInt, Promise, Proxy, RangeError,
    ReferenceError, Reflect, Set, SyntaxError, TypeError, Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array,
    URIError, WeakMap, WeakSet];
  for (const builtin of builtins) {
    for (const name of Object.getOwnPropertyNames(builtin)) names.add(name);
    if (builtin.prototype) for (const name of Object.getOwnPropertyNames(builtin.prototype)) names.add(name);
  }
  for (const name of OURS) names.delete(name);
  return [...names];
};

/**
 * V8's explicit compile hint (Chromium 136+; other engines read a comment):
 * nearly every function of track.js runs on load, so V8 compiles them all in
 * one pass rather than pre-parsing each and parsing it again at its first
 * call. Added after the minifier, which drops comments. Measured on first
 * visits, loads alternating with a build without it: ScriptDuration median
 * 17.6 → 13.1 ms (31 pairs), 18.3 → 15.4 ms in a busier hour (21 pairs).
 */
const compileHint = () => ({
  name: 'compile-hint',
  renderChunk: (code) => ({ code: '//# allFunctionsCalledOnLoad\n' + code, map: null }),
});

/**
 * After the minifier: every `const` declared as `let`, and neighbouring
 * declarations then joined into one (`let a=1,b=2` where `const a=1;let b=2`
 * stood): 54 B gzip. The same program, since TypeScript has checked that no
 * constant is ever assigned; the source keeps `const` for its readers. Done
 * on the minified code, whose names and inlining are settled by then: done
 * before, it saves half as much.
 */
const letForConst = () => ({
  name: 'let-for-const',
  renderChunk(code) {
    const starts = [];
    const walk = (node) => {
      if (node && typeof node == 'object') {
        if (node.type == 'VariableDeclaration' && node.kind == 'const') starts.push(node.start);
        for (const value of Object.values(node)) walk(value);
      }
    };
    walk(this.parse(code));
    for (const start of starts.sort((a, b) => b - a)) {
      if (code.slice(start, start + 5) != 'const') throw new Error(`let-for-const: no const at ${start}`);
      code = code.slice(0, start) + 'let' + code.slice(start + 5);
    }
    return { code, map: null };
  },
});
const joinDeclarations = terser({ ecma: 2020, compress: { defaults: false, join_vars: true }, mangle: false, format: { comments: false } });

const minify = terser({
  ecma: 2020,
  // unsafe_methods off: it rewrites `{ f: (x) => y }` as the longer `{ f(x) { return y } }`.
  // unsafe_comps on (-7 B): it may turn `!(a < b)` into `a >= b`, which differs only when an
  // operand is NaN. The ones it turns today are counts and HTTP statuses, never NaN; a time
  // compared with a stored value (consent's `at`, a queue's lease) can be NaN, and there it only
  // swaps the operands, which is exact. Keep such a comparison un-negated.
  compress: { passes: 3, pure_getters: true, unsafe_arrows: true, unsafe_comps: true, unsafe_methods: false },
  // builtins: the reserved list below is terser's own default, less OURS.
  mangle: { properties: { builtins: true, reserved: [...PUBLIC, ...platformNames()] } },
  format: { comments: false },
});

export default [
  {
    // The file the snippet loads: one self-contained, minified IIFE.
    input: 'src/auto.ts',
    output: { file: 'dist/track.js', format: 'iife', sourcemap: false, strict: false },
    plugins: [define(), resolve({ browser: true }), typescript({ declaration: false, declarationDir: undefined, outDir: 'dist' }), minify, letForConst(), joinDeclarations, compileHint()],
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
