// One BLE connection between two virtual nodes, seen from each end as a Link. Frames wait in a bounded
// per-direction queue for the next connection event; each event carries at most `packetsPerEvent`
// link-layer attempts per direction, and a failed attempt is retried in the next slot (the BLE link layer
// acknowledges every packet, so a connected link delays rather than drops).
import type { Link, LinkHandlers, LinkInfo } from '../src/mesh/link.js'
import { type Engine, EventKind, type SimEvent } from './engine.js'

/** What the link model reports to the metrics. */
export interface LinkObserver {
  /** A frame was accepted by `send` at node `from`. */
  sent (from: number, frame: Uint8Array): void
  /** A frame is about to be handed to node `to`'s handlers. */
  received (to: number, frame: Uint8Array): void
}

/** Per-attempt randomness; the link model asks for one number per attempt. */
export interface Chance { next (): number }

export class Connection {
  closed = false
  /** Virtual time the RSSI first fell below the gate, or -1. */
  belowGateSince = -1
  readonly ends: [SimLink, SimLink]

  constructor (
    readonly engine: Engine,
    readonly a: number,
    readonly b: number,
    readonly intervalMs: number,
    /** Connection events happen at anchor + k · intervalMs. */
    readonly anchorMs: number,
    mtu: number,
    readonly packetsPerEvent: number,
    queueFrames: number,
    public rssiDbm: number,
    public lossProbability: number,
    readonly chance: Chance,
    readonly observer: LinkObserver,
    /** Give each receiver its own copy of every frame (slower; for checking that nobody changes frames). */
    readonly copyFrames: boolean,
    private readonly onClosed: (connection: Connection, reason: string) => void,
  ) {
    const ab = new SimLink(this, a, b, `${a}>${b}`, mtu, queueFrames, 'central', rssiDbm)
    const ba = new SimLink(this, b, a, `${b}>${a}`, mtu, queueFrames, 'peripheral', rssiDbm)
    ab.peer = ba
    ba.peer = ab
    this.ends = [ab, ba]
  }

  /** The end held by node `node`. */
  endOf (node: number): SimLink {
    return this.ends[0].node === node ? this.ends[0] : this.ends[1]
  }

  /** Next connection event strictly after now. */
  nextEventTime (): number {
    const now = this.engine.now
    const k = Math.floor((now - this.anchorMs) / this.intervalMs) + 1
    return this.anchorMs + (k > 0 ? k : 0) * this.intervalMs
  }

  /**
   * Ends the connection: queued frames are lost. Each end's handlers hear `onClose` on a fresh event
   * (never inside the caller's stack), except an end whose node crashed (`silent`).
   */
  close (reason: string, silent: number = -1): void {
    if (this.closed) return
    this.closed = true
    for (const end of this.ends) end.shutDown(reason, end.node === silent)
    this.onClosed(this, reason)
  }
}

class DeliveryEvent implements SimEvent {
  readonly kind = EventKind.linkDelivery
  cancelled = false
  constructor (readonly node: number, private readonly link: SimLink) {}
  fire (): void {
    this.link.connectionEvent()
  }
}

export class SimLink implements Link {
  readonly info: LinkInfo
  peer!: SimLink
  private handlers: LinkHandlers | undefined
  /** Ring buffer of waiting frames: fixed size, so the hot path never resizes an array. */
  private readonly ring: Array<Uint8Array | null>
  private head = 0
  private count = 0
  private scheduled = false
  private full = false
  private isClosed = false
  private readonly delivery: DeliveryEvent
  /** Frames that arrived before the node attached its handlers. */
  private early: Uint8Array[] | undefined

  constructor (
    private readonly connection: Connection,
    /** The node holding this end. */
    readonly node: number,
    /** The node at the other end. */
    readonly remote: number,
    readonly id: string,
    readonly mtu: number,
    private readonly queueFrames: number,
    role: 'central' | 'peripheral',
    rssi: number,
  ) {
    this.info = { role, address: `sim-${remote}`, rssi: Math.round(rssi) }
    this.ring = new Array<Uint8Array | null>(queueFrames).fill(null)
    this.delivery = new DeliveryEvent(node, this)
  }

  get closed (): boolean {
    return this.isClosed
  }

  /** Frames waiting to be carried. */
  get queued (): number {
    return this.count
  }

  attach (handlers: LinkHandlers): void {
    if (this.handlers !== undefined) throw new Error('SimLink.attach: already attached')
    this.handlers = handlers
    const early = this.early
    if (early !== undefined) {
      this.early = undefined
      for (const frame of early) if (!this.isClosed) handlers.onFrame(frame)
    }
    this.drainIfOwed()
  }

  send (frame: Uint8Array): boolean {
    if (this.isClosed) return false
    if (frame.length > this.mtu) throw new Error(`SimLink.send: frame of ${frame.length} bytes exceeds the link MTU ${this.mtu}`)
    if (this.count >= this.queueFrames) {
      this.full = true
      return false
    }
    // Not copied (a copy per frame halves the simulator's speed): the core neither changes a frame it
    // sent nor one it received; the end-to-end test checks that runs with copying give the same trace.
    let tail = this.head + this.count
    if (tail >= this.queueFrames) tail -= this.queueFrames
    this.ring[tail] = this.connection.copyFrames ? frame.slice() : frame
    this.count++
    this.connection.observer.sent(this.node, frame)
    if (!this.scheduled) {
      this.scheduled = true
      this.connection.engine.at(this.connection.nextEventTime(), this.delivery)
    }
    return true
  }

  close (reason = 'closed locally'): void {
    this.connection.close(reason)
  }

  /** One connection event in this direction: up to `packetsPerEvent` attempts, in order. */
  connectionEvent (): void {
    this.scheduled = false
    if (this.isClosed) return
    const c = this.connection
    const to = this.peer
    const p = c.lossProbability
    const ring = this.ring
    for (let slot = 0; slot < c.packetsPerEvent; slot++) {
      if (this.count === 0) break
      if (p > 0 && c.chance.next() < p) continue
      const frame = ring[this.head]!
      ring[this.head] = null
      if (++this.head === this.queueFrames) this.head = 0
      this.count--
      to.deliver(frame)
      if (this.isClosed) return
    }
    if (this.count > 0) {
      this.scheduled = true
      c.engine.at(c.nextEventTime(), this.delivery)
    }
    this.drainIfOwed()
  }

  /** A refused sender hears onDrain once there is room; one refused before `attach` hears it then. */
  private drainIfOwed (): void {
    if (!this.full || this.handlers === undefined || this.isClosed || this.count >= this.queueFrames) return
    this.full = false
    this.handlers.onDrain()
  }

  private deliver (frame: Uint8Array): void {
    if (this.isClosed) return
    this.connection.observer.received(this.node, frame)
    const handlers = this.handlers
    if (handlers === undefined) (this.early ??= []).push(frame)
    else handlers.onFrame(frame)
  }

  /** Called once by the connection. */
  shutDown (reason: string, silent: boolean): void {
    if (this.isClosed) return
    this.isClosed = true
    this.ring.fill(null)
    this.head = 0
    this.count = 0
    this.early = undefined
    const handlers = this.handlers
    if (silent || handlers === undefined) return
    this.connection.engine.call(0, EventKind.custom, this.node, () => handlers.onClose(reason))
  }
}
