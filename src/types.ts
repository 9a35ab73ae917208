/** What `init` needs: most of the `<script id="cio-tracker">` attributes (README, "Configuration"). */
export interface Config {
  siteId: string;
  /** `data-use-array-params="true"`: send arrays as arrays rather than as `{"0": …}` objects. */
  keepArrays: boolean;
  /** Base URL of the ingestion API, without a trailing slash. */
  endpoint: string;
  /** `''` for the registrable domain, worked out at run time. */
  cookieDomain: string;
  debug: boolean;
  /** `data-consent`: the state when the visitor has made no decision yet; `granted` if left out. */
  consent?: ConsentState;
  /** `data-respect-gpc="true"`: Global Privacy Control means denied, unless the visitor decided otherwise. */
  respectGpc?: boolean;
  /** `data-consent-denied="anonymous"`: while denied, send cookieless events with a per-page ID. */
  anonymousWhenDenied?: boolean;
}

/** Whether the visitor agreed to be tracked (README, "Consent"). */
export type ConsentState = 'pending' | 'granted' | 'denied';

/** What the visitor agreed to, by category, e.g. `{ analytics: true, advertising: false }`. */
export type Categories = Record<string, boolean>;

/** All the attributes: the automatic page views are the snippet loader's job, not `init`'s. */
export interface LoaderConfig extends Config {
  autoPage: boolean;
  spa: boolean;
}

export interface CallOptions {
  /** Overrides `data-use-array-params` for this call. */
  useArrayParams?: boolean;
}

export type Traits = Record<string, unknown>;

/** Parsed wire messages, as handed to `sent` listeners. */
export interface Message {
  type: 'track' | 'page' | 'identify';
  messageId: string;
  timestamp: string;
  anonymousId: string;
  userId?: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Traits;
  context: Record<string, unknown>;
}

export interface DeliveryError {
  /** HTTP status, or 0 when nothing was sent (a message too large, a network failure). */
  status: number;
  reason: string;
  /** How many messages were dropped. */
  dropped: number;
}

/** What `on()` can listen to, and what each listener is given. */
export interface CioEvents {
  /** The SDK has started and replayed the calls queued before it loaded. */
  ready: void;
  /** A batch the endpoint accepted. */
  sent: Message[];
  /** Messages dropped for good. */
  error: DeliveryError;
  /** The visitor's decision changed, in this tab or another. */
  consent: { state: ConsentState; categories?: Categories };
}

export type LifecycleEvent = keyof CioEvents;

export type Handler<T> = (payload: T) => void;

/** The `_cio` object a page calls. */
export interface Cio {
  track(name: string, data?: Record<string, unknown>, options?: CallOptions): void;
  page(name?: string | Record<string, unknown>, data?: Record<string, unknown>, options?: CallOptions): void;
  identify(idOrTraits: string | number | Traits, traits?: Traits): void;
  sidentify(idOrTraits: string | number | Traits, traits?: Traits): void;
  reset(): void;
  on<E extends LifecycleEvent>(event: E, fn: Handler<CioEvents[E]>): void;
  off<E extends LifecycleEvent>(event: E, fn: Handler<CioEvents[E]>): void;
  /**
   * With no argument, the current state; `granted` (with the categories
   * agreed to) or `denied` records the visitor's decision. Returns the state.
   */
  consent(state?: 'granted' | 'denied', categories?: Categories): ConsentState;
  /** Sends what is waiting now; resolves `true` once the queue is empty, `false` if it could not be emptied yet. */
  flush(): Promise<boolean>;
}

/** One queued call, as the snippet's stub and `_cio.push` take them: `['track', 'Signed up', { plan }]`. */
export type Command = [keyof Cio, ...unknown[]];

/** `window._cio` once the script has loaded. */
export interface CioGlobal extends Cio {
  /** Runs the commands at once: the classic snippet's way of calling. */
  push(...commands: Command[]): number;
  version: string;
}
