/**
 * Gzip sizes as `npm run size` and `npm run bench` both report them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** Bytes of `text` after zlib at level 9. */
export const gzip = (text) => gzipSync(text, { level: 9 }).length;

/**
 * A file's gzip size as the spec measures it, `gzip -9 -c FILE | wc -c`
 * (a few dozen bytes over Node's zlib); zlib where there is no gzip command.
 */
export const gzipFile = (file) => {
  try {
    return execFileSync('gzip', ['-9', '-c', file]).length;
  } catch {
    return gzip(readFileSync(file));
  }
};
