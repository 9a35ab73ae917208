// Measures dist/track.js gzip for the current tree (one number).
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import { minify } from 'terser';
import { gzipSync } from 'node:zlib';
const b = await rollup({ input: 'src/auto.ts', plugins: [resolve({ browser: true }), typescript({ declaration: false, declarationDir: undefined, outDir: 'dist', noEmitOnError: false })], onwarn() {} });
const { output } = await b.generate({ format: 'iife', strict: false });
const code = output[0].code.replace(/__VERSION__/g, '"0.1.0"');
const PUBLIC = ['_cio','track','page','identify','sidentify','reset','consent','on','off','flush','push','version','load','status','reason','dropped','state','categories','at','useArrayParams','id','email','userId','event','library','name','path','url','search','title','referrer','userAgent','locale','timezone','screen','width','height','campaign','source','medium','term','content','message','Now','timeZoneId','globalPrivacyControl','persisted','keepalive','credentials','signal','timeout'];
const r = await minify(code, { ecma: 2020, compress: { passes: 3, pure_getters: true, unsafe_arrows: true, unsafe_methods: true }, mangle: { properties: { reserved: PUBLIC } }, format: { comments: false } });
console.log(gzipSync(r.code, { level: 9 }).length);
