/** The shapes of the SDK's ids and times, for unit and end-to-end tests alike. */

/** A ULID: 26 Crockford base32 characters (no I, L, O, U), the first 0-7 as it holds the time's top 3 bits. */
export const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
/** Date#toISOString: milliseconds, in UTC. */
export const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
