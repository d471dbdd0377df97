// One GATT connection as a mesh Link, for either role. Neither library pushes back (noble resolves a write
// without response as soon as it is queued, bleno's notify is fire-and-forget: noble-bleno.md §2.4), so
// the flow control is ours: a bounded queue, a token bucket that paces frames, one write in flight at a
// time (two concurrent noble writes orphan the first promise, §4), and a timeout on each write.
import type { Clock, TimerId } from '../src/clock.js'
import type { Logger } from '../src/logger.js'
import type { Link, LinkHandlers, LinkInfo } from '../src/mesh/link.js'
import { withTimeout } from './with-timeout.js'

/** What a role gives a link: how to put one frame on the air, the current frame limit, how to hang up. */
export interface LinkCarrier {
  /** Resolves when the library took the frame (not when it was delivered: neither library can tell). */
  write (frame: Uint8Array): Promise<void>
  /** Current payload limit of one write or notification (ATT MTU − 3). */
  mtu (): number
  /** Ends the connection at the library; must not throw and must not wait for the peer. */
  disconnect (): void
}

export interface LinkPacing {
  /** Frames waiting per link before `send` says full. */
  queueFrames: number
  /** Frames that may leave back to back on an idle link. */
  burstFrames: number
  /** Sustained frames per second once the burst is spent. */
  framesPerSecond: number
  /** A library write that has not settled after this long ends the link. */
  writeTimeoutMs: number
  /** Frames that arrive before the node attached are held, up to this many. */
  inboundHoldFrames: number
}

/**
 * Our choice: 64 frames (≤ 33 KB at a 514-byte payload) hold a 4 KB message fragmented for a
 * 253-byte payload (17 frames) several times over, while a stalled link still cannot hoard memory. The
 * sender waits for onDrain beyond that, so smaller MTUs cost time, not loss.
 */
export const LINK_QUEUE_FRAMES = 64
/**
 * Our choice: a connection event on common controllers carries 4–8 LE packets, so 8 frames back to back
 * is what the controller can take at once without queueing inside the library.
 */
export const LINK_BURST_FRAMES = 8
/**
 * Our choice: at a 7.5–30 ms connection interval with ~4–6 packets per event a link moves roughly
 * 150–600 frames/s; 300/s keeps noble's unbounded ACL queue short on the slow end. Bitchat paces fragments
 * at 20–30 ms on top of this ([iOS] TransportConfig `bleFragmentSpacingMs`), which the node's send queue owns.
 */
export const LINK_FRAMES_PER_SECOND = 300
/** Our choice: a queued write without response takes microseconds; a second means the library is stuck. */
export const LINK_WRITE_TIMEOUT_MS = 2_000
/** Our choice: a central may write before it subscribes; a few frames bridge that gap. */
export const LINK_INBOUND_HOLD_FRAMES = 16
/**
 * Our choice: how long a role's stop() waits for the controller to confirm our disconnects. Closing the adapter
 * right after sending HCI Disconnect can lose the command, and a controller without a supervision timeout
 * (BlueZ's emulator) then leaves the neighbour holding a dead link.
 */
export const STOP_DISCONNECT_WAIT_MS = 2_000

/** A role's stop(): waits up to STOP_DISCONNECT_WAIT_MS for `disconnects` to be confirmed; a shortfall is only logged. */
export async function awaitDisconnects (clock: Clock, logger: Logger, disconnects: Iterable<Promise<unknown>>): Promise<void> {
  await withTimeout(clock, async () => { await Promise.all(disconnects) }, STOP_DISCONNECT_WAIT_MS, 'disconnects on stop')
    .catch((error: unknown) => { logger.debug({ err: error }, 'not every disconnect was confirmed') })
}

export const DEFAULT_LINK_PACING: LinkPacing = {
  queueFrames: LINK_QUEUE_FRAMES,
  burstFrames: LINK_BURST_FRAMES,
  framesPerSecond: LINK_FRAMES_PER_SECOND,
  writeTimeoutMs: LINK_WRITE_TIMEOUT_MS,
  inboundHoldFrames: LINK_INBOUND_HOLD_FRAMES,
}

export interface LinkCounters {
  framesOut: number
  bytesOut: number
  framesIn: number
  bytesIn: number
  /** `send` calls refused because the queue was full. */
  refusedFull: number
  /** Inbound frames dropped because the node had not attached and the hold was full. */
  droppedInbound: number
  writeErrors: number
  /** Frames still queued when the link closed. */
  droppedOnClose: number
}

export class BleLink implements Link {
  readonly counters: LinkCounters = {
    framesOut: 0, bytesOut: 0, framesIn: 0, bytesIn: 0, refusedFull: 0, droppedInbound: 0, writeErrors: 0, droppedOnClose: 0,
  }

  /** When the link came up, on the injected clock (the link manager uses it to spot flapping peers). */
  readonly openedAt: number
  /** Peer ID once an announce told who is on the other end. */
  peerId: string | undefined
  /** Sees every inbound frame before the node does (the transport learns the peer from it); null when done. */
  observer: ((frame: Uint8Array) => void) | null = null

  private handlers: LinkHandlers | null = null
  private readonly held: Uint8Array[] = []
  private readonly queue: Uint8Array[] = []
  private tokens: number
  private lastRefill: number
  private writing = false
  private wakeTimer: TimerId | null = null
  private refused = false
  private isClosed = false
  private closeReason: string | null = null

  constructor (
    readonly id: string,
    readonly info: LinkInfo,
    private readonly carrier: LinkCarrier,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onEnded: (link: BleLink, reason: string) => void,
    private readonly pacing: LinkPacing = DEFAULT_LINK_PACING,
  ) {
    this.openedAt = clock.now()
    this.lastRefill = this.openedAt
    this.tokens = pacing.burstFrames
  }

  get mtu (): number {
    return this.carrier.mtu()
  }

  get closed (): boolean {
    return this.isClosed
  }

  /** Frames waiting to be written. */
  get queued (): number {
    return this.queue.length
  }

  attach (handlers: LinkHandlers): void {
    if (this.handlers !== null) throw new Error(`link ${this.id}: attach called twice`)
    this.handlers = handlers
    if (this.isClosed) {
      handlers.onClose(this.closeReason ?? 'closed')
      return
    }
    for (const frame of this.held.splice(0)) {
      if (this.isClosed) return
      handlers.onFrame(frame)
    }
    this.drainIfOwed()
  }

  send (frame: Uint8Array): boolean {
    if (this.isClosed) return false
    const mtu = this.mtu
    if (frame.length > mtu) {
      throw new RangeError(`link ${this.id}: frame of ${frame.length} bytes exceeds the link's ${mtu}`)
    }
    if (this.queue.length >= this.pacing.queueFrames) {
      this.counters.refusedFull++
      this.refused = true
      return false
    }
    this.queue.push(frame)
    this.pump()
    return true
  }

  close (reason = 'closed locally'): void {
    if (this.isClosed) return
    // End first: a library that reports the disconnect synchronously must not get to name the reason.
    this.end(reason)
    this.carrier.disconnect()
  }

  /** Called by the role for each write or notification that arrives on this connection. */
  receive (frame: Uint8Array): void {
    if (this.isClosed) return
    this.counters.framesIn++
    this.counters.bytesIn += frame.length
    this.observer?.(frame)
    if (this.isClosed) return
    if (this.handlers === null) {
      if (this.held.length >= this.pacing.inboundHoldFrames) {
        this.counters.droppedInbound++
        return
      }
      this.held.push(frame)
      return
    }
    this.handlers.onFrame(frame)
  }

  /** Called by the role when the library reports the connection gone. */
  remoteClosed (reason: string): void {
    this.end(reason)
  }

  private end (reason: string): void {
    if (this.isClosed) return
    this.isClosed = true
    this.closeReason = reason
    this.counters.droppedOnClose += this.queue.length
    this.queue.length = 0
    this.held.length = 0
    if (this.wakeTimer !== null) {
      this.clock.clearTimer(this.wakeTimer)
      this.wakeTimer = null
    }
    this.logger.debug({ link: this.id, reason, counters: this.counters }, 'link closed')
    this.onEnded(this, reason)
    this.handlers?.onClose(reason)
  }

  private refill (): void {
    const now = this.clock.now()
    const elapsed = now - this.lastRefill
    if (elapsed <= 0) return
    this.tokens = Math.min(this.pacing.burstFrames, this.tokens + elapsed * this.pacing.framesPerSecond / 1000)
    this.lastRefill = now
  }

  private pump (): void {
    if (this.isClosed || this.writing || this.wakeTimer !== null || this.queue.length === 0) return
    this.refill()
    if (this.tokens < 1) {
      const waitMs = Math.ceil((1 - this.tokens) * 1000 / this.pacing.framesPerSecond)
      this.wakeTimer = this.clock.setTimer(waitMs, () => {
        this.wakeTimer = null
        this.pump()
      })
      return
    }
    this.tokens -= 1
    const frame = this.queue.shift()!
    this.writing = true
    withTimeout(this.clock, () => this.carrier.write(frame), this.pacing.writeTimeoutMs, `write on ${this.id}`).then(() => {
      this.writing = false
      if (this.isClosed) return
      this.counters.framesOut++
      this.counters.bytesOut += frame.length
      this.afterWrite()
    }, (error: unknown) => {
      this.writing = false
      if (this.isClosed) return
      this.counters.writeErrors++
      this.logger.warn({ link: this.id, err: error }, 'write failed; closing the link')
      this.close(`write failed: ${error instanceof Error ? error.message : String(error)}`)
    })
  }

  private afterWrite (): void {
    this.pump()
    this.drainIfOwed()
  }

  /**
   * Drain once the queue is down to half, so a refused sender is not woken for a single slot; one refused
   * before `attach` hears it then.
   */
  private drainIfOwed (): void {
    if (!this.refused || this.handlers === null || this.isClosed || this.queue.length > this.pacing.queueFrames / 2) return
    this.refused = false
    this.handlers.onDrain()
  }
}
