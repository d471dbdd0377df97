// One bounded priority queue per link: control frames (announces, handshakes) overtake messages, which
// overtake bulk fragments; fragments are paced because phones lose back-to-back writes; a full link
// (send → false) parks the queue until the link's onDrain.
import type { Clock, TimerId } from '../clock.js'
import { carriedType, TTL_AT, TYPE_AT } from '../wire/packet.js'
import { MessageType } from '../wire/packet-types.js'
import type { Link } from './link.js'
import type { Counters } from './stats.js'

/** Our choice: a few full 256-fragment transfers' worth; past this a link is hopeless anyway. */
export const SEND_QUEUE_MAX_FRAMES = 256
/** [iOS] TransportConfig.bleFragmentSpacingMs = 30 ("needs 25-30ms between fragments"); Android uses 20. */
export const FRAGMENT_SPACING_MS = 30

export const Priority = { control: 0, message: 1, bulk: 2 } as const
export type Priority = typeof Priority[keyof typeof Priority]
const PRIORITY_LEVELS = 3

/** The queue class of a frame from its (outer) wire type. */
export function priorityOf (type: number): Priority {
  switch (type) {
    case MessageType.announce:
    case MessageType.leave:
    case MessageType.noiseHandshake:
    case MessageType.requestSync:
      return Priority.control
    case MessageType.fragment:
    case MessageType.fileTransfer:
      return Priority.bulk
    default:
      return Priority.message
  }
}

/** Frames with the caller's tag for each (0: none), oldest first. */
class Fifo {
  items: Uint8Array[] = []
  tags: number[] = []
  head = 0
  get length (): number { return this.items.length - this.head }
  push (frame: Uint8Array, tag: number): void { this.items.push(frame); this.tags.push(tag) }
  peek (): Uint8Array | undefined { return this.items[this.head] }
  peekTag (): number { return this.tags[this.head]! }
  shift (): void {
    this.items[this.head++] = undefined as unknown as Uint8Array
    if (this.head === this.items.length) this.reset()
    else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.tags = this.tags.slice(this.head)
      this.head = 0
    }
  }
  pop (): void { this.items.pop(); this.tags.pop(); if (this.head === this.items.length) this.reset() }
  clear (): number { const n = this.length; this.reset(); return n }
  private reset (): void { this.items = []; this.tags = []; this.head = 0 }
}

/**
 * Asked, just before a frame that had to wait is sent, whether the neighbour meanwhile got as good a copy
 * elsewhere (`tag` as given to `enqueue`, `ttl` the frame's TTL byte): true withdraws the frame.
 */
export type Withdrawn = (tag: number, ttl: number) => boolean

export interface SendQueueOptions {
  maxFrames?: number
  fragmentSpacingMs?: number
}

export class SendQueue {
  private readonly levels: Fifo[] = Array.from({ length: PRIORITY_LEVELS }, () => new Fifo())
  private size = 0
  private readonly maxFrames: number
  private readonly spacing: number
  private lastFragmentAt = -Infinity
  private paceTimer: TimerId | null = null
  private blocked = false
  private closed = false

  constructor (
    private readonly link: Link,
    private readonly clock: Clock,
    private readonly counters: Counters,
    options: SendQueueOptions = {},
    private readonly withdrawn: Withdrawn | null = null,
  ) {
    this.maxFrames = options.maxFrames ?? SEND_QUEUE_MAX_FRAMES
    this.spacing = options.fragmentSpacingMs ?? FRAGMENT_SPACING_MS
  }

  get length (): number {
    return this.size
  }

  /**
   * Queues one frame (≤ the link's MTU) and tries to send. False when it was dropped. A non-zero `tag` lets
   * `withdrawn` cancel the frame if it has to wait.
   */
  enqueue (frame: Uint8Array, tag = 0): boolean {
    if (this.closed) {
      this.counters.drop('linkClosed')
      return false
    }
    const priority = priorityOf(frame[TYPE_AT]!)
    if (this.size >= this.maxFrames && !this.evictBelow(priority)) {
      this.counters.drop('queueFull')
      return false
    }
    // Nearly every frame meets an empty, unblocked queue: hand it straight to the link, as drain would
    // (it is the only frame, so it goes first), without a round trip through the FIFO arrays.
    if (this.size === 0 && !this.blocked) {
      const type = frame[TYPE_AT]!
      const isFragment = type === MessageType.fragment
      if (!isFragment || this.spacing <= 0 || this.lastFragmentAt + this.spacing - this.clock.now() <= 0) {
        if (this.link.send(frame)) {
          if (isFragment) this.lastFragmentAt = this.clock.now()
          this.counters.sent(type, isFragment ? carriedType(frame) : type, frame.length)
          return true
        }
        this.blocked = true
        this.put(priority, frame, tag)
        return true
      }
    }
    this.put(priority, frame, tag)
    if (!this.blocked) this.drain()
    return true
  }

  private put (priority: Priority, frame: Uint8Array, tag: number): void {
    this.levels[priority]!.push(frame, tag)
    this.size++
  }

  private take (fifo: Fifo): void {
    fifo.shift()
    this.size--
  }

  /** Makes room by dropping the newest frame of the lowest class below `priority`. */
  private evictBelow (priority: Priority): boolean {
    for (let level = PRIORITY_LEVELS - 1; level > priority; level--) {
      const fifo = this.levels[level]!
      if (fifo.length > 0) {
        fifo.pop()
        this.size--
        this.counters.drop('queueFull')
        return true
      }
    }
    return false
  }

  /** Sends until the queue is empty, the link is full, or fragment pacing says wait. */
  drain (): void {
    this.blocked = false
    if (this.closed) return
    for (;;) {
      let fifo: Fifo | undefined
      for (const level of this.levels) if (level.length > 0) { fifo = level; break }
      if (fifo === undefined) return
      const frame = fifo.peek()!
      const tag = fifo.peekTag()
      if (tag !== 0 && this.withdrawn !== null && this.withdrawn(tag, frame[TTL_AT]!)) {
        this.take(fifo)
        this.counters.withdrawn++
        continue
      }
      const type = frame[TYPE_AT]!
      const isFragment = type === MessageType.fragment
      if (isFragment && this.spacing > 0) {
        const wait = this.lastFragmentAt + this.spacing - this.clock.now()
        if (wait > 0) {
          if (this.paceTimer === null) {
            this.paceTimer = this.clock.setTimer(wait, () => { this.paceTimer = null; if (!this.blocked) this.drain() })
          }
          return
        }
      }
      if (!this.link.send(frame)) {
        this.blocked = true
        return
      }
      this.take(fifo)
      if (isFragment) this.lastFragmentAt = this.clock.now()
      this.counters.sent(type, isFragment ? carriedType(frame) : type, frame.length)
    }
  }

  /** The link is gone: drop what is queued (counted) and stop timers. */
  close (): void {
    if (this.closed) return
    this.closed = true
    if (this.paceTimer !== null) this.clock.clearTimer(this.paceTimer)
    this.paceTimer = null
    let dropped = 0
    for (const level of this.levels) dropped += level.clear()
    this.size = 0
    if (dropped > 0) this.counters.drop('linkClosed', dropped)
  }
}
