// Several noble and bleno calls never settle (noble-bleno.md TL;DR 6 and §4): a write that meets an ATT
// error, a connect to an absent device, bleno.updateRssiAsync. Every library call goes through this so a
// silent library can cost us a timeout, never the node.
import type { Clock } from '../src/clock.js'

export class TimeoutError extends Error {
  constructor (readonly what: string, readonly ms: number) {
    super(`${what} did not settle within ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

/**
 * Settles with `work` or rejects with TimeoutError after `ms`, whichever comes first. `onTimeout` runs
 * once when the timer wins (e.g. cancelConnect); a late settlement of `work` is swallowed.
 */
export async function withTimeout<T> (clock: Clock, work: Promise<T> | (() => Promise<T>), ms: number, what: string,
  onTimeout?: () => void): Promise<T> {
  let promise: Promise<T>
  try {
    promise = typeof work === 'function' ? work() : work
  } catch (error) {
    return await Promise.reject(error)
  }
  return await new Promise<T>((resolve, reject) => {
    let done = false
    const timer = clock.setTimer(ms, () => {
      if (done) return
      done = true
      try { onTimeout?.() } catch { /* the timeout is what we report */ }
      reject(new TimeoutError(what, ms))
    })
    promise.then(value => {
      if (done) return
      done = true
      clock.clearTimer(timer)
      resolve(value)
    }, (error: unknown) => {
      if (done) return
      done = true
      clock.clearTimer(timer)
      reject(error instanceof Error ? error : new Error(String(error)))
    })
  })
}
