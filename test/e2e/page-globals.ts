/**
 * What the scenario pages hold on `window`, for the functions the tests run
 * in them (as `(window as W)`): the SDK's `_cio`, and what the fixtures of
 * test/fixtures/pages define (each file says what it does).
 */
import type { CioGlobal } from '../../src/types';

export type W = Window & {
  _cio: CioGlobal;
  /** zone-probe.js */
  zoneProbe: { stable: boolean; sawPending: boolean };
  angularZone: { run<T>(fn: () => T): T };
  /** json-wrap.js */
  stringifyCalls: number;
  /** pageshow-probe.js */
  pageshows: boolean[];
  /** sent-probe.js */
  sent: string[];
  /** spa-app.js */
  app: { go(path: string, title: string): void };
  navEvents: string[];
  /** hostile-corpus.js */
  hostile: {
    runCorpus(method: string, skip: string[]): Promise<CorpusResult>;
    queueAll(): void;
    hugeId(): string[];
    nearLimit(): void;
    deep(): void;
    proto(): void;
    unpolluted(): boolean;
    jsonSafe(): void;
  };
};

/** What hostile-corpus.js's runCorpus reports. */
export interface CorpusResult {
  calls: number;
  threw: string[];
  notThenable: number;
  settled: string;
  polluted: boolean;
  protoSame: boolean;
  arraySame: boolean;
  methodsIntact: boolean;
}
