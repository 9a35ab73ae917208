// @vitest-environment node
// What the live view (collector/public/live.html, live.js, events-view.js)
// and the demo page's panel show: the real pages from a real collector,
// loaded in jsdom. jsdom has no EventSource: the page gets one that the test
// feeds with the collector's own updates, as /api/stream sends them.
import { JSDOM, VirtualConsole } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { message, onCleanup, post, postBatch, start, ulid } from './helpers.mjs';

/**
 * Opens `path` of the collector in jsdom, its scripts run; resolves once they
 * have, with the page's document and the errors jsdom reported so far (live).
 */
async function openPage(collector, path) {
  const sources = [];
  const errors = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (error) => errors.push(error.message));
  class FakeEventSource {
    constructor(url) {
      this.url = url;
      this.listeners = {};
      sources.push(this);
    }
    addEventListener(type, listener) {
      (this.listeners[type] ??= []).push(listener);
    }
    dispatch(type, data) {
      for (const listener of this.listeners[type] ?? []) listener({ data: JSON.stringify(data) });
    }
  }
  const dom = await JSDOM.fromURL(collector.url + path, {
    runScripts: 'dangerously',
    resources: 'usable',
    virtualConsole,
    beforeParse(window) {
      window.EventSource = FakeEventSource;
      window.fetch = (url, options) => fetch(new URL(url, collector.url), options);
    },
  });
  onCleanup(() => dom.window.close());
  if (dom.window.document.readyState !== 'complete') await new Promise((done) => dom.window.addEventListener('load', done));
  expect(sources.map((source) => source.url)).toEqual(['/api/stream']);
  const [stream] = sources;
  // What /api/stream would send from now on.
  onCleanup(collector.store.subscribe((update) => stream.dispatch(update.type, update)));
  stream.dispatch('open');
  return { document: dom.window.document, errors };
}

const rowTexts = (document, selector) =>
  Array.from(document.querySelectorAll(`${selector} > details > summary`), (summary) =>
    Array.from(summary.children, (cell) => cell.textContent),
  );

const CONSENT = { categoryPreferences: { analytics: true, advertising: false } };

describe('live view', () => {
  it('lists stored and arriving messages, newest first, with their data, consent and reasons', async () => {
    const collector = await start();
    await postBatch(collector, [message(1)]);
    const { document, errors } = await openPage(collector, '/live');
    await expect.poll(() => rowTexts(document, '#entries').length).toBe(1);
    expect(document.getElementById('empty').hidden).toBe(true);

    const withConsent = message(2, { context: { ...message(2).context, consent: CONSENT } });
    await postBatch(collector, [withConsent, message(1), message(3, { anonymousId: '' })]);
    await post(collector, 'nope');
    await expect.poll(() => rowTexts(document, '#entries').length).toBe(5);

    const [refused, rejected, duplicate, consented, first] = rowTexts(document, '#entries');
    expect(refused).toEqual(['HTTP 400', 'body of 4 B', expect.stringMatching(/^body is not valid JSON/)]);
    expect(rejected).toEqual(['trackrejected', 'event_3', '', '', ulid(3), message(3).timestamp, '{"n":3}', expect.stringMatching(/anonymousId must be a non-empty string/)]);
    expect(duplicate).toEqual(['trackduplicate', 'event_1', 'anon-1', '', ulid(1), message(1).timestamp, '{"n":1}', 'messageId already received: not stored again']);
    expect(consented).toEqual(['track', 'event_2', 'anon-1', '', ulid(2), message(2).timestamp, '{"n":2}consent\u2713 analytics\u2717 advertising']);
    expect(first).toEqual(['track', 'event_1', 'anon-1', '', ulid(1), message(1).timestamp, '{"n":1}']);

    const chips = document.querySelectorAll('#entries .consent .chip');
    expect(Array.from(chips, (chip) => [chip.className, chip.textContent])).toEqual([
      ['chip on', '\u2713 analytics'],
      ['chip off', '\u2717 advertising'],
    ]);
    const counts = ['events', 'requests', 'duplicates', 'rejected'].map((key) => document.getElementById(`count-${key}`).textContent);
    expect(counts).toEqual(['2', '3', '1', '1']);
    // Each row opens on its whole payload.
    expect(JSON.parse(document.querySelector('#entries .kind-request .payload').textContent)).toMatchObject({ status: 400, bytes: 4 });
    expect(errors).toEqual([]);
  });

  it('shows a consent value that is not a boolean as it is', async () => {
    const collector = await start();
    const { document, errors } = await openPage(collector, '/live');
    const consent = { categoryPreferences: { analytics: 'yes' } };
    await postBatch(collector, [message(1, { context: { ...message(1).context, consent } })]);
    await expect.poll(() => document.querySelectorAll('#entries .chip').length).toBe(1);
    const chip = document.querySelector('#entries .chip');
    expect([chip.className, chip.textContent]).toEqual(['chip odd', 'analytics: "yes"']);
    expect(errors).toEqual([]);
  });
});

describe('demo panel', () => {
  it('shows what arrives compactly, and says to build when dist/track.js is missing', async () => {
    const collector = await start(); // its root has no dist/
    const { document, errors } = await openPage(collector, '/');
    const warning = document.getElementById('build-warning');
    await expect.poll(() => warning.hidden).toBe(false);
    expect(warning.textContent).toContain('dist/track.js is missing: run `npm run build`');

    await postBatch(collector, [message(1, { context: { ...message(1).context, consent: CONSENT } })]);
    await expect.poll(() => rowTexts(document, '#received-entries').length).toBe(1);
    const [[type, name, time, extra]] = rowTexts(document, '#received-entries');
    expect([type, name, extra]).toEqual(['track', 'event_1', '{"n":1}consent\u2713 analytics\u2717 advertising']);
    expect(time).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(document.getElementById('received-status').textContent).toBe('live');
    expect(errors).toEqual([`Could not load script: "${collector.url}/track.js"`]); // the missing build, and nothing else
  });
});
