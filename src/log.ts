/** Console output, always prefixed so a site owner can tell it came from us. */
const say =
  (method: 'warn' | 'log') =>
  (...args: unknown[]): void => {
    try {
      console[method]('[cio-track]', ...args);
    } catch {
      // A page that replaced console with something broken still must not see us throw.
    }
  };

/**
 * Warnings are short (`bad track name`, then the value given): every visitor
 * downloads their text. README's "Console warnings" says what each means.
 */
export const warn = say('warn');

/** `data-debug="true"`: one line per call and per request. */
export const debugLogger = (on: boolean) => (on ? say('log') : () => {});
