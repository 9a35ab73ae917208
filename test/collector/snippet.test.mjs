// @vitest-environment node
// The snippet renderer (collector/snippet.mjs), on every shape of the snippet.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { renderSnippet } from '../../collector/snippet.mjs';
import { SNIPPET_MIN, SNIPPET_SOURCE, SNIPPET_TRUSTED_TYPES, tempDir } from './helpers.mjs';

describe('renderSnippet', () => {
  /** Runs a rendered snippet against a minimal DOM; returns the `_cio` stub and the inserted <script>. */
  function runSnippet(code) {
    const inserted = [];
    const element = (tagName) => ({ tagName, attributes: {}, setAttribute(name, value) { this.attributes[name] = value; } });
    const document = {
      createElement: element,
      getElementsByTagName: () => [],
      head: { appendChild: (node) => inserted.push(node) },
    };
    const window = {};
    vm.runInNewContext(code, { window, document });
    expect(inserted).toHaveLength(1);
    return { cio: window._cio, script: inserted[0] };
  }

  const realMin = existsSync(SNIPPET_MIN) ? [['snippet/snippet.min.js', SNIPPET_MIN]] : [];
  const variants = () => {
    const dir = tempDir();
    const minified = existsSync(SNIPPET_MIN) ? readFileSync(SNIPPET_MIN, 'utf8') : null;
    const files = [['snippet/snippet.js (readable)', SNIPPET_SOURCE], ['snippet/snippet-trusted-types.js', SNIPPET_TRUSTED_TYPES], ...realMin];
    if (minified) {
      // terser may pick single quotes one day: the renderer must not care.
      writeFileSync(join(dir, 'single.js'), minified.replaceAll('"', "'"));
      files.push(['minified with single quotes', join(dir, 'single.js')]);
    }
    return files;
  };

  it('sets the site id, src and extra attributes, keeping the stub working, in every shape of the snippet', () => {
    for (const [label, file] of variants()) {
      const { cio, script } = runSnippet(renderSnippet({ siteId: 'site-42', src: 'https://cdn.example/track.js', attrs: { 'data-auto-track-page': 'false', 'data-debug': true }, file }));
      expect(script.attributes, label).toEqual({
        'data-site-id': 'site-42',
        'data-use-array-params': 'true',
        'data-auto-track-page': 'false',
        'data-debug': 'true',
      });
      expect(script.src, label).toBe('https://cdn.example/track.js');
      expect(script.id, label).toBe('cio-tracker');
      expect(script.async, label).toBe(true);
      cio.track('clicked', { a: 1 });
      expect(Array.from(cio), label).toEqual([['track', 'clicked', { a: 1 }]]);
    }
  });

  it('defaults src to /track.js and can leave attributes out with null', () => {
    for (const [label, file] of variants()) {
      const { script } = runSnippet(renderSnippet({ siteId: null, attrs: { 'data-use-array-params': null }, file }));
      expect(script.attributes, label).toEqual({});
      expect(script.src, label).toBe('/track.js');
      const { script: overridden } = runSnippet(renderSnippet({ siteId: 's', attrs: { 'data-use-array-params': 'false' }, file }));
      expect(overridden.attributes, label).toEqual({ 'data-site-id': 's', 'data-use-array-params': 'false' });
    }
  });

  it('cannot be broken out of its <script> by a value', () => {
    const hostile = '</script><script>alert(1)</script>';
    const code = renderSnippet({ siteId: hostile, file: SNIPPET_SOURCE });
    expect(code).not.toMatch(/<\/script/i);
    expect(runSnippet(code).script.attributes['data-site-id']).toBe(hostile);
  });

  it('says what to do when the file is missing or no longer has the placeholders', () => {
    const dir = tempDir();
    expect(() => renderSnippet({ siteId: 's', file: join(dir, 'snippet.min.js') })).toThrow(/not found: run `npm run build`/);
    writeFileSync(join(dir, 'changed.js'), 'var s = document.createElement("script"); s.dataset.siteId = "YOUR_SITE_ID";');
    expect(() => renderSnippet({ siteId: 's', file: join(dir, 'changed.js') })).toThrow(/update collector\/snippet\.mjs/);
  });

  it('the Trusted Types variant is snippet.js but for how the URL is set (the two are pasted whole, so they must not drift apart)', () => {
    const body = (file) => {
      const code = readFileSync(file, 'utf8');
      return code.slice(code.indexOf('(function (w, d) {'));
    };
    const trusted = body(SNIPPET_TRUSTED_TYPES);
    const urlBlock = /  var src = '(.*?)';\n[\s\S]*?    script\.src = src;\n  \} catch \(e\) \{\n    return;\n  \}\n/;
    expect(trusted).toMatch(urlBlock);
    expect(trusted.replace(urlBlock, "  script.src = '$1';\n")).toBe(body(SNIPPET_SOURCE));
  });
});
