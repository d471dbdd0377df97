// The discrete-event engine: one queue of events on virtual time, processed in (time, sequence) order,
// and a rolling hash over what was processed so two runs can be compared by one number.
import { EventQueue } from './event-queue.js'

/** Something that happens at one instant of virtual time. */
export interface SimEvent {
  /** Small integer naming what kind of event this is (see EventKind); part of the trace hash. */
  readonly kind: number
  /** Node index the event belongs to, or -1; part of the trace hash. */
  readonly node: number
  /** A cancelled event is popped and skipped without counting. */
  cancelled: boolean
  fire (): void
}

export const EventKind = {
  timer: 1,
  linkDelivery: 2,
  scan: 3,
  discovered: 4,
  connected: 5,
  traffic: 6,
  mobility: 7,
  churn: 8,
  sample: 9,
  custom: 10,
} as const

/** FNV-1a prime; the trace hash only has to change when the event sequence does, not resist attack. */
const FNV_PRIME = 0x01000193
const FNV_OFFSET = 0x811c9dc5

export class Engine {
  /** Virtual milliseconds since the start of the run. */
  now = 0
  /** Events fired so far (cancelled ones are not counted). */
  events = 0
  private readonly queue = new EventQueue<SimEvent>()
  private hash = FNV_OFFSET
  private drainRequested = false

  /** Schedules `event` at virtual time `at` (not before now). */
  at (at: number, event: SimEvent): void {
    this.queue.push(at < this.now ? this.now : at, event)
  }

  /** Schedules `event` `delayMs` from now. */
  after (delayMs: number, event: SimEvent): void {
    this.queue.push(this.now + (delayMs > 0 ? delayMs : 0), event)
  }

  /** Schedules a plain callback. */
  call (delayMs: number, kind: number, node: number, fn: () => void): SimEvent {
    const event = new CallbackEvent(kind, node, fn)
    this.after(delayMs, event)
    return event
  }

  get pending (): number {
    return this.queue.size
  }

  /** Hex digest of every fired event's (time in µs, kind, node), in order. */
  get traceHash (): string {
    return (this.hash >>> 0).toString(16).padStart(8, '0')
  }

  /**
   * Asks the run loop to let pending promise continuations settle before the next event, at the same
   * virtual time. Events that call async node methods (start, stop) use it.
   */
  requestDrain (): void {
    this.drainRequested = true
  }

  /**
   * Fires events up to and including time `until`, then sets the time to `until`. Yields to the
   * microtask and immediate queues when asked to (requestDrain) and every `yieldEvery` events, calling
   * `onYield` then (progress reports).
   */
  async runUntil (until: number, onYield?: () => void, yieldEvery = 1 << 13): Promise<void> {
    const queue = this.queue
    let sinceYield = 0
    for (;;) {
      if (queue.size === 0 || queue.peekTime() > until) break
      const event = queue.pop()!
      if (event.cancelled) continue
      const time = queue.lastPoppedTime
      this.now = time
      this.events++
      let h = this.hash
      const us = Math.round(time * 1000)
      h = Math.imul(h ^ (us & 0xffffffff), FNV_PRIME)
      h = Math.imul(h ^ ((us / 4294967296) | 0), FNV_PRIME)
      h = Math.imul(h ^ event.kind, FNV_PRIME)
      h = Math.imul(h ^ event.node, FNV_PRIME)
      this.hash = h
      event.fire()
      if (this.drainRequested || ++sinceYield >= yieldEvery) {
        this.drainRequested = false
        sinceYield = 0
        await settle()
        onYield?.()
      }
    }
    if (until > this.now && until !== Infinity) this.now = until
  }
}

/** Lets every queued promise continuation (and anything they queue in turn) run. */
export async function settle (): Promise<void> {
  await new Promise<void>(resolve => setImmediate(resolve))
}

export class CallbackEvent implements SimEvent {
  cancelled = false
  constructor (readonly kind: number, readonly node: number, private readonly fn: () => void) {}
  fire (): void {
    this.fn()
  }
}
