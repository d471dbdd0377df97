// A clock for tests that moves only when told, firing timers in (time, insertion) order from a binary heap:
// the mesh tests fire hundreds of thousands of timers.
import type { Clock, TimerId } from '../../src/clock.js'

interface Timer { at: number, seq: number, fn: () => void, live: boolean }

const earlier = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

export class ManualClock implements Clock {
  private current: number
  private seq = 0
  private readonly heap: Timer[] = []
  private live = 0

  constructor (startMs = 1_700_000_000_000) {
    this.current = startMs
  }

  now (): number {
    return this.current
  }

  setTimer (delayMs: number, fn: () => void): TimerId {
    const timer: Timer = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, live: true }
    const h = this.heap
    h.push(timer)
    for (let i = h.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!earlier(h[i]!, h[parent]!)) break
      ;[h[i], h[parent]] = [h[parent]!, h[i]!]
      i = parent
    }
    this.live++
    return timer
  }

  clearTimer (id: TimerId): void {
    const timer = id as Timer
    if (timer.live) { timer.live = false; this.live-- }
  }

  /** Advances time by `ms`, running every timer due on the way (including ones they schedule). */
  advance (ms: number): void {
    const until = this.current + ms
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const timer = this.popEarliest()
      if (!timer.live) continue
      timer.live = false
      this.live--
      this.current = timer.at
      timer.fn()
    }
    this.current = until
  }

  /** Timers scheduled and not yet fired or cleared. */
  pending (): number {
    return this.live
  }

  private popEarliest (): Timer {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length === 0) return top
    h[0] = last
    for (let i = 0; ;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && earlier(h[l]!, h[m]!)) m = l
      if (r < h.length && earlier(h[r]!, h[m]!)) m = r
      if (m === i) break
      ;[h[i], h[m]] = [h[m]!, h[i]!]
      i = m
    }
    return top
  }
}
