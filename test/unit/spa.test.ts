import { describe, expect, it, vi } from 'vitest';
import { watchHistory } from '../../src/spa';
import { freshWindow } from './helpers';

describe('watchHistory', () => {
  it('calls back when pushState or replaceState change the path or query, not the hash alone', () => {
    const win = freshWindow('https://app.example.com/start');
    const onChange = vi.fn();
    watchHistory(win, onChange);
    win.history.pushState({ a: 1 }, '', '/next');
    win.history.replaceState(null, '', '/next?tab=2');
    win.history.pushState(null, '', '/next?tab=2#section');
    win.history.replaceState(null, '', '/next?tab=2');
    expect(onChange).toHaveBeenCalledTimes(2);
    expect(win.location.pathname + win.location.search).toBe('/next?tab=2');
    expect(win.history.state).toBeNull();
  });

  it('calls back on popstate (back button) when the URL moved, once per move', async () => {
    const win = freshWindow('https://app.example.com/a');
    const onChange = vi.fn();
    watchHistory(win, onChange);
    win.history.pushState(null, '', '/b');
    expect(onChange).toHaveBeenCalledTimes(1);
    const popped = new Promise((resolve) => win.addEventListener('popstate', resolve, { once: true }));
    win.history.back();
    await popped;
    expect(win.location.pathname).toBe('/a');
    expect(onChange).toHaveBeenCalledTimes(2);
    win.dispatchEvent(new win.PopStateEvent('popstate'));
    expect(onChange).toHaveBeenCalledTimes(2);
  });
});
