// An in-memory Transport for tests: transports joined by pipes that behave like radio links (latency,
// jitter that reorders, loss, MTU, a rate limit and a small in-flight buffer that pushes back), all on
// the injected Clock and Random so a run replays exactly from its seed.
import type { Clock, Random } from '../clock.js'
import type { Link, LinkHandlers, LinkInfo, Transport, TransportHandlers } from './link.js'

/** Our choice: about one BLE connection event plus stack time. */
export const DEFAULT_LATENCY_MS = 10
/** [iOS] BLEService.swift `bleMaxMTU = 512`: the largest frame a phone writes in one go. */
export const DEFAULT_MEMORY_MTU = 512
/**
 * Frames that may be in the air on one direction of a pipe before `send` says full. Our choice, close to
 * the handful of write-without-response credits a BLE controller holds per connection.
 */
export const DEFAULT_IN_FLIGHT_FRAMES = 8

export interface PipeOptions {
  /** One-way delay per frame, ms. */
  latencyMs?: number
  /** Extra uniform delay in [0, jitterMs) per frame; larger than the frame spacing it reorders frames. */
  jitterMs?: number
  /** Probability in [0, 1] that a frame is lost (it still occupies the pipe). */
  lossProbability?: number
  mtu?: number
  /** Frames per second per direction (serialisation time 1/rate); unlimited when absent. */
  framesPerSecond?: number
  /** Bytes per second per direction; unlimited when absent. */
  bytesPerSecond?: number
  inFlightFrames?: number
  /** RSSI reported in each end's LinkInfo. */
  rssi?: number
}

/** Watches every frame that arrives at a transport (tests count what crossed which pipe). */
export type DeliveryTap = (from: string, to: string, frame: Uint8Array) => void

/** Joins transports. One instance per test world; all timing comes from its clock. */
export class MemoryNetwork {
  private readonly pipes = new Set<Pipe>()
  private tap: DeliveryTap | null = null
  private linkSeq = 0

  constructor (readonly clock: Clock, readonly random: Random) {}

  createTransport (name: string): MemoryTransport {
    return new MemoryTransport(this, name)
  }

  /**
   * Joins two transports. The pipe persists until `cut`: its links exist whenever both transports are
   * started, so a stopped and restarted transport gets a fresh link on the same pipe.
   */
  connect (a: MemoryTransport, b: MemoryTransport, options: PipeOptions = {}): MemoryPipe {
    if (a === b) throw new Error('cannot connect a transport to itself')
    const pipe = new Pipe(this, a, b, options)
    this.pipes.add(pipe)
    pipe.open()
    return pipe
  }

  setTap (tap: DeliveryTap | null): void {
    this.tap = tap
  }

  /** @internal */
  nextLinkId (): string {
    return `mem${++this.linkSeq}`
  }

  /** @internal */
  delivered (from: string, to: string, frame: Uint8Array): void {
    if (this.tap !== null) this.tap(from, to, frame)
  }

  /** @internal */
  forget (pipe: Pipe): void {
    this.pipes.delete(pipe)
  }

  /** @internal */
  transportStarted (t: MemoryTransport): void {
    for (const pipe of this.pipes) if (pipe.a === t || pipe.b === t) pipe.open()
  }
}

/** A pipe between two transports as the test holds it. */
export interface MemoryPipe {
  /** Closes the current links, if any (as a radio link that drops); `restore` brings new ones. */
  drop (reason?: string): void
  restore (): void
  /** Removes the pipe for good. */
  cut (): void
  readonly up: boolean
}

export class MemoryTransport implements Transport {
  private handlers: TransportHandlers | null = null
  /** @internal */
  readonly ends = new Set<MemoryLink>()

  constructor (private readonly network: MemoryNetwork, readonly name: string) {}

  get started (): boolean {
    return this.handlers !== null
  }

  async start (handlers: TransportHandlers): Promise<void> {
    if (this.handlers !== null) throw new Error(`transport ${this.name} already started`)
    this.handlers = handlers
    this.network.transportStarted(this)
  }

  /** Closes every link gracefully: frames already in flight still reach the other side. */
  async stop (): Promise<void> {
    this.handlers = null
    for (const end of [...this.ends]) end.close('transport stopped', true)
  }

  /** @internal */
  offer (link: MemoryLink): void {
    this.ends.add(link)
    this.handlers?.onLink(link)
  }
}

interface InFlight { at: number, frame: Uint8Array, lost: boolean }

class Pipe implements MemoryPipe {
  private ab: MemoryLink | null = null
  private ba: MemoryLink | null = null
  private wanted = true
  private removed = false

  constructor (
    private readonly network: MemoryNetwork,
    readonly a: MemoryTransport,
    readonly b: MemoryTransport,
    readonly options: PipeOptions,
  ) {}

  /** Either end closing clears both (onGone), so a pipe is up exactly while it holds links. */
  get up (): boolean {
    return this.ab !== null
  }

  open (): void {
    if (!this.wanted || this.removed || this.up) return
    if (!this.a.started || !this.b.started) return
    const ab = new MemoryLink(this.network, this.a, this.network.nextLinkId(), this.b.name, this.options, 'central')
    const ba = new MemoryLink(this.network, this.b, this.network.nextLinkId(), this.a.name, this.options, 'peripheral')
    ab.peer = ba
    ba.peer = ab
    this.ab = ab
    this.ba = ba
    const onGone = (): void => { if (this.ab === ab) { this.ab = null; this.ba = null } }
    ab.onGone = onGone
    ba.onGone = onGone
    this.a.offer(ab)
    this.b.offer(ba)
  }

  drop (reason = 'link dropped'): void {
    this.wanted = false
    this.ab?.close(reason)
  }

  restore (): void {
    this.wanted = true
    this.open()
  }

  cut (): void {
    this.drop('pipe cut')
    this.removed = true
    this.network.forget(this)
  }
}

class MemoryLink implements Link {
  readonly mtu: number
  readonly info: LinkInfo
  peer!: MemoryLink
  onGone: () => void = () => {}
  private handlers: LinkHandlers | null = null
  private isClosed = false
  private inFlight = 0
  private wantsDrain = false
  /** When the pipe finishes serialising the last frame we sent (rate limit). */
  private busyUntil = 0
  /** Frames that arrived before the node attached (it attaches synchronously in practice). */
  private early: Uint8Array[] = []
  private readonly latency: number
  private readonly jitter: number
  private readonly loss: number
  private readonly maxInFlight: number
  /** Arrival time of the last frame we put in flight (a graceful close waits for it). */
  private lastArrival = 0

  constructor (
    private readonly network: MemoryNetwork,
    private readonly owner: MemoryTransport,
    readonly id: string,
    to: string,
    options: PipeOptions,
    role: 'central' | 'peripheral',
  ) {
    this.mtu = options.mtu ?? DEFAULT_MEMORY_MTU
    this.latency = options.latencyMs ?? DEFAULT_LATENCY_MS
    this.jitter = options.jitterMs ?? 0
    this.loss = options.lossProbability ?? 0
    this.maxInFlight = options.inFlightFrames ?? DEFAULT_IN_FLIGHT_FRAMES
    this.info = options.rssi === undefined ? { role, address: to } : { role, address: to, rssi: options.rssi }
    this.frameTime = (frame) => {
      let t = 0
      if (options.framesPerSecond !== undefined) t = Math.max(t, 1000 / options.framesPerSecond)
      if (options.bytesPerSecond !== undefined) t = Math.max(t, (frame.length * 1000) / options.bytesPerSecond)
      return t
    }
  }

  private readonly frameTime: (frame: Uint8Array) => number

  get closed (): boolean {
    return this.isClosed
  }

  attach (handlers: LinkHandlers): void {
    if (this.handlers !== null) throw new Error(`link ${this.id} attached twice`)
    this.handlers = handlers
    const early = this.early
    this.early = []
    for (const frame of early) handlers.onFrame(frame)
    this.drainIfOwed()
  }

  send (frame: Uint8Array): boolean {
    if (this.isClosed) return false
    if (frame.length > this.mtu) throw new Error(`frame of ${frame.length} bytes exceeds link MTU ${this.mtu}`)
    if (this.inFlight >= this.maxInFlight) {
      this.wantsDrain = true
      return false
    }
    const clock = this.network.clock
    const random = this.network.random
    const now = clock.now()
    const start = Math.max(now, this.busyUntil)
    this.busyUntil = start + this.frameTime(frame)
    const lost = this.loss > 0 && random.next() < this.loss
    const delay = this.busyUntil - now + this.latency + (this.jitter > 0 ? random.next() * this.jitter : 0)
    // Copied so a sender that reuses its buffer cannot change a frame in flight.
    const item: InFlight = { at: now + delay, frame: frame.slice(), lost }
    this.lastArrival = Math.max(this.lastArrival, item.at)
    this.inFlight++
    clock.setTimer(delay, () => this.arrive(item))
    return true
  }

  private arrive (item: InFlight): void {
    this.inFlight--
    if (!item.lost) this.peer.receive(this.owner.name, item.frame)
    this.drainIfOwed()
  }

  /** A refused sender hears onDrain once there is room; one refused before `attach` hears it then. */
  private drainIfOwed (): void {
    if (!this.wantsDrain || this.handlers === null || this.isClosed || this.inFlight >= this.maxInFlight) return
    this.wantsDrain = false
    this.handlers.onDrain()
  }

  private receive (from: string, frame: Uint8Array): void {
    if (this.isClosed) return
    this.network.delivered(from, this.owner.name, frame)
    if (this.handlers === null) this.early.push(frame)
    else this.handlers.onFrame(frame)
  }

  /**
   * Ends this side. `graceful` (a transport stopping) lets frames already in flight reach the other side
   * before it learns of the close; otherwise (the radio link dropped) both sides end at once.
   */
  close (reason = 'closed', graceful = false): void {
    if (this.isClosed) return
    this.isClosed = true
    this.owner.ends.delete(this)
    this.onGone()
    const handlers = this.handlers
    this.handlers = null
    handlers?.onClose(reason)
    const wait = this.lastArrival - this.network.clock.now()
    if (graceful && wait > 0) this.network.clock.setTimer(wait, () => this.peer.close(reason))
    else this.peer.close(reason)
  }
}

export type { MemoryLink }
