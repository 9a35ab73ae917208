// @vitest-environment node
// The demo site (collector/pages.mjs): pages with the real snippet in <head>
// and the "Received by the collector" panel.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_SITE_ID } from '../../collector/server.mjs';
import { renderSnippet } from '../../collector/snippet.mjs';
import { fixtureRoot, start } from './helpers.mjs';

describe('demo pages', () => {
  it('serves demo pages with the snippet, its site id and /track.js, and a link to the live view', async () => {
    const root = fixtureRoot();
    const collector = await start({ root });
    const file = join(root, 'snippet', 'snippet.min.js');
    const pages = {
      '/': renderSnippet({ siteId: DEMO_SITE_ID, src: '/track.js', file }),
      '/products': renderSnippet({ siteId: DEMO_SITE_ID, src: '/track.js', file }),
      '/no-auto': renderSnippet({ siteId: DEMO_SITE_ID, src: '/track.js', attrs: { 'data-auto-track-page': 'false' }, file }),
    };
    for (const [path, snippet] of Object.entries(pages)) {
      const response = await fetch(collector.url + path);
      expect(response.status).toBe(200);
      const html = await response.text();
      const head = html.slice(0, html.indexOf('</head>'));
      expect(head).toContain(`<script>\n${snippet}\n  </script>`);
      expect(html).toContain('href="/live"');
      // The "Received by the collector" panel, fed by the live view's shared script.
      expect(html).toContain('<div id="received-entries" data-max-rows="20"></div>');
      expect(html.indexOf('<script src="/assets/events-view.js"></script>')).toBeGreaterThan(-1);
      expect(html.indexOf('<script src="/assets/events-view.js"></script>')).toBeLessThan(html.indexOf('<script src="/assets/demo.js"></script>'));
    }
    expect(pages['/no-auto']).toContain('script.setAttribute("data-auto-track-page","false")');
    const home = await (await fetch(`${collector.url}/`)).text();
    expect(home).toContain('{ useArrayParams: false }');
    expect(home).toContain('_cio.identify({ id: form.get(\'id\'), email: form.get(\'email\') })');
    expect(home).toContain("() => _cio.consent('granted', { analytics: true, advertising: false })");
    expect(home).toContain("() => _cio.consent('denied')");
    expect(home).toContain('href="/products?category=shoes&amp;color=red&amp;color=blue&amp;utm_source=demo&amp;utm_campaign=launch"');
    expect(await (await fetch(`${collector.url}/no-auto`)).text()).toContain('() => _cio.page()');
  });

  it('says to build when the snippet is missing', async () => {
    const root = fixtureRoot();
    rmSync(join(root, 'snippet', 'snippet.min.js'));
    const collector = await start({ root });
    const response = await fetch(`${collector.url}/`);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('run `npm run build`');
  });
});
