import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchHistory } from '../../src/spa';
import { freshWindow } from './helpers';

/** Watches `url`'s history; `titles()` lists the title the page had at each call. */
function watch(url: string) {
  const win = freshWindow(url);
  const titles: string[] = [];
  const onChange = vi.fn(() => titles.push(win.document.title));
  watchHistory(win, onChange);
  return { win, onChange, titles };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('watchHistory', () => {
  it('calls back when pushState or replaceState change the path or query, not the hash alone', async () => {
    const { win, onChange } = watch('https://app.example.com/start');
    win.history.pushState({ a: 1 }, '', '/next');
    await vi.advanceTimersByTimeAsync(2000);
    win.history.replaceState(null, '', '/next?tab=2');
    await vi.advanceTimersByTimeAsync(2000);
    win.history.pushState(null, '', '/next?tab=2#section');
    win.history.replaceState(null, '', '/next?tab=2');
    await vi.advanceTimersByTimeAsync(2000);
    expect(onChange).toHaveBeenCalledTimes(2);
    expect(win.location.pathname + win.location.search).toBe('/next?tab=2');
    expect(win.history.state).toBeNull();
  });

  it('sends nothing for a pushState to the URL already current', async () => {
    const { win, onChange } = watch('https://app.example.com/same?q=1');
    win.history.pushState({ again: true }, '', '/same?q=1');
    win.history.replaceState(null, '', 'https://app.example.com/same?q=1');
    await vi.advanceTimersByTimeAsync(2000);
    expect(onChange).not.toHaveBeenCalled();
  });

  it('waits for the title the app sets after navigating, and no longer', async () => {
    const { win, onChange, titles } = watch('https://app.example.com/a');
    win.document.title = 'A';
    win.history.pushState(null, '', '/b');
    expect(onChange).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(120);
    // Turbo renders the new <title> once the page arrived.
    win.document.title = 'B';
    await vi.advanceTimersByTimeAsync(60);
    expect(titles).toEqual(['B']);
  });

  it('gives up waiting for a new title after a second', async () => {
    const { win, titles } = watch('https://app.example.com/a');
    win.document.title = 'Same everywhere';
    win.history.pushState(null, '', '/b');
    await vi.advanceTimersByTimeAsync(900);
    expect(titles).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(titles).toEqual(['Same everywhere']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(titles).toHaveLength(1);
    // Nothing left armed once it is sent.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts a redirect once, for where it led', async () => {
    const { win, onChange } = watch('https://app.example.com/a');
    const paths: string[] = [];
    onChange.mockImplementation(() => paths.push(win.location.pathname));
    win.history.pushState(null, '', '/login');
    await vi.advanceTimersByTimeAsync(60);
    win.history.replaceState(null, '', '/account');
    await vi.advanceTimersByTimeAsync(2000);
    expect(paths).toEqual(['/account']);
  });

  it('sends a navigation still waiting when the page goes away', async () => {
    const { win, titles } = watch('https://app.example.com/a');
    win.document.title = 'A';
    win.history.pushState(null, '', '/b');
    win.dispatchEvent(new win.Event('pagehide'));
    expect(titles).toEqual(['A']);
    win.dispatchEvent(new win.Event('pagehide'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(titles).toEqual(['A']);
  });

  it('calls back on popstate (back button) when the URL moved, once per move', async () => {
    const { win, onChange } = watch('https://app.example.com/a');
    win.history.pushState(null, '', '/b');
    await vi.advanceTimersByTimeAsync(2000);
    expect(onChange).toHaveBeenCalledTimes(1);
    const popped = new Promise((resolve) => win.addEventListener('popstate', resolve, { once: true }));
    win.history.back();
    await vi.waitFor(() => popped, { timeout: 5000, interval: 10 });
    // The hashchange of the same navigation (a back from /b#x to /a#y fires both) adds nothing.
    win.dispatchEvent(new win.HashChangeEvent('hashchange'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(win.location.pathname).toBe('/a');
    expect(onChange).toHaveBeenCalledTimes(2);
    win.dispatchEvent(new win.PopStateEvent('popstate'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(onChange).toHaveBeenCalledTimes(2);
  });
});
