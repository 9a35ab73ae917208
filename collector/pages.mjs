// The demo site: a few pages with the real snippet in <head>, as a site owner
// would paste it. Each page declares its actions as small functions that call
// `_cio`; /assets/demo.js turns them into buttons that show their own code,
// and shows beside them what the collector receives (/assets/events-view.js).

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]);

const PRODUCTS_URL = '/products?category=shoes&color=red&color=blue&utm_source=demo&utm_campaign=launch';

const nav = `
  <nav class="topbar">
    <strong class="brand">cio-track demo</strong>
    <a href="/">Home</a>
    <a href="${escapeHtml(PRODUCTS_URL)}">Products</a>
    <a href="/no-auto">No auto page</a>
    <a class="live-link" href="/live" target="cio-live">Live view &#8599;</a>
  </nav>`;

/** How many rows the "Received by the collector" panel keeps. */
const RECEIVED_ROWS = 20;

/**
 * Demo pages by path. `attrs` are the extra attributes of the snippet's
 * <script>; `body` is trusted HTML; `script` is the inline script of the page.
 */
export const DEMO_PAGES = {
  '/': {
    title: 'Home',
    attrs: {},
    body: `
    <section>
      <h1>cio-track demo</h1>
      <p>This page has the cio-track snippet in its <code>&lt;head&gt;</code> (site id <code>demo-site</code>,
      arrays kept). Loading it sent an automatic <code>page</code> event. Each button below calls the SDK;
      the events appear in the panel beside them as the collector receives them (the
      <a href="/live" target="cio-live">live view</a> shows every field).</p>
    </section>
    <section>
      <h2>Track events</h2>
      <div id="actions" class="actions"></div>
    </section>
    <section>
      <h2>Identify</h2>
      <form id="identify" class="identify">
        <label>Id <input name="id" required value="user-42" autocomplete="off"></label>
        <label>Email <input name="email" type="email" value="ada@example.com" autocomplete="off"></label>
        <button type="submit" class="action"><code>_cio.identify({ id, email })</code></button>
      </form>
      <div id="reset" class="actions"></div>
    </section>
    <section>
      <h2>Consent</h2>
      <p>The visitor's decision, as a consent manager would pass it on. The categories of a grant go on every
      later message as <code>context.consent.categoryPreferences</code> (the chips under its row); after a
      denial nothing is sent, and the IDs are deleted, until the next grant. The decision is remembered.</p>
      <div id="consent" class="actions"></div>
    </section>
    <section>
      <h2>Page with query data</h2>
      <p><a href="${escapeHtml(PRODUCTS_URL)}">${escapeHtml(PRODUCTS_URL)}</a>: its automatic page event carries the
      query parameters as data (<code>color</code> twice becomes an array) and the <code>utm_*</code> ones as
      <code>context.campaign</code>.</p>
    </section>`,
    script: `
      demoActions(document.getElementById('actions'), [
        () => _cio.track('added_to_cart', { price: '23.45', item_type: 'shoes', sku: 12345 }),
        () => _cio.track('checkout_started', {
          cart: { items: [{ sku: 'A1', qty: 2 }, { sku: 'B7', qty: 1 }], total: 59.9, currency: 'EUR' },
          coupons: ['WELCOME', 'FREESHIP'],
          gift: false,
        }),
        () => _cio.track('tags_chosen', { tags: ['red', 'blue'], grid: [[1, 2], [3, 4]] }, { useArrayParams: false }),
        () => { for (let i = 1; i <= 25; i++) _cio.track('burst', { i }); },
      ]);
      demoActions(document.getElementById('reset'), [() => _cio.reset()]);
      demoActions(document.getElementById('consent'), [
        () => _cio.consent('granted', { analytics: true, advertising: false }),
        () => _cio.consent('denied'),
      ]);
      document.getElementById('identify').addEventListener('submit', (event) => {
        event.preventDefault();
        const form = new FormData(event.target);
        _cio.identify({ id: form.get('id'), email: form.get('email') });
        refreshIdentity();
      });`,
  },

  '/products': {
    title: 'Products',
    attrs: {},
    body: `
    <section>
      <h1>Products</h1>
      <p>The automatic page event of this page has <code>properties</code> from the query string
      (<code>category</code>, <code>color</code> as an array, the <code>utm_*</code> parameters) and
      <code>context.campaign</code> <code>{ source: "demo", name: "launch" }</code>.</p>
      <div id="actions" class="actions"></div>
    </section>`,
    script: `
      demoActions(document.getElementById('actions'), [
        () => _cio.track('added_to_cart', { sku: 'RUN-01', name: 'Running shoe', price: 89, colors: ['red', 'blue'] }),
        () => _cio.track('added_to_cart', { sku: 'TRL-07', name: 'Trail shoe', price: 119, colors: ['green'] }),
        () => _cio.track('wishlist_viewed', { items: [] }),
      ]);`,
  },

  '/no-auto': {
    title: 'No automatic page event',
    attrs: { 'data-auto-track-page': 'false' },
    body: `
    <section>
      <h1>No automatic page event</h1>
      <p>Here the snippet sets <code>data-auto-track-page="false"</code>: loading this page sent nothing.
      Page events are sent by hand.</p>
      <div id="actions" class="actions"></div>
    </section>`,
    script: `
      demoActions(document.getElementById('actions'), [
        () => _cio.page(),
        () => _cio.page('Pricing', { plan: 'pro', seats: 3 }),
      ]);`,
  },
};

function layout({ title, head = '', body, mainClass }) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · cio-track demo</title>
  <link rel="stylesheet" href="/assets/style.css">${head}
</head>
<body>${nav}
  <main${mainClass ? ` class="${mainClass}"` : ''}>${body}
  </main>
</body>
</html>
`;
}

/**
 * @param {{ title: string, body: string, script: string }} page one of DEMO_PAGES
 * @param {string} snippet the rendered snippet (see renderSnippet)
 */
export function renderDemoPage(page, snippet) {
  return layout({
    title: page.title,
    // The snippet comes first in <head>, exactly where a site owner pastes it.
    head: `\n  <script>\n${snippet}\n  </script>`,
    mainClass: 'demo',
    body: `
    <div class="demo-content">${page.body}
    <aside id="identity" class="identity" aria-live="polite"></aside>
    <p id="build-warning" class="warning" hidden></p>
    </div>
    <aside id="received" class="received" aria-labelledby="received-title">
      <div class="received-head">
        <h2 id="received-title">Received by the collector</h2>
        <span id="received-status" class="status">connecting…</span>
      </div>
      <p class="received-note">The last ${RECEIVED_ROWS} entries, newest first; click one for its JSON.
      <a href="/live" target="cio-live">Full live view &#8599;</a></p>
      <p id="received-empty" class="empty">Nothing yet: click a button.</p>
      <div id="received-entries" data-max-rows="${RECEIVED_ROWS}"></div>
    </aside>
    <script src="/assets/events-view.js"></script>
    <script src="/assets/demo.js"></script>
    <script>${page.script}
    </script>`,
  });
}

/** A page that says what went wrong; `message` is escaped. */
export function renderErrorPage(title, message) {
  return layout({ title, body: `\n    <section><h1>${escapeHtml(title)}</h1><p class="warning">${escapeHtml(message)}</p></section>` });
}
