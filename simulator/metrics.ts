// What a run measured: link transmissions by purpose, receptions and how many were new, and for each
// application broadcast who got it, how fast, and how far from its source they stood when it was sent.
import type { PrivateSummary, ReportPolicyRun, SimSummary } from './report-data.js'
import { carriedType } from '../src/wire/packet.js'
import { MessageType } from '../src/wire/packet-types.js'
import { isApplicationType } from './frame-class.js'
import { IntSet } from './int-set.js'
import { mix32 } from './radio.js'
import type { LinkObserver } from './sim-link.js'

/** Bitchat's origin TTL (bitchat-protocol.md §4.1 messageTTLDefault): a broadcast can reach 7 hops. */
export const ORIGIN_TTL_HOPS = 7
/** Nodes whose receptions are checked for novelty (usefulness is a ratio; a sample estimates it well). */
export const USEFULNESS_SAMPLE_NODES = 500
/** A copy heard again within this long is a duplicate: floods settle in seconds, and announces repeat with new timestamps (our choice; Bitchat dedups for 300 s, §4.1). */
export const NOVELTY_WINDOW_MS = 60_000
/** Budget of hop-distance bytes kept for tracked messages (one byte per node per tracked message). */
export const TRACKING_BYTES_BUDGET = 64_000_000
/** At most this many messages are tracked in detail (delivery by hop, latency); the rest count deliveries only. */
export const MAX_TRACKED_MESSAGES = 5_000
/** Points in the report's latency CDF. */
export const CDF_POINTS = 200

interface MessageRecord {
  origin: number
  sentAt: number
  /** One bit per node: delivered already. */
  delivered: Uint8Array
  /** Tracked messages: hop distance + 1 from the origin at send time (0: not in its component). */
  hops: Uint8Array | null
}

interface PrivateRecord {
  origin: number
  destination: number
  sentAt: number
  shown: boolean
  receipted: boolean
}

export interface MetricsOptions {
  nodes: number
  /** Expected number of messages, to choose the tracked share. */
  expectedMessages: number
  bucketMs: number
  buckets: number
  /** Uniform [0, 1) stream for sampling choices. */
  sample: () => number
  /** Reads virtual time (the engine). */
  time: { readonly now: number }
}

export class Metrics implements LinkObserver {
  appFrames = 0
  controlFrames = 0
  receptions = 0
  messages = 0
  duplicatesDelivered = 0
  deliveries = 0
  /** noiseEncrypted frames: private messages and their receipts, kept out of `appFrames` (per broadcast). */
  privateFrames = 0
  readonly txApplication: number[]
  readonly txControl: number[]
  private readonly n: number
  private readonly trackProbability: number
  private readonly records = new Map<number, MessageRecord>()
  private readonly tracked: MessageRecord[] = []
  private readonly latencies: number[] = []
  private readonly hopLatencies: number[] = []
  private readonly latencySum: Float64Array
  private readonly latencyCount: Float64Array
  private readonly sampled: Uint8Array
  private readonly seenNow: Array<IntSet | undefined>
  private readonly seenBefore: Array<IntSet | undefined>
  private rotateAt: number
  /** Virtual time each node last restarted (0: never); a fresh node may rightly show an old message again. */
  private readonly restartedAt: Float64Array
  private sampledReceptions = 0
  private novelReceptions = 0
  private readonly privates = new Map<number, PrivateRecord>()
  private readonly privateLatencies: number[] = []
  private privateShown = 0
  private privateReceipts = 0
  private privateMisdelivered = 0

  constructor (private readonly o: MetricsOptions) {
    this.n = o.nodes
    this.txApplication = new Array<number>(o.buckets).fill(0)
    this.txControl = new Array<number>(o.buckets).fill(0)
    const maxTracked = Math.max(1, Math.min(MAX_TRACKED_MESSAGES, Math.floor(TRACKING_BYTES_BUDGET / Math.max(1, o.nodes))))
    this.trackProbability = Math.min(1, maxTracked / Math.max(1, o.expectedMessages))
    this.restartedAt = new Float64Array(o.nodes)
    this.latencySum = new Float64Array(o.nodes)
    this.latencyCount = new Float64Array(o.nodes)
    this.sampled = new Uint8Array(o.nodes)
    if (o.nodes <= USEFULNESS_SAMPLE_NODES) this.sampled.fill(1)
    else for (let chosen = 0; chosen < USEFULNESS_SAMPLE_NODES;) { const i = Math.floor(o.sample() * o.nodes); if (this.sampled[i] === 0) { this.sampled[i] = 1; chosen++ } }
    this.seenNow = new Array(o.nodes)
    this.seenBefore = new Array(o.nodes)
    this.rotateAt = NOVELTY_WINDOW_MS
  }

  private get now (): number {
    return this.o.time.now
  }

  sent (_from: number, frame: Uint8Array): void {
    let bucket = Math.floor(this.now / this.o.bucketMs)
    if (bucket >= this.o.buckets) bucket = this.o.buckets - 1
    const type = carriedType(frame)
    if (isApplicationType(type)) {
      if (type === MessageType.noiseEncrypted) this.privateFrames++
      else this.appFrames++
      this.txApplication[bucket]!++
    } else {
      this.controlFrames++
      this.txControl[bucket]!++
    }
  }

  received (to: number, frame: Uint8Array): void {
    this.receptions++
    if (this.sampled[to] === 0) return
    if (this.now >= this.rotateAt) this.rotate()
    this.sampledReceptions++
    const key = frameKey(frame)
    const now = (this.seenNow[to] ??= new IntSet())
    if (now.has(key) || this.seenBefore[to]?.has(key) === true) return
    now.add(key)
    this.novelReceptions++
  }

  /** An application broadcast left `origin`; `hopsFrom` fills hop distance + 1 (0: unreachable) for tracked ones. */
  messageSent (id: number, origin: number, hopsFrom: (origin: number, out: Uint8Array) => void): void {
    this.messages++
    const tracked = this.o.sample() < this.trackProbability
    let hops: Uint8Array | null = null
    if (tracked) {
      hops = new Uint8Array(this.n)
      hopsFrom(origin, hops)
    }
    const record: MessageRecord = { origin, sentAt: this.now, delivered: new Uint8Array((this.n + 7) >> 3), hops }
    this.records.set(id, record)
    if (tracked) this.tracked.push(record)
  }

  /** Node `node` handed message `id` to its application. */
  delivered (id: number, node: number): void {
    const record = this.records.get(id)
    if (record === undefined || node === record.origin) return
    const byte = node >> 3
    const bit = 1 << (node & 7)
    if ((record.delivered[byte]! & bit) !== 0) {
      // A node restarted since the message was sent lost its dedup state with its memory: not a dedup failure.
      if (record.sentAt >= this.restartedAt[node]!) this.duplicatesDelivered++
      return
    }
    record.delivered[byte]! |= bit
    this.deliveries++
    if (record.hops === null) return
    const latency = this.now - record.sentAt
    this.latencies.push(latency)
    this.latencySum[node]! += latency
    this.latencyCount[node]!++
    const h = record.hops[node]!
    if (h > 1) this.hopLatencies.push(latency / (h - 1))
  }

  /** Private message `id` left `origin` for `destination`. */
  privateSent (id: number, origin: number, destination: number): void {
    this.privates.set(id, { origin, destination, sentAt: this.now, shown: false, receipted: false })
  }

  /** Node `node` showed private message `id`. */
  privateDelivered (id: number, node: number): void {
    const record = this.privates.get(id)
    if (record === undefined) return
    if (node !== record.destination || (record.shown && record.sentAt >= this.restartedAt[node]!)) { this.privateMisdelivered++; return }
    if (record.shown) return
    record.shown = true
    this.privateShown++
    this.privateLatencies.push(this.now - record.sentAt)
  }

  /** The sender of private message `id` got its delivery receipt. */
  privateReceipt (id: number): void {
    const record = this.privates.get(id)
    if (record === undefined || record.receipted) return
    record.receipted = true
    this.privateReceipts++
  }

  /** Node `node` came back with fresh state (churn restart). */
  nodeRestarted (node: number): void {
    this.restartedAt[node] = this.now
  }

  /** The summary keys of issue "Simulator"; timing fields are filled by the caller. */
  summarize (policy: string, virtualMinutes: number): Omit<SimSummary, 'events' | 'eventsPerSecond' | 'receptionsPerSecond' | 'wallSeconds' | 'peakRssMb'> {
    const { reachTtl, deliveredTtl, reachAll, deliveredAll } = this.tally()
    const latencies = Float64Array.from(this.latencies).sort()
    const hopLatencies = Float64Array.from(this.hopLatencies).sort()
    return {
      nodes: this.n,
      messages: this.messages,
      policy,
      // No receiver in reach (nodes out of radio range of each other): nothing could be delivered, which
      // is not 100 % delivery. NaN, written as null in JSON and "—" in tables.
      deliveryRatio: reachTtl === 0 ? NaN : deliveredTtl / reachTtl,
      deliveryRatioAll: reachAll === 0 ? NaN : deliveredAll / reachAll,
      txPerNodePerMessage: this.messages === 0 ? 0 : this.appFrames / this.messages / this.n,
      controlTxPerNodePerMinute: virtualMinutes === 0 ? 0 : this.controlFrames / this.n / virtualMinutes,
      usefulness: this.sampledReceptions === 0 ? 1 : this.novelReceptions / this.sampledReceptions,
      latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), p99: quantile(latencies, 0.99) },
      hopLatencyMs: { p50: quantile(hopLatencies, 0.5), p95: quantile(hopLatencies, 0.95) },
      duplicatesDelivered: this.duplicatesDelivered,
      ...(this.privates.size === 0 ? {} : { private: this.privateSummary() }),
      receptions: this.receptions,
    }
  }

  private privateSummary (): PrivateSummary {
    const sent = this.privates.size
    const latencies = Float64Array.from(this.privateLatencies).sort()
    return {
      messages: sent,
      deliveryRatio: this.privateShown / sent,
      receiptRatio: this.privateReceipts / sent,
      latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) },
      txPerMessage: this.privateFrames / sent,
      misdelivered: this.privateMisdelivered,
    }
  }

  /** The per-run parts of the report. */
  reportRun (summary: SimSummary): ReportPolicyRun {
    const byHop: Array<{ reach: number, delivered: number }> = []
    for (const r of this.tracked) {
      const hops = r.hops!
      for (let j = 0; j < this.n; j++) {
        const h = hops[j]!
        if (h <= 1) continue
        const slot = (byHop[h - 1] ??= { reach: 0, delivered: 0 })
        slot.reach++
        if ((r.delivered[j >> 3]! & (1 << (j & 7))) !== 0) slot.delivered++
      }
    }
    const deliveryByHop = byHop.flatMap((s, hops) => s === undefined ? [] : [{ hops, ratio: s.delivered / s.reach, count: s.reach }])
    const sorted = Float64Array.from(this.latencies).sort()
    const latencyCdf: Array<[number, number]> = []
    if (sorted.length > 0) {
      const step = Math.max(1, Math.floor(sorted.length / CDF_POINTS))
      for (let i = step - 1; i < sorted.length; i += step) latencyCdf.push([round(sorted[i]!), (i + 1) / sorted.length])
      if (latencyCdf[latencyCdf.length - 1]![1] < 1) latencyCdf.push([round(sorted[sorted.length - 1]!), 1])
    }
    const nodeMeanLatencyMs = Array.from(this.latencySum, (sum, i) => this.latencyCount[i]! > 0 ? round(sum / this.latencyCount[i]!) : null)
    return {
      summary,
      deliveryByHop,
      latencyCdf,
      txOverTime: { bucketSeconds: this.o.bucketMs / 1000, application: [...this.txApplication], control: [...this.txControl] },
      nodeMeanLatencyMs,
    }
  }

  private tally (): { reachTtl: number, deliveredTtl: number, reachAll: number, deliveredAll: number } {
    let reachTtl = 0; let deliveredTtl = 0; let reachAll = 0; let deliveredAll = 0
    for (const r of this.tracked) {
      const hops = r.hops!
      for (let j = 0; j < this.n; j++) {
        const h = hops[j]!
        if (h <= 1) continue
        const got = (r.delivered[j >> 3]! & (1 << (j & 7))) !== 0
        reachAll++
        if (got) deliveredAll++
        if (h - 1 <= ORIGIN_TTL_HOPS) {
          reachTtl++
          if (got) deliveredTtl++
        }
      }
    }
    return { reachTtl, deliveredTtl, reachAll, deliveredAll }
  }

  private rotate (): void {
    // The set two windows old is emptied and reused as the new window's: it will fill about as much.
    for (let i = 0; i < this.n; i++) {
      const older = this.seenBefore[i]
      older?.clear()
      this.seenBefore[i] = this.seenNow[i]
      this.seenNow[i] = older
    }
    this.rotateAt = this.now + NOVELTY_WINDOW_MS
    // Untracked messages only need their delivery bits while copies can still arrive.
    for (const [id, r] of this.records) {
      if (r.hops === null && r.sentAt < this.now - NOVELTY_WINDOW_MS) this.records.delete(id)
    }
  }
}

/**
 * Bytes of a frame that identify its packet: header, sender, recipient and the start of the payload
 * (a fragment's ID and index, a message's text) — hashing whole frames would cost more than the router.
 * 64 reach a fragment's index behind a v2 header, a recipient and a one-hop route (16 + 8 + 8 + 9 + 10);
 * the header's sender and timestamp already tell apart everything else a node sends.
 */
export const FRAME_KEY_BYTES = 64

/**
 * A 30-bit key of a frame with its TTL byte (offset 2, changed by every relay) left out. 30 bits keep it a
 * small integer to V8, so the novelty sets neither box it nor hash a heap number; two packets a node hears
 * within one window (~10⁴) share a key with probability ~10⁻⁵.
 */
export function frameKey (frame: Uint8Array): number {
  let h = 0x811c9dc5 ^ frame.length
  const n = frame.length < FRAME_KEY_BYTES ? frame.length : FRAME_KEY_BYTES
  // Bytes 0–1, then from 3 on: the same hash as skipping i = 2 inside one loop, without a branch per byte.
  const head = n < 2 ? n : 2
  for (let i = 0; i < head; i++) h = Math.imul(h ^ frame[i]!, 0x01000193)
  for (let i = 3; i < n; i++) h = Math.imul(h ^ frame[i]!, 0x01000193)
  return mix32(h) & 0x3fff_ffff
}

/** Nearest-rank quantile of sorted values; 0 for none. */
export function quantile (sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return round(sorted[i]!)
}

function round (v: number): number {
  return Math.round(v * 100) / 100
}
