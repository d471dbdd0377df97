// The core depends on pino's type only; cli/ and simulator/ create the real loggers.
export type { Logger } from 'pino'

/** Repeats of one warning logged in full before thinning (`worthLogging`). */
const LOGGED_IN_FULL = 10
/** After those, one in this many is logged, with the count so far. */
const LOGGED_EVERY = 1_000

/**
 * Whether the n-th occurrence of a repeated warning is logged: the first few, then one in a thousand.
 * A neighbour that can set off a warning at will must not fill a Pi's SD card with it; the counters keep
 * the whole number.
 */
export function worthLogging (n: number): boolean {
  return n <= LOGGED_IN_FULL || n % LOGGED_EVERY === 0
}
