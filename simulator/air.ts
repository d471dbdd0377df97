// The shared radio space: who is advertising, who scans when, which pairs discover each other, which
// connections come up, and which break when their ends move apart. Nodes join through their SimTransport.
import type { Link } from '../src/mesh/link.js'
import type { SeededRandom } from '../src/prng.js'
import { ADVERTISING_DELAY_MAX_MS, ADVERTISING_INTERVAL_MS, ATT_HEADER_BYTES, type BleProfile, CONNECT_SETUP_MAX_MS, CONNECT_SETUP_MIN_MS, scanWindow } from './ble-profile.js'
import { type Engine, EventKind } from './engine.js'
import { attemptLossProbability, LINK_BREAK_AFTER_MS, maxLinkRange, pairRssiDbm, type RadioParams } from './radio.js'
import { Connection, type LinkObserver } from './sim-link.js'
import { SpatialGrid } from './spatial-grid.js'

/** A graceful stop keeps links up this long so queued frames (the leave) reach neighbours: ≥ 4 connection events at 30 ms (our choice). */
export const GRACEFUL_CLOSE_MS = 250

interface AirNode {
  profile: BleProfile
  /** Transport started: advertising, scanning and accepting connections. */
  active: boolean
  /** Bumped on every (de)activation so stale scan events of an earlier life do nothing. */
  life: number
  onLink: ((link: Link) => void) | undefined
  connections: Map<number, Connection>
  /** Peers with a connection being set up. */
  pending: Set<number>
  /** When a frame last reached this node (iOS keeps scanning while traffic is recent). */
  heardAt: number
}

export interface AirOptions {
  engine: Engine
  radio: RadioParams
  /** Seed of the per-pair shadowing (a property of the place, shared by every policy in a comparison). */
  shadowSeed: number
  profiles: BleProfile[]
  xs: Float64Array
  ys: Float64Array
  /** Streams: discovery timing, connection set-up and link parameters, link-layer attempt losses. */
  discoveryRandom: SeededRandom
  connectRandom: SeededRandom
  lossRandom: SeededRandom
  observer: LinkObserver
  /** See Connection.copyFrames. */
  copyFrames?: boolean
}

export class Air {
  readonly nodes: AirNode[]
  readonly maxRange: number
  private readonly grid: SpatialGrid
  private gridDirty = true
  private bfsQueue: Int32Array | undefined
  readonly connections = new Set<Connection>()
  /** Connections ever opened and closed, for the summary. */
  opened = 0
  broken = 0
  /** The metrics' observer, noting each receiver's last frame on the way. */
  private readonly observer: LinkObserver

  constructor (private readonly o: AirOptions) {
    this.nodes = o.profiles.map(profile => ({ profile, active: false, life: 0, onLink: undefined, connections: new Map(), pending: new Set(), heardAt: -Infinity }))
    this.observer = {
      sent: (from, frame) => o.observer.sent(from, frame),
      received: (to, frame) => { this.nodes[to]!.heardAt = o.engine.now; o.observer.received(to, frame) },
    }
    this.maxRange = maxLinkRange(o.radio)
    this.grid = new SpatialGrid(this.maxRange)
  }

  get size (): number {
    return this.nodes.length
  }

  isActive (i: number): boolean {
    return this.nodes[i]!.active
  }

  /** Current RSSI between two nodes. */
  rssi (i: number, j: number): number {
    const dx = this.o.xs[i]! - this.o.xs[j]!
    const dy = this.o.ys[i]! - this.o.ys[j]!
    return pairRssiDbm(this.o.radio, this.o.shadowSeed, i, j, Math.sqrt(dx * dx + dy * dy))
  }

  /** Positions changed (mobility): the neighbour index is rebuilt before its next use. */
  positionsChanged (): void {
    this.gridDirty = true
  }

  /** Node i starts advertising and scanning; new links are handed to `onLink`. */
  activate (i: number, onLink: (link: Link) => void): void {
    const n = this.nodes[i]!
    if (n.active) throw new Error(`Air.activate: node ${i} is already active`)
    // Links of an earlier life still flushing a graceful stop end now.
    for (const c of [...n.connections.values()]) c.close('restarted')
    n.active = true
    n.life++
    n.onLink = onLink
    n.heardAt = -Infinity
    this.gridDirty = true
    // Apps start scanning at launch; a little start-up spread keeps nodes from moving in lock-step, and
    // duty cycles drift apart as each device's links and traffic set its rhythm.
    this.scheduleScan(i, this.o.discoveryRandom.next() * 1_000)
  }

  /**
   * Node i stops advertising and scanning. A crash drops every link at once and its own handlers hear
   * nothing; a graceful stop lets what is queued (a leave) go out for GRACEFUL_CLOSE_MS first.
   */
  deactivate (i: number, reason: string, crashed = false): void {
    const n = this.nodes[i]!
    if (!n.active) return
    n.active = false
    n.life++
    n.onLink = undefined
    n.pending.clear()
    this.gridDirty = true
    const connections = [...n.connections.values()]
    if (crashed) for (const c of connections) c.close(reason, i)
    else this.o.engine.call(GRACEFUL_CLOSE_MS, EventKind.custom, i, () => { for (const c of connections) c.close(reason) })
  }

  /** Number of links node i holds. */
  degree (i: number): number {
    return this.nodes[i]!.connections.size
  }

  /** Peers node i is connected to. */
  neighbours (i: number): IterableIterator<number> {
    return this.nodes[i]!.connections.keys()
  }

  /** Fills `out[j]` with 1 + hop distance from `origin` over current links (0: not in its component), capped at 255. */
  hopDistances (origin: number, out: Uint8Array): void {
    out.fill(0)
    if (!this.nodes[origin]!.active) return
    const queue = (this.bfsQueue ??= new Int32Array(this.nodes.length))
    out[origin] = 1
    queue[0] = origin
    let read = 0
    let write = 1
    while (read < write) {
      const i = queue[read++]!
      const d = out[i]! < 255 ? out[i]! + 1 : 255
      for (const c of this.nodes[i]!.connections.values()) {
        const j = c.a === i ? c.b : c.a
        if (out[j] === 0) { out[j] = d; queue[write++] = j }
      }
    }
  }

  /** Current links as node index pairs. */
  linkPairs (): Array<[number, number]> {
    return [...this.connections].map(c => [c.a, c.b] as [number, number])
  }

  /** Drops links whose RSSI has stayed under the gate long enough; refreshes their loss rates. */
  checkLinks (): void {
    const now = this.o.engine.now
    const gate = this.o.radio.gateDbm
    for (const c of [...this.connections]) {
      const rssi = this.rssi(c.a, c.b)
      c.rssiDbm = rssi
      c.lossProbability = attemptLossProbability(this.o.radio, rssi)
      if (rssi >= gate) { c.belowGateSince = -1; continue }
      if (c.belowGateSince < 0) c.belowGateSince = now
      else if (now - c.belowGateSince >= LINK_BREAK_AFTER_MS) { this.broken++; c.close('out of range') }
    }
  }

  private free (i: number): number {
    const n = this.nodes[i]!
    return n.profile.maxLinks - n.connections.size - n.pending.size
  }

  private scheduleScan (i: number, delayMs: number): void {
    const life = this.nodes[i]!.life
    this.o.engine.call(delayMs, EventKind.scan, i, () => this.scan(i, life))
  }

  /** Start of one scan window: every advertiser above the gate is heard at its first advertisement. */
  private scan (i: number, life: number): void {
    const me = this.nodes[i]!
    if (!me.active || me.life !== life) return
    const { onMs: windowMs, offMs } = scanWindow(me.profile.scan, me.connections.size, this.o.engine.now - me.heardAt)
    this.scheduleScan(i, windowMs + offMs)
    if (this.free(i) <= 0) return
    if (this.gridDirty) {
      this.grid.rebuild(this.o.xs, this.o.ys, j => this.nodes[j]!.active)
      this.gridDirty = false
    }
    const rnd = this.o.discoveryRandom
    const gate = this.o.radio.gateDbm
    this.grid.forEachNear(i, this.o.xs, this.o.ys, this.maxRange, (j, distance) => {
      const other = this.nodes[j]!
      // A node with no free link slot stops advertising as connectable (our simplification).
      if (!other.active || me.connections.has(j) || me.pending.has(j) || this.free(j) <= 0) return
      const rssi = pairRssiDbm(this.o.radio, this.o.shadowSeed, i, j, distance)
      if (rssi < gate) return
      // First advertisement heard: a random phase in one advertising period, then one more period per
      // advertisement lost at this RSSI.
      const lossP = attemptLossProbability(this.o.radio, rssi)
      let delay = rnd.next() * (ADVERTISING_INTERVAL_MS + ADVERTISING_DELAY_MAX_MS)
      while (rnd.next() < lossP && delay < windowMs) delay += ADVERTISING_INTERVAL_MS + rnd.next() * ADVERTISING_DELAY_MAX_MS
      if (delay >= windowMs) return
      const otherLife = other.life
      this.o.engine.call(delay, EventKind.discovered, i, () => this.discovered(i, life, j, otherLife))
    })
  }

  private discovered (i: number, life: number, j: number, jLife: number): void {
    const me = this.nodes[i]!
    const other = this.nodes[j]!
    if (!me.active || me.life !== life || !other.active || other.life !== jLife) return
    if (me.connections.has(j) || me.pending.has(j) || this.free(i) <= 0 || this.free(j) <= 0) return
    me.pending.add(j)
    other.pending.add(i)
    const setup = CONNECT_SETUP_MIN_MS + this.o.connectRandom.next() * (CONNECT_SETUP_MAX_MS - CONNECT_SETUP_MIN_MS)
    this.o.engine.call(setup, EventKind.connected, i, () => this.connect(i, life, j, jLife))
  }

  private connect (i: number, life: number, j: number, jLife: number): void {
    const me = this.nodes[i]!
    const other = this.nodes[j]!
    const stale = me.life !== life || other.life !== jLife
    if (!stale) { me.pending.delete(j); other.pending.delete(i) }
    if (stale || !me.active || !other.active || me.connections.has(j)) return
    const rssi = this.rssi(i, j)
    if (rssi < this.o.radio.gateDbm) return
    const r = this.o.connectRandom
    // The central proposes, the peripheral accepts: the interval must suit both profiles.
    const lo = Math.max(me.profile.connectionIntervalMinMs, other.profile.connectionIntervalMinMs)
    const hi = Math.max(lo, Math.min(me.profile.connectionIntervalMaxMs, other.profile.connectionIntervalMaxMs))
    // Intervals are multiples of 1.25 ms on air (Core spec Vol 6 Part B §4.5.1).
    const interval = Math.round((lo + r.next() * (hi - lo)) / 1.25) * 1.25
    const mtu = Math.min(me.profile.attMtu, other.profile.attMtu) - ATT_HEADER_BYTES
    const connection = new Connection(
      this.o.engine, i, j, interval, this.o.engine.now, mtu,
      Math.min(me.profile.packetsPerEvent, other.profile.packetsPerEvent),
      Math.min(me.profile.queueFrames, other.profile.queueFrames),
      rssi, attemptLossProbability(this.o.radio, rssi), this.o.lossRandom, this.observer, this.o.copyFrames === true,
      (c) => this.closed(c),
    )
    me.connections.set(j, connection)
    other.connections.set(i, connection)
    this.connections.add(connection)
    this.opened++
    me.onLink?.(connection.endOf(i))
    if (!connection.closed) other.onLink?.(connection.endOf(j))
  }

  private closed (c: Connection): void {
    this.connections.delete(c)
    const a = this.nodes[c.a]!
    const b = this.nodes[c.b]!
    if (a.connections.get(c.b) === c) a.connections.delete(c.b)
    if (b.connections.get(c.a) === c) b.connections.delete(c.a)
  }
}
