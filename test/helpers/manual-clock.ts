// A clock for tests that moves only when told, firing timers in (time, insertion) order.
import type { Clock, TimerId } from '../../src/clock.js'

interface Timer { at: number, seq: number, fn: () => void, cancelled: boolean }

export class ManualClock implements Clock {
  private current: number
  private seq = 0
  private readonly timers: Timer[] = []

  constructor (startMs = 1_700_000_000_000) {
    this.current = startMs
  }

  now (): number {
    return this.current
  }

  setTimer (delayMs: number, fn: () => void): TimerId {
    const timer: Timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false }
    this.timers.push(timer)
    return timer
  }

  clearTimer (id: TimerId): void {
    (id as Timer).cancelled = true
  }

  /** Advances time by `ms`, running every timer due on the way (including ones they schedule). */
  advance (ms: number): void {
    const until = this.current + ms
    for (;;) {
      const next = this.nextDue(until)
      if (next === undefined) break
      this.current = next.at
      next.cancelled = true
      next.fn()
    }
    this.current = until
  }

  /** Runs timers until none is left or `limitMs` of time has passed; returns the time advanced. */
  runAll (limitMs = 3_600_000): number {
    const start = this.current
    this.advance(limitMs)
    return this.current - start
  }

  pending (): number {
    return this.timers.filter(t => !t.cancelled).length
  }

  private nextDue (until: number): Timer | undefined {
    let best: Timer | undefined
    let bestIndex = -1
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i]!
      if (t.cancelled) continue
      if (t.at > until) continue
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) { best = t; bestIndex = i }
    }
    if (bestIndex >= 0) this.timers.splice(bestIndex, 1)
    // Drop cancelled timers occasionally so long tests do not grow the array without bound.
    if (this.timers.length > 1024) {
      const live = this.timers.filter(t => !t.cancelled)
      this.timers.length = 0
      this.timers.push(...live)
    }
    return best
  }
}
