// Time and chance are injected: the core never reads the wall clock or Math.random, so the simulator can
// run the same code on virtual time from a seed.

export type TimerId = unknown

/** Milliseconds since the Unix epoch (virtual in the simulator) and one-shot timers on that time base. */
export interface Clock {
  now (): number
  setTimer (delayMs: number, fn: () => void): TimerId
  clearTimer (id: TimerId): void
}

/** A seedable source of chance for jitter, fanout choices and IDs that need not be secret. */
export interface Random {
  /** Uniform in [0, 1). */
  next (): number
  /** Uniform integer in [0, maxExclusive). */
  int (maxExclusive: number): number
  bytes (length: number): Uint8Array
}
