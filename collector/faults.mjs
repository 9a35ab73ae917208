// Fault injection for POST /v1/batch, off until a test asks for it.
//
// Faults form a queue: each one added covers the next `count` batch requests,
// after those of the faults added before it. So a test can script
// "503, then 429 with Retry-After, then normal" with three calls.

/**
 * Checks a fault spec and fills in defaults.
 * @param {unknown} spec { status?, count?, retryAfter?, latencyMs?, drop? }
 * @returns {{ status?: number, count: number, retryAfter?: number|string, latencyMs: number, drop: boolean }}
 * @throws {TypeError} saying what is wrong
 */
function normalizeFault(spec) {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new TypeError('a fault is an object { status?, count?, retryAfter?, latencyMs?, drop? }');
  }
  const { status, count = 1, retryAfter, latencyMs = 0, drop = false } = spec;
  const known = ['status', 'count', 'retryAfter', 'latencyMs', 'drop'];
  const unknown = Object.keys(spec).filter((key) => !known.includes(key));
  if (unknown.length) throw new TypeError(`unknown fault field(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    throw new TypeError(`status must be an HTTP status code 200-599; got ${JSON.stringify(status)}`);
  }
  if (!(Number.isInteger(count) && count >= 1)) throw new TypeError(`count must be a positive integer; got ${JSON.stringify(count)}`);
  if (retryAfter !== undefined) {
    const valid = (typeof retryAfter === 'number' && retryAfter >= 0) || (typeof retryAfter === 'string' && retryAfter.trim() !== '');
    if (!valid) throw new TypeError(`retryAfter must be seconds (a number) or an HTTP date (a string); got ${JSON.stringify(retryAfter)}`);
    if (status === undefined) throw new TypeError('retryAfter is sent with a status: give status too (e.g. 429 or 503)');
  }
  if (!(typeof latencyMs === 'number' && Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new TypeError(`latencyMs must be a number of milliseconds >= 0; got ${JSON.stringify(latencyMs)}`);
  }
  if (typeof drop !== 'boolean') throw new TypeError(`drop must be a boolean; got ${JSON.stringify(drop)}`);
  if (status === undefined && !drop && latencyMs === 0) throw new TypeError('a fault needs at least one of status, latencyMs or drop');
  return { ...(status !== undefined && { status }), count, ...(retryAfter !== undefined && { retryAfter }), latencyMs, drop };
}

export function createFaults() {
  let queue = []; // normalized faults, each with `remaining`

  return {
    /** Queues a fault (see normalizeFault); returns what is now pending. */
    add(spec) {
      const fault = normalizeFault(spec);
      queue.push({ ...fault, remaining: fault.count });
      return this.pending();
    },
    /** The fault for the next batch request, or null; consumes one use of it. */
    take() {
      const fault = queue[0];
      if (!fault) return null;
      if (--fault.remaining === 0) queue.shift();
      const { remaining, count, ...applied } = fault;
      return applied;
    },
    clear() {
      queue = [];
    },
    pending: () => queue.map((fault) => ({ ...fault })),
  };
}
