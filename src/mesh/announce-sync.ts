// Gossip sync of announces (REQUEST_SYNC 0x21, bitchat-protocol.md §7.3): each sender's latest announce,
// kept so that a neighbour who missed it can have it from us instead of from a mesh-wide flood. A request
// carries a GCS filter of the announces the requester holds; the answer is every fresh one it lacks, sent
// on that link alone with TTL 0, so nobody relays it.
import { LRUCache } from 'lru-cache'
import type { CryptoProvider } from '../crypto/provider.js'
import { buildGcsFilter, decodeGcs, gcsHas, gcsValue } from '../wire/gcs.js'
import { MessageType, type Packet } from '../wire/packet-types.js'
import { decodePacket, TTL_AT } from '../wire/packet.js'
import { encodeRequestSync, type RequestSync } from '../wire/request-sync.js'
import { FrameSlab } from './frame-slab.js'
import { packetId } from './packet-id.js'

/**
 * How old (by its own timestamp) a stored announce may be and still be offered: [AND] keeps the latest
 * announce per peer for 60 s, [iOS] drops a peer's announce after stalePeerTimeoutSeconds = 60. It is also
 * what lets us answer without the RSR flag, which only iOS knows: iOS takes an unflagged packet within
 * ±120 s of its clock, so a 60 s old one passes with room for skew.
 */
export const SYNC_ANNOUNCE_MAX_AGE_MS = 60_000
/**
 * Announces kept (the freshest of each sender, least recently refreshed dropped first). [AND] syncs at most
 * 100 packets; a bound keeps a node's memory flat however large the mesh around it.
 */
export const SYNC_MAX_ANNOUNCES = 100
/** Our filter's byte budget: [AND]'s 256 (iOS sends up to 400; both accept 1024). */
export const SYNC_FILTER_MAX_BYTES = 256
/** False-positive rate of our filters: both phones' 1 %, P = 7. */
export const SYNC_FPR = 0.01
/**
 * A request payload is reused for this long while no announce was stored meanwhile: the periodic round asks
 * every neighbour at once, and one filter serves them all.
 */
const PAYLOAD_REUSE_MS = 1_000
/** [iOS] responseRateLimit*: at most 8 answers per 30 s to one neighbour, since an answer can replay the whole store. */
export const SYNC_ANSWERS_PER_WINDOW = 8
export const SYNC_ANSWER_WINDOW_MS = 30_000
/** The types bitfield's announce bit ([iOS] SyncTypeFlags, [AND] docs/sync.md). */
export const SYNC_TYPE_ANNOUNCE = 1 << 0

interface Stored {
  /** The announce as received, TTL set to 0. */
  readonly frame: Uint8Array
  /** Sender's timestamp, ms (exact: the router took it only within its clock-skew window of ours). */
  readonly timestamp: number
  /** SHA-256 of the packet ID, what a GCS filter is built from; computed when first needed (most are replaced first). */
  idHash: Uint8Array | null
}

export class AnnounceSync {
  /** By sender key; a refresh makes an entry the most recent, and the least recently refreshed goes when full. */
  private readonly latest: LRUCache<string, Stored>
  /**
   * Copies share slabs rather than each owning a buffer (an ArrayBuffer, a backing-store record and a
   * malloc block besides the bytes): 1 000 nodes × 30 s with sync peaked at 491 MB instead of 596.
   */
  private readonly copies = new FrameSlab()
  private payload: Uint8Array | null = null
  private payloadAt = 0
  /** Answers per requester (sender key) in its current SYNC_ANSWER_WINDOW_MS. */
  private readonly answers = new Map<string, { since: number, count: number }>()

  constructor (private readonly crypto: CryptoProvider, maxAnnounces = SYNC_MAX_ANNOUNCES) {
    this.latest = new LRUCache({ max: maxAnnounces })
  }

  get size (): number {
    return this.latest.size
  }

  /** An announce that passed acceptance (`packet` decoded from `frame`); replaces its sender's older one. */
  note (senderKey: string, packet: Packet, frame: Uint8Array): void {
    if (packet.type !== MessageType.announce) return
    const timestamp = Number(packet.timestamp)
    const old = this.latest.peek(senderKey)
    if (old !== undefined && old.timestamp >= timestamp) return
    this.payload = null
    const copy = this.copies.copy(frame, frame.length)
    copy[TTL_AT] = 0
    this.latest.set(senderKey, { frame: copy, timestamp, idHash: null })
  }

  private idHash (s: Stored): Uint8Array {
    if (s.idHash !== null) return s.idHash
    // It decoded when it arrived, and a stored copy never changes.
    const p = decodePacket(s.frame)
    return s.idHash = this.crypto.sha256(packetId(this.crypto, p.type, p.senderId, p.timestamp, p.payload))
  }

  /** A peer left: its announce is no longer offered. */
  forget (senderKey: string): void {
    if (this.latest.delete(senderKey)) this.payload = null
    this.answers.delete(senderKey)
  }

  /** A REQUEST_SYNC payload asking for the announces we lack: a filter of the fresh ones we hold, newest first. */
  requestPayload (now: number): Uint8Array {
    if (this.payload !== null && now - this.payloadAt < PAYLOAD_REUSE_MS) return this.payload
    const hashes = this.fresh(now).map(([, s]) => this.idHash(s))
    const filter = buildGcsFilter(hashes, { fpr: SYNC_FPR, maxBytes: SYNC_FILTER_MAX_BYTES })
    this.payloadAt = now
    return this.payload = encodeRequestSync({ p: filter.p, m: filter.m, filter: filter.data, types: SYNC_TYPE_ANNOUNCE, since: null, fragmentIds: null })
  }

  /** Whether `requester` (a sender key) may have an answer now; counts it if so (SYNC_ANSWERS_PER_WINDOW). */
  mayAnswer (requester: string, now: number): boolean {
    let window = this.answers.get(requester)
    if (window === undefined || now - window.since >= SYNC_ANSWER_WINDOW_MS) {
      // The map holds only neighbours that asked within a window: drop the others while we are here.
      for (const [key, w] of this.answers) if (now - w.since >= SYNC_ANSWER_WINDOW_MS) this.answers.delete(key)
      this.answers.set(requester, window = { since: now, count: 0 })
    }
    if (window.count >= SYNC_ANSWERS_PER_WINDOW) return false
    window.count++
    return true
  }

  /**
   * The frames (TTL 0) a request from `requester` lacks: fresh stored announces whose ID its filter does
   * not hold, except the requester's own. Throws DecodeError for a malformed filter. A request without a
   * types field asks for announces too, as on iOS.
   */
  missing (request: RequestSync, requester: string, now: number): Uint8Array[] {
    if (request.types !== null && (request.types & SYNC_TYPE_ANNOUNCE) === 0) return []
    const values = decodeGcs({ p: request.p, m: request.m, data: request.filter })
    const out: Uint8Array[] = []
    for (const [key, s] of this.fresh(now)) {
      if (key !== requester && !gcsHas(values, gcsValue(this.idHash(s), request.m))) out.push(s.frame)
    }
    return out
  }

  /** Stored announces young enough to offer, most recently refreshed first; the stale ones are dropped. */
  private fresh (now: number): Array<[string, Stored]> {
    const out: Array<[string, Stored]> = []
    const stale: string[] = []
    for (const entry of this.latest.entries()) {
      if (now - entry[1].timestamp > SYNC_ANNOUNCE_MAX_AGE_MS) stale.push(entry[0])
      else out.push(entry)
    }
    for (const key of stale) this.latest.delete(key)
    return out
  }
}

