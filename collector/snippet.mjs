// Renders the real paste-in snippet (snippet/snippet.min.js) for a page, the
// way a site owner would edit it: their site id, the URL of track.js and any
// extra data-* attributes of the <script id="cio-tracker"> it inserts.
//
// The snippet is edited by text substitution on its `src` placeholder and on
// its two `X.setAttribute(...)` calls. The patterns accept either quote style
// and any spacing, so they hold for the readable source and for terser's
// output (which rewrites quotes to double quotes, renames the element
// variable and joins the statements with commas).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './root.mjs';

/** `<element>.setAttribute(<q>name<q>, <q>value<q>)`; with `capture`, the element's variable name is group 1. */
const setAttributeCall = (name, value, capture = false) =>
  `${capture ? '([\\w$]+)' : '[\\w$]+'}\\.setAttribute\\(\\s*["']${name}["']\\s*,\\s*["']${value}["']\\s*\\)`;
const SITE_ID_CALL = new RegExp(setAttributeCall('data-site-id', 'YOUR_SITE_ID', true));
const ARRAY_PARAMS = setAttributeCall('data-use-array-params', 'true');
// The array-params call is removed with its separator: the comma before it
// when minified, its own line when readable.
const ARRAY_PARAMS_CALL = new RegExp(`,\\s*${ARRAY_PARAMS}|^[ \\t]*${ARRAY_PARAMS}\\s*;[ \\t]*\\n?`, 'm');
const SRC_PLACEHOLDER = /(["'])https:\/\/YOUR_HOST\/track\.js\1/;

/**
 * A JavaScript string literal that is also safe inside an HTML <script>
 * element: `<` is escaped so that a value can never close the element.
 */
const jsString = (value) => JSON.stringify(String(value)).replace(/</g, '\\u003c');

/** Replaces the one match of `pattern`; `replacement` is a function of the match (no `$` surprises). */
function replaceOnce(source, pattern, replacement, file) {
  if (!pattern.test(source)) {
    throw new Error(`${file} no longer contains ${pattern}: update collector/snippet.mjs to the snippet's new shape`);
  }
  return source.replace(pattern, replacement);
}

/**
 * @param {object} options
 * @param {string|null} options.siteId value of data-site-id (the placeholder YOUR_SITE_ID);
 *   null leaves the attribute out
 * @param {string} [options.src='/track.js'] URL of track.js (the placeholder https://YOUR_HOST/track.js)
 * @param {Record<string, string|boolean|number|null>} [options.attrs] extra attributes of the
 *   inserted <script>, e.g. { 'data-auto-track-page': 'false' }. They may also override
 *   data-use-array-params; a null value leaves that attribute out (e.g. to test its absence).
 * @param {string} [options.file] snippet file to read; defaults to <repo>/snippet/snippet.min.js
 * @returns {string} the text to put inside an inline <script> in <head>
 */
export function renderSnippet({ siteId, src = '/track.js', attrs = {}, file = join(REPO_ROOT, 'snippet', 'snippet.min.js') }) {
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') throw new Error(`${file} not found: run \`npm run build\` (it minifies snippet/snippet.js)`);
    throw error;
  }
  const wanted = { 'data-site-id': siteId, 'data-use-array-params': 'true', ...attrs };
  source = replaceOnce(source, SRC_PLACEHOLDER, () => jsString(src), file);
  source = replaceOnce(source, ARRAY_PARAMS_CALL, () => '', file);
  // All attributes are set where the site id was, as a comma expression of
  // setAttribute calls: that fits both a statement (readable source) and one
  // term of a comma expression (minified). With nothing to set, `void 0` does.
  return replaceOnce(source, SITE_ID_CALL, (_call, element) => {
    const calls = Object.entries(wanted)
      .filter(([, value]) => value != null)
      .map(([name, value]) => `${element}.setAttribute(${jsString(name)},${jsString(value)})`);
    return calls.length ? calls.join(',') : 'void 0';
  }, file);
}
