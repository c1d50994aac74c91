/**
 * Body limits per route. Fastify refuses a body over its route's limit from the
 * Content-Length header, or, when the body is chunked, as soon as the bytes received pass it,
 * in both cases before JSON.parse sees any of it. Schema bounds such as maxItems only apply
 * after the whole body is parsed: a 16 MiB body of empty objects costs seconds of blocked
 * event loop and hundreds of MB of heap before maxItems can refuse it. So each route's limit
 * sits just above its largest valid body.
 *
 * The largest valid body is counted as compact JSON (what JSON.stringify writes), every
 * number at its longest JSON form and every text at its maxLength in characters that take
 * one byte each, plus SLACK_BYTES for the envelope and some whitespace. A batch of long
 * non-ASCII names can pass the limit while each item is valid: the 413 says the limit, and
 * the batch goes through split in two.
 */
export const SLACK_BYTES = 1024

/** A number between 1e-6 and 1e-5 with 17 significant digits is the longest a double in the schemas' ranges prints: 0.0000012345678901234567. */
export const LONGEST_NUMBER_BYTES = 24

/** The limit for a body of one object of at most `largestBytes`. */
export const objectBodyLimit = (largestBytes: number) => largestBytes + SLACK_BYTES

/** The limit for a batch of up to `maxItems` items of at most `largestItemBytes` each, a comma after each. */
export const batchBodyLimit = (maxItems: number, largestItemBytes: number) => maxItems * (largestItemBytes + 1) + SLACK_BYTES
