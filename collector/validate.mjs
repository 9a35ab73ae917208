// Validation of POST /v1/batch bodies and of each message in them (README, "What is sent").
//
// The collector is the SDK's test oracle, so it is strict: every problem is
// reported with a reason that says what was expected and what arrived.
// A body-level problem rejects the whole request (400); a message-level
// problem rejects only that message.

/** Upper bound of one request body, as the SDK promises (README, "Delivery"). */
export const MAX_BODY_BYTES = 500 * 1024;

/** Upper bound of one message, serialized (README "Delivery": larger ones are dropped by the SDK). */
export const MAX_MESSAGE_BYTES = 32 * 1024;

const MESSAGE_TYPES = ['track', 'page', 'identify'];

// A ULID in its canonical form: 26 upper-case Crockford base32 characters
// (no I, L, O, U). The first character encodes the top 3 bits of the 48-bit
// time, hence 0-7.
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

// What Date#toISOString and other ISO 8601 producers emit: a date, a time and
// an explicit zone. Date.parse alone would also accept "2024" or "March 7".
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

const isUlid = (value) => typeof value === 'string' && ULID.test(value);

const isIsoDateTime = (value) =>
  typeof value === 'string' && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

const isNonEmptyString = (value) => typeof value === 'string' && value.trim() !== '';

/** A short, safe rendering of a received value for error messages. */
function describe(value) {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Parses and checks the envelope of a batch request.
 * @param {string} text the request body
 * @returns {{ ok: true, body: { writeKey: string, sentAt: string, batch: unknown[] } } | { ok: false, error: string }}
 */
export function parseBatchBody(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `body is not valid JSON: ${error.message}. Send one JSON object {writeKey, sentAt, batch} (README, "What is sent")` };
  }
  if (!isPlainObject(body)) {
    return { ok: false, error: `body must be a JSON object {writeKey, sentAt, batch}; got ${describe(body)}` };
  }
  const problems = [];
  if (!isNonEmptyString(body.writeKey)) problems.push(`writeKey must be a non-empty string (the site id); got ${describe(body.writeKey)}`);
  if (!isIsoDateTime(body.sentAt)) problems.push(`sentAt must be an ISO 8601 date-time; got ${describe(body.sentAt)}`);
  if (!Array.isArray(body.batch)) problems.push(`batch must be an array of messages; got ${describe(body.batch)}`);
  if (problems.length) return { ok: false, error: problems.join('; ') };
  return { ok: true, body };
}

/**
 * Checks one message of a batch.
 * @param {unknown} message
 * @returns {string | null} why the message is rejected, or null when it is valid
 */
export function validateMessage(message) {
  if (!isPlainObject(message)) return `message must be an object; got ${describe(message)}`;
  const problems = [];
  const { type } = message;
  if (!MESSAGE_TYPES.includes(type)) problems.push(`type must be one of ${MESSAGE_TYPES.join(', ')}; got ${describe(type)}`);
  if (!isUlid(message.messageId)) {
    problems.push(`messageId must be a ULID (26 upper-case Crockford base32 characters, the first 0-7); got ${describe(message.messageId)}`);
  }
  if (!isIsoDateTime(message.timestamp)) problems.push(`timestamp must be an ISO 8601 date-time; got ${describe(message.timestamp)}`);
  if (!isNonEmptyString(message.anonymousId)) problems.push(`anonymousId must be a non-empty string; got ${describe(message.anonymousId)}`);
  if (!isPlainObject(message.context)) problems.push(`context must be an object; got ${describe(message.context)}`);

  if (type === 'track' && !isNonEmptyString(message.event)) {
    problems.push(`a track message needs event, a non-empty string; got ${describe(message.event)}`);
  }
  if (type === 'page' && typeof message.name !== 'string') {
    problems.push(`a page message needs name, a string; got ${describe(message.name)}`);
  }
  if (type === 'identify' && !isNonEmptyString(message.userId)) {
    problems.push(`an identify message needs userId, a non-empty string; got ${describe(message.userId)}`);
  } else if (message.userId != null && !isNonEmptyString(message.userId)) {
    // Anonymous messages may omit userId (or send null), but a present one must be usable.
    problems.push(`userId, when present, must be a non-empty string; got ${describe(message.userId)}`);
  }
  for (const key of ['properties', 'traits']) {
    if (message[key] !== undefined && !isPlainObject(message[key])) problems.push(`${key}, when present, must be an object; got ${describe(message[key])}`);
  }
  if (problems.length === 0) {
    const bytes = Buffer.byteLength(JSON.stringify(message));
    if (bytes > MAX_MESSAGE_BYTES) problems.push(`message is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit`);
  }
  return problems.length ? problems.join('; ') : null;
}
