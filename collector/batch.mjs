// The ingestion endpoint, POST /v1/batch (README, "What is sent"): reads and
// checks the body, applies the next injected fault if one is queued, hands the
// batch to the store and answers with what became of each message.
import { CORS_HEADERS, readBody, sendJson } from './http.mjs';
import { MAX_BODY_BYTES, parseBatchBody } from './validate.mjs';

/** The media type of a request, without parameters: "text/plain;charset=UTF-8" → "text/plain". */
const mediaType = (req) => (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();

/**
 * What a request carried, message by message, also when it failed: so a
 * test can tell a retry (the same messageId again) from a message made anew.
 */
const carried = (batch) =>
  batch.map((m) => (m && typeof m === 'object' ? { messageId: m.messageId, type: m.type, event: m.event, name: m.name } : {}));

/** One console line of a recorded request. */
function describeRequest(request) {
  const time = new Date(request.at).toTimeString().slice(0, 8);
  const what =
    request.status === 200
      ? `${request.count} messages: ${request.accepted} accepted, ${request.duplicates} duplicates, ${request.rejected} rejected`
      : request.error;
  const via = request.beacon ? ' (beacon)' : '';
  return `${time}  POST /v1/batch ${request.status || 'dropped'}  ${request.writeKey ?? '-'}  ${what}  ${request.bytes} B${via}`;
}

/**
 * @param {object} options
 * @param {ReturnType<typeof import('./store.mjs').createStore>} options.store
 * @param {ReturnType<typeof import('./faults.mjs').createFaults>} options.faults
 * @param {(ms: number) => Promise<void>} options.sleep a wait that the collector's close() cancels
 * @param {(line: string) => void} options.say the console log
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function createBatchHandler({ store, faults, sleep, say }) {
  /** Records a request that stored nothing, `error` saying why. */
  function refuse(request, status, error) {
    const refused = { ...request, status, error };
    store.refuse(refused);
    say(describeRequest(refused));
  }

  return async function handleBatch(req, res) {
    const at = Date.now();
    // sendBeacon's text/plain requests are the only no-cors ones the SDK makes;
    // fetch (keepalive or not) uses cors mode. Browsers send Sec-Fetch-Mode to localhost.
    const beacon = req.headers['sec-fetch-mode'] === 'no-cors';
    const { text, bytes, tooLarge } = await readBody(req, MAX_BODY_BYTES);
    const parsed = tooLarge ? null : parseBatchBody(text);
    const request = {
      at,
      status: 200,
      count: parsed?.ok ? parsed.body.batch.length : 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      bytes,
      beacon,
      // How it came, for end-to-end tests: Firefox over BiDi and WebKit show them no requests of their own.
      method: req.method,
      url: `http://${req.headers.host}${req.url}`,
      headers: req.headers,
      ...(parsed?.ok && {
        writeKey: parsed.body.writeKey,
        sentAt: parsed.body.sentAt,
        fields: Object.keys(parsed.body),
        carried: carried(parsed.body.batch),
      }),
    };

    const fail = (status, error, headers = {}) => {
      refuse(request, status, error);
      sendJson(res, status, { error }, { ...CORS_HEADERS, ...headers });
    };

    const fault = faults.take();
    if (fault) {
      request.fault = fault;
      if (fault.latencyMs) await sleep(fault.latencyMs); // never resumes if the collector is closed meanwhile
      if (fault.drop) {
        refuse(request, 0, 'injected fault: connection dropped without a response');
        req.socket.destroy();
        return;
      }
      if (fault.status !== undefined) {
        const retryAfter = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
        return fail(fault.status, `injected fault: status ${fault.status}`, retryAfter);
      }
    }

    const type = mediaType(req);
    if (type !== 'text/plain' && type !== 'application/json') {
      const got = JSON.stringify(req.headers['content-type'] ?? '');
      return fail(415, `Content-Type must be text/plain (or application/json); got ${got}`);
    }
    if (tooLarge) return fail(413, `body is ${bytes} bytes, over the ${MAX_BODY_BYTES}-byte limit: send smaller batches`);
    if (!parsed.ok) return fail(400, parsed.error);

    const { request: recorded, errors } = store.ingest(parsed.body.batch, request);
    say(describeRequest(recorded));
    const answer = { ok: true, accepted: recorded.accepted, duplicates: recorded.duplicates, rejected: recorded.rejected };
    // Reasons only when there are some, so a clean answer is exactly the four fields.
    sendJson(res, 200, errors.length ? { ...answer, errors } : answer, CORS_HEADERS);
  };
}

/** The CORS preflight of a POST /v1/batch (an application/json one, or a public page posting to localhost). */
export function handlePreflight(req, res) {
  res.writeHead(204, {
    ...CORS_HEADERS,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type',
    'Access-Control-Max-Age': '600',
    // Chrome's Private Network Access asks this when a public page posts to localhost.
    ...(req.headers['access-control-request-private-network'] === 'true' && { 'Access-Control-Allow-Private-Network': 'true' }),
  });
  res.end();
}
