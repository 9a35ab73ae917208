/** Console output, always prefixed so a site owner can tell it came from us. */
const say = (method: 'warn' | 'log', args: unknown[]) => {
  try {
    console[method]('[cio-track]', ...args);
  } catch {
    // A page that replaced console with something broken still must not see us throw.
  }
};

export const warn = (...args: unknown[]): void => say('warn', args);

/** `data-debug="true"`: one line per call and per request. */
export const debugLogger = (on: boolean) => (on ? (...args: unknown[]): void => say('log', args) : () => {});
