// The core's Clock on the engine's virtual time. Each node gets its own view so a crash can silence every
// timer the node had pending without the node's cooperation (a crashed phone runs no cleanup).
import type { Clock, TimerId } from '../src/clock.js'
import { type Engine, EventKind, type SimEvent } from './engine.js'

/** Virtual time 0 is 2026-01-01T00:00:00Z, so packet timestamps look like real ones. */
export const SIM_EPOCH_MS = 1_767_225_600_000

class TimerEvent implements SimEvent {
  readonly kind = EventKind.timer
  cancelled = false
  constructor (readonly node: number, private readonly clock: VirtualClock, private readonly fn: () => void) {}
  fire (): void {
    // A dead clock's timers still pop (no per-timer bookkeeping on the hot path) but do nothing.
    if (!this.clock.dead) this.fn()
  }
}

export class VirtualClock implements Clock {
  dead = false

  constructor (private readonly engine: Engine, readonly node = -1, private readonly epochMs = SIM_EPOCH_MS) {}

  /** Whole milliseconds, like Date.now(): packet timestamps are integers on the wire. */
  now (): number {
    return this.epochMs + Math.floor(this.engine.now)
  }

  setTimer (delayMs: number, fn: () => void): TimerId {
    const timer = new TimerEvent(this.node, this, fn)
    if (!this.dead) this.engine.after(delayMs, timer)
    return timer
  }

  clearTimer (id: TimerId): void {
    if (id instanceof TimerEvent) id.cancelled = true
  }

  /** Silences every pending and future timer: the node crashed. A restarted node gets a new clock. */
  kill (): void {
    this.dead = true
  }
}
