// `window._cio` for pages that load the SDK through the snippet:
// `import type {} from 'cio-track/global'` or `/// <reference types="cio-track/global" />`.
import type { CioGlobal } from 'cio-track';

declare global {
  interface Window {
    _cio: CioGlobal;
  }
  var _cio: CioGlobal;
}
