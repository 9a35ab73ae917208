// Small HTTP helpers shared by the collector's routes (server.mjs) and its
// ingestion endpoint (batch.mjs).
import { MAX_BODY_BYTES } from './validate.mjs';

// An oversize body is still read to its end so that the client receives the
// 413 rather than a reset connection, but only up to this many bytes.
const DRAIN_LIMIT = 20 * MAX_BODY_BYTES;

// The SDK posts without credentials, so any origin may read the answer.
// Retry-After must be exposed explicitly or the SDK could not honour it
// cross-origin (it is not a CORS-safelisted response header).
export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Retry-After',
};

export function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export const sendJson = (res, status, value, headers = {}) =>
  send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8', ...headers });

export const sendText = (res, status, text, headers = {}) =>
  send(res, status, text + '\n', { 'Content-Type': 'text/plain; charset=utf-8', ...headers });

/** Reads a whole request body; past `limit` bytes it only counts them. */
export async function readBody(req, limit) {
  const chunks = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += chunk.length;
    if (bytes <= limit) chunks.push(chunk);
    else if (bytes > DRAIN_LIMIT) break; // stops reading and destroys the request
  }
  const tooLarge = bytes > limit;
  return { bytes, tooLarge, text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8') };
}
