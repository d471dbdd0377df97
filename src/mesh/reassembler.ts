// Rebuilds frames from fragments, keyed by (sender, fragment ID), under hard bounds so that unauthenticated
// fragments — anyone can claim any sender — cannot exhaust memory or break another sender's stream:
// the first fragment pins a stream's (total, type), a conflicting one is dropped without touching it.
import { equalBytes } from '@noble/ciphers/utils.js'
import type { Fragment } from '../wire/fragment.js'

/** [AND] FragmentManager.MAX_FRAGMENTS_PER_ID; also what we send, so iOS and Android both take it. */
export const MAX_FRAGMENTS = 256
/** [AND] FragmentManager: 1 MiB per reassembled packet (iOS allows ~1.18 MB only for files/Noise). */
export const MAX_REASSEMBLED_BYTES = 1_048_576
/** [AND] FragmentManager: 4 MiB of fragment bytes held across all streams. */
export const REASSEMBLY_BUDGET_BYTES = 4 * 1_048_576
/** security.md G6 (bitchat #159, #1515): at most 4 open streams per claimed sender, oldest evicted. */
export const MAX_STREAMS_PER_SENDER = 4
/** [iOS] TransportConfig.bleMaxInFlightAssemblies: open streams in total, oldest evicted. */
export const MAX_OPEN_STREAMS = 128
/** [iOS] TransportConfig.bleFragmentLifetimeSeconds; [AND] 30 s. */
export const REASSEMBLY_TIMEOUT_MS = 30_000

export type FragmentRejection = 'tooManyFragments' | 'mismatch' | 'conflict' | 'tooLarge'

export interface ReassemblerOptions {
  maxFragments?: number
  maxBytes?: number
  budgetBytes?: number
  maxStreamsPerSender?: number
  maxOpenStreams?: number
  timeoutMs?: number
}

interface Stream {
  readonly key: string
  readonly sender: string
  readonly total: number
  readonly type: number
  readonly createdAt: number
  readonly chunks: Array<Uint8Array | undefined>
  received: number
  bytes: number
}

export class Reassembler {
  /** Insertion order = creation order, so the oldest stream is first. */
  private readonly streams = new Map<string, Stream>()
  private readonly bySender = new Map<string, Stream[]>()
  private stored = 0
  /** Streams given up on: timed out, or evicted to respect a bound. */
  expired = 0
  evicted = 0
  private readonly maxFragments: number
  private readonly maxBytes: number
  private readonly budget: number
  private readonly perSender: number
  private readonly maxOpen: number
  private readonly timeout: number

  constructor (options: ReassemblerOptions = {}) {
    this.maxFragments = options.maxFragments ?? MAX_FRAGMENTS
    this.maxBytes = options.maxBytes ?? MAX_REASSEMBLED_BYTES
    this.budget = options.budgetBytes ?? REASSEMBLY_BUDGET_BYTES
    this.perSender = options.maxStreamsPerSender ?? MAX_STREAMS_PER_SENDER
    this.maxOpen = options.maxOpenStreams ?? MAX_OPEN_STREAMS
    this.timeout = options.timeoutMs ?? REASSEMBLY_TIMEOUT_MS
  }

  get openStreams (): number {
    return this.streams.size
  }

  get storedBytes (): number {
    return this.stored
  }

  /**
   * Adds one fragment from `senderKey` (any string identifying the claimed sender). Returns the whole frame
   * when this fragment completes it, null while incomplete (or for an identical repeat), or why it was refused.
   */
  add (senderKey: string, fragment: Fragment, now: number): Uint8Array | null | FragmentRejection {
    this.sweep(now)
    const { total, index, originalType, data } = fragment
    if (total > this.maxFragments) return 'tooManyFragments'
    if (data.length > this.maxBytes) return 'tooLarge'
    const id = fragment.fragmentId
    const key = senderKey + String.fromCharCode((id[0]! << 8) | id[1]!, (id[2]! << 8) | id[3]!, (id[4]! << 8) | id[5]!, (id[6]! << 8) | id[7]!)
    let stream = this.streams.get(key)
    if (stream === undefined) {
      stream = this.open(key, senderKey, total, originalType, now)
    } else {
      if (stream.total !== total || stream.type !== originalType) return 'mismatch'
      const existing = stream.chunks[index]
      if (existing !== undefined) return equalBytes(existing, data) ? null : 'conflict'
    }
    if (stream.bytes + data.length > this.maxBytes) {
      this.remove(stream)
      this.evicted++
      return 'tooLarge'
    }
    this.makeRoom(data.length, stream)
    stream.chunks[index] = data.slice() // the fragment is a view into a frame we do not own
    stream.received++
    stream.bytes += data.length
    this.stored += data.length
    if (stream.received < stream.total) return null
    this.remove(stream)
    const out = new Uint8Array(stream.bytes)
    let at = 0
    for (const chunk of stream.chunks) { out.set(chunk!, at); at += chunk!.length }
    return out
  }

  /** Drops streams older than the timeout. Cheap: streams are in creation order. */
  sweep (now: number): void {
    for (const stream of this.streams.values()) {
      if (now - stream.createdAt < this.timeout) break
      this.remove(stream)
      this.expired++
    }
  }

  private open (key: string, sender: string, total: number, type: number, now: number): Stream {
    const mine = this.bySender.get(sender)
    if (mine !== undefined && mine.length >= this.perSender) { this.remove(mine[0]!); this.evicted++ }
    if (this.streams.size >= this.maxOpen) { this.remove(this.streams.values().next().value!); this.evicted++ }
    const stream: Stream = { key, sender, total, type, createdAt: now, chunks: new Array(total), received: 0, bytes: 0 }
    this.streams.set(key, stream)
    const list = this.bySender.get(sender)
    if (list === undefined) this.bySender.set(sender, [stream])
    else list.push(stream)
    return stream
  }

  /** Evicts the oldest other streams until `bytes` more fit the global budget. */
  private makeRoom (bytes: number, keep: Stream): void {
    while (this.stored + bytes > this.budget) {
      let victim: Stream | undefined
      for (const s of this.streams.values()) if (s !== keep) { victim = s; break }
      if (victim === undefined) return // only `keep` is left and it is under maxBytes ≤ budget
      this.remove(victim)
      this.evicted++
    }
  }

  private remove (stream: Stream): void {
    if (!this.streams.delete(stream.key)) return
    this.stored -= stream.bytes
    const list = this.bySender.get(stream.sender)
    if (list !== undefined) {
      const i = list.indexOf(stream)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) this.bySender.delete(stream.sender)
    }
  }
}
