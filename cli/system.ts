// The real world's Clock, Random and Logger, for nodes that run on hardware. The simulator has its own.
import { randomBytes, randomInt } from 'node:crypto'
import pino from 'pino'
import type { Clock, Random, TimerId } from '../src/clock.js'
import type { Logger } from '../src/logger.js'

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (delayMs: number, fn: () => void): TimerId => {
    const timer = setTimeout(fn, delayMs)
    // A pending announce or relay timer must not keep a stopping process alive.
    timer.unref()
    return timer
  },
  clearTimer: (id: TimerId) => { clearTimeout(id as NodeJS.Timeout) },
}

export const systemRandom: Random = {
  // 48 random bits: node:crypto's randomInt cannot span 2^48, and 48 bits fill a double's useful range.
  next: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
  int: (maxExclusive: number) => randomInt(0, maxExclusive),
  bytes: (length: number) => new Uint8Array(randomBytes(length)),
}

/** Logs go to stderr so stdout stays free for what the command prints (messages, JSON, hex). */
export function createLogger (level = process.env.BLEMESH_LOG ?? 'info'): Logger {
  return pino({ level, base: undefined }, pino.destination(2))
}
