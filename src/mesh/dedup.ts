// "Have I seen this packet?" — a bounded, time-limited table of packet keys, in typed arrays.
//
// Why not lru-cache with an object per entry (what this was): a node holds ~1000 entries for minutes, and at
// simulator scale those objects were most of the heap — heap snapshot, 300 nodes × 60 s: ~100 MB of
// 139 MB were entry objects, their key strings, copy-source arrays and the cache's own arrays (≈ 330 KB a
// node). Here an entry is ~31 bytes in a few typed arrays, a key is written into a scratch array instead of
// allocated as a string, and the copy sources are 4-bit TTLs per link slot.
//
// Entries keep a 64-bit fingerprint of the key (two independent 32-bit hashes), not its 26 bytes: at
// 10 000 simulated nodes the stored keys alone were ~260 MB. Two different packets share a fingerprint
// with probability 2^-64 per pair, so a lookup against 1000 entries wrongly says "seen" with about 2^-54:
// a node looking up 100 frames a second for a year (2^31.6) has about a 2^-22 chance of one false
// duplicate, far below the chance of losing that frame on the radio. Forging a collision gains an
// attacker nothing: the key leaves out the signature and TTL, so a forged copy of a packet already
// collides by design, and a collision with a packet not yet sent would need that packet's timestamp and
// payload digest in advance.
//
// Eviction is first in, first out (a ring), not least recently used: copies of a packet arrive within
// seconds of the first, long before 1000 newer packets push it out, so recency adds nothing here.
import type { Clock } from '../clock.js'
import type { CryptoProvider } from '../crypto/provider.js'
import type { FrameHeader } from '../wire/packet.js'
import type { Packet } from '../wire/packet-types.js'
import { deleteAt } from './slots.js'

/** [iOS] TransportConfig.messageDedupMaxCount. */
export const DEDUP_MAX_ENTRIES = 1000
/** [iOS] TransportConfig.messageDedupMaxAgeSeconds = 300. */
export const DEDUP_MAX_AGE_MS = 300_000
/**
 * Fragments get their own table so a 256-fragment transfer cannot flush the message entries. Our choice:
 * room for four full-size (256-fragment) streams.
 */
export const FRAGMENT_DEDUP_MAX_ENTRIES = 1024
/** Fragment copies stop arriving long before the 30 s reassembly timeout; our choice, 2× that timeout. */
export const FRAGMENT_DEDUP_MAX_AGE_MS = 60_000
/** Bytes of SHA-256(payload) in the key; iOS keeps 4 (`BLEIngressLinkRegistry.messageID`), we keep 8. */
const DIGEST_KEY_BYTES = 8
/** A key is this many 16-bit units: type, sender (4), timestamp (4), digest (4). Fragment keys use 11. */
export const KEY_UNITS = 13
/**
 * Links whose copies an entry remembers (see `copyTtl`); a link without a slot is never known to hold a
 * copy, so it is only ever sent one more than it needed. Links per node are capped at 6–7 on BLE (our
 * hardware cap MAX_LINKS is 6, the simulator's profiles 6–7); 16 leaves room for a raised `--max-links`
 * and costs 8 bytes an entry, not the 16 of 32 slots.
 */
export const LINK_SLOTS = 16
const SLOT_WORDS = LINK_SLOTS / 8
/** Entry states. */
const EMPTY = 0
const RECORDED = 1
const VERIFIED = 2

export interface DedupOptions {
  maxEntries?: number
  maxAgeMs?: number
}

/**
 * Entries are named by handles (≥ 1) that stay valid until the entry is evicted or expires; a stale handle
 * reads as "no entry" and writes to it are ignored, so a relay timer or a held message may outlive its entry.
 * Per entry: the best TTL received, relay upgrades, whether it was verified, when it was recorded, and for
 * each link slot the best TTL a copy on that link carried. `R` is whatever the caller attaches (a waiting
 * relay); attachments are dropped with their entry.
 */
export class DedupTable<R> {
  /**
   * Scratch for the key of the next `find`/`add`: fill it with `packetKeyInto` or `fragmentKeyInto`. One per
   * table, so another packet's lookup must not come between a packet's `find` and its `add` (the router is
   * not re-entered while it handles a frame: links deliver frames from their own events).
   */
  readonly key = new Uint16Array(KEY_UNITS)
  private readonly capacity: number
  private readonly maxAgeMs: number
  /** Per entry: the key's hash (`keySeed`, also the table's probe hash) and a second, independent one. */
  private readonly hashes: Uint32Array
  private readonly checks: Uint32Array
  private readonly times: Float64Array
  private readonly ttls: Uint8Array
  private readonly upgradeCounts: Uint8Array
  /** Per entry: EMPTY, RECORDED or VERIFIED. */
  private readonly states: Uint8Array
  /** Per entry SLOT_WORDS words, 4 bits per link slot: 0 no copy, else TTL + 1. */
  private readonly copies: Uint32Array
  /**
   * Open addressing, linear probing: ring position + 1, 0 empty. 16-bit while positions fit (the tables the
   * router makes hold ~1000 entries): 4 KB of the ~31 KB a table costs, at 10 000 simulated nodes 40 MB.
   */
  private readonly index: Uint16Array | Uint32Array
  private readonly mask: number
  private readonly attached = new Map<number, R>()
  /**
   * The handle of the newest entry. Handles are given in ring order, so ring position p holds the newest
   * handle h ≤ lastHandle with (h − 1) mod capacity = p: no per-entry handle array (8 bytes an entry,
   * 80 MB at 10 000 simulated nodes).
   */
  private lastHandle = 0
  private live = 0

  constructor (private readonly clock: Clock, options: DedupOptions = {}) {
    const capacity = options.maxEntries ?? DEDUP_MAX_ENTRIES
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`dedup maxEntries must be a positive integer, got ${capacity}`)
    this.capacity = capacity
    this.maxAgeMs = options.maxAgeMs ?? DEDUP_MAX_AGE_MS
    this.hashes = new Uint32Array(capacity)
    this.checks = new Uint32Array(capacity)
    this.times = new Float64Array(capacity)
    this.ttls = new Uint8Array(capacity)
    this.upgradeCounts = new Uint8Array(capacity)
    this.states = new Uint8Array(capacity)
    this.copies = new Uint32Array(capacity * SLOT_WORDS)
    let size = 2
    while (size < capacity * 2) size *= 2
    this.index = capacity < 0xffff ? new Uint16Array(size) : new Uint32Array(size)
    this.mask = size - 1
  }

  get size (): number {
    return this.live
  }

  /** The handle of the entry whose key is in `key`, or 0 when there is none (or it is older than the max age). */
  find (): number {
    const hash = keySeed(this.key)
    const check = keyCheck(this.key)
    for (let p = hash & this.mask; ; p = (p + 1) & this.mask) {
      const slot = this.index[p]! - 1
      if (slot < 0) return 0
      if (this.hashes[slot] !== hash || this.checks[slot] !== check) continue
      if (this.clock.now() - this.times[slot]! > this.maxAgeMs) { this.evict(slot); return 0 }
      return this.handleIn(slot)
    }
  }

  /** Records the key in `key` (which must not be present: `find` first) and returns its handle. */
  add (ttl: number, verified: boolean): number {
    const slot = this.lastHandle % this.capacity
    if (this.states[slot] !== EMPTY) this.evict(slot)
    const handle = ++this.lastHandle
    const hash = keySeed(this.key)
    this.hashes[slot] = hash
    this.checks[slot] = keyCheck(this.key)
    this.times[slot] = this.clock.now()
    this.ttls[slot] = ttl
    this.upgradeCounts[slot] = 0
    this.states[slot] = verified ? VERIFIED : RECORDED
    this.copies.fill(0, slot * SLOT_WORDS, slot * SLOT_WORDS + SLOT_WORDS)
    let p = hash & this.mask
    while (this.index[p] !== 0) p = (p + 1) & this.mask
    this.index[p] = slot + 1
    this.live++
    return handle
  }

  has (handle: number): boolean {
    return this.slotOf(handle) >= 0
  }

  /** The key's 32-bit hash: a seed for per-packet choices that must agree across calls (fanout subsets). */
  seed (handle: number): number {
    const slot = this.slotOf(handle)
    return slot < 0 ? 0 : this.hashes[slot]!
  }

  /** Best TTL received so far (0 for a stale handle). */
  ttl (handle: number): number {
    const slot = this.slotOf(handle)
    return slot < 0 ? 0 : this.ttls[slot]!
  }

  setTtl (handle: number, ttl: number): void {
    const slot = this.slotOf(handle)
    if (slot >= 0) this.ttls[slot] = ttl
  }

  upgrades (handle: number): number {
    const slot = this.slotOf(handle)
    return slot < 0 ? 0 : this.upgradeCounts[slot]!
  }

  countUpgrade (handle: number): void {
    const slot = this.slotOf(handle)
    if (slot >= 0) this.upgradeCounts[slot]!++
  }

  verified (handle: number): boolean {
    const slot = this.slotOf(handle)
    return slot >= 0 && this.states[slot] === VERIFIED
  }

  markVerified (handle: number): void {
    const slot = this.slotOf(handle)
    if (slot >= 0) this.states[slot] = VERIFIED
  }

  /** The best TTL a copy on link slot `linkSlot` carried, or -1 when none came on it (or no slot). */
  copyTtl (handle: number, linkSlot: number): number {
    const slot = this.slotOf(handle)
    if (slot < 0 || linkSlot < 0 || linkSlot >= LINK_SLOTS) return -1
    const nibble = (this.copies[slot * SLOT_WORDS + (linkSlot >> 3)]! >>> ((linkSlot & 7) * 4)) & 0xf
    return nibble - 1
  }

  /** A copy with `ttl` (0–7) arrived on link slot `linkSlot`; keeps the best per slot. */
  recordCopy (handle: number, linkSlot: number, ttl: number): void {
    const slot = this.slotOf(handle)
    if (slot < 0 || linkSlot < 0 || linkSlot >= LINK_SLOTS) return
    const word = slot * SLOT_WORDS + (linkSlot >> 3)
    const shift = (linkSlot & 7) * 4
    const held = ((this.copies[word]! >>> shift) & 0xf) - 1
    if (ttl > held) this.copies[word] = (this.copies[word]! & ~(0xf << shift)) | ((ttl + 1) << shift)
  }

  /** A link slot was given up (its link closed): no entry may claim its next owner holds a copy. */
  forgetLinkSlot (linkSlot: number): void {
    if (linkSlot < 0 || linkSlot >= LINK_SLOTS) return
    const keep = ~(0xf << ((linkSlot & 7) * 4))
    for (let word = linkSlot >> 3; word < this.copies.length; word += SLOT_WORDS) this.copies[word]! &= keep
  }

  attachment (handle: number): R | undefined {
    return this.attached.size === 0 ? undefined : this.attached.get(handle)
  }

  attach (handle: number, value: R | undefined): void {
    if (value === undefined) this.attached.delete(handle)
    else if (this.slotOf(handle) >= 0) this.attached.set(handle, value)
  }

  /** How many entries carry an attachment. */
  get attachments (): number {
    return this.attached.size
  }

  /** Drops every attachment, handing each to `onEach` first. */
  detachAll (onEach: (value: R) => void): void {
    for (const value of this.attached.values()) onEach(value)
    this.attached.clear()
  }

  private slotOf (handle: number): number {
    if (handle < 1 || handle > this.lastHandle || handle <= this.lastHandle - this.capacity) return -1
    const slot = (handle - 1) % this.capacity
    return this.states[slot] !== EMPTY ? slot : -1
  }

  /** The handle of the entry in ring position `slot` (which holds one). */
  private handleIn (slot: number): number {
    return this.lastHandle - ((this.lastHandle - 1 - slot) % this.capacity)
  }

  /** Where the index entry `entry` (ring position + 1) hashes to; one function for the table's lifetime. */
  private readonly homeOf = (entry: number): number => this.hashes[entry - 1]! & this.mask

  /** Removes the entry in ring position `slot` from the index. */
  private evict (slot: number): void {
    const mask = this.mask
    const index = this.index
    let p = this.hashes[slot]! & mask
    while (index[p] !== slot + 1) p = (p + 1) & mask
    deleteAt(index, mask, p, this.homeOf)
    if (this.attached.size > 0) this.attached.delete(this.handleIn(slot))
    this.states[slot] = EMPTY
    this.live--
  }
}

/**
 * iOS's message ID (sender, timestamp, type, digest of the payload), as 13 16-bit units in `out`.
 * Signature and TTL are left out on purpose: a forged or re-TTL'd copy collides with the genuine one,
 * which is why only verified copies may be recorded when the sender is known.
 */
export function packetKeyInto (out: Uint16Array, crypto: CryptoProvider, packet: Packet): void {
  const ts = packet.timestamp
  const payload = packet.payload
  writeKey(out, packet.type, packet.senderId, 0, Number(ts >> 32n) >>> 0, Number(ts & 0xffffffffn) >>> 0, payloadDigest(crypto, payload, 0, payload.length))
}

/** `packetKeyInto` of the packet `frame` decodes to, from a header `peekHeader` accepted (no decoding). */
export function frameKeyInto (out: Uint16Array, crypto: CryptoProvider, frame: Uint8Array, header: FrameHeader): void {
  const start = header.payloadAt
  const digest = payloadDigest(crypto, frame, start, start + header.payloadLength)
  writeKey(out, header.type, frame, header.senderAt, header.timestampHi, header.timestampLo, digest)
}

/** Where providers that hash in place put a key's digest (one key at a time: nothing here re-enters). */
const keyDigest = new Uint8Array(32)

/** SHA-256 of `bytes[start, end)`, in `keyDigest` when the provider hashes in place, else a fresh array. */
function payloadDigest (crypto: CryptoProvider, bytes: Uint8Array, start: number, end: number): Uint8Array {
  if (crypto.sha256Into === undefined) return crypto.sha256(bytes.subarray(start, end))
  crypto.sha256Into(bytes, start, end, keyDigest)
  return keyDigest
}

/** The key's layout, one place for both: type, the sender ID at `s` in `bytes`, timestamp halves, digest. */
function writeKey (out: Uint16Array, type: number, bytes: Uint8Array, s: number, hi: number, lo: number, digest: Uint8Array): void {
  out[0] = type
  out[1] = (bytes[s]! << 8) | bytes[s + 1]!; out[2] = (bytes[s + 2]! << 8) | bytes[s + 3]!
  out[3] = (bytes[s + 4]! << 8) | bytes[s + 5]!; out[4] = (bytes[s + 6]! << 8) | bytes[s + 7]!
  out[5] = hi >>> 16; out[6] = hi & 0xffff; out[7] = lo >>> 16; out[8] = lo & 0xffff
  out[9] = (digest[0]! << 8) | digest[1]!; out[10] = (digest[2]! << 8) | digest[3]!
  out[11] = (digest[4]! << 8) | digest[5]!; out[12] = (digest[6]! << 8) | digest[DIGEST_KEY_BYTES - 1]!
}

/**
 * A fragment's identity: (sender, fragment ID, index), plus the stream's total and carried type so that a
 * fragment with a conflicting header never shadows the genuine one. 11 units, then two zeros.
 */
export function fragmentKeyInto (out: Uint16Array, senderId: Uint8Array, fragmentId: Uint8Array, index: number, total: number, originalType: number): void {
  const s = senderId
  const f = fragmentId
  out[0] = (s[0]! << 8) | s[1]!; out[1] = (s[2]! << 8) | s[3]!; out[2] = (s[4]! << 8) | s[5]!; out[3] = (s[6]! << 8) | s[7]!
  out[4] = (f[0]! << 8) | f[1]!; out[5] = (f[2]! << 8) | f[3]!; out[6] = (f[4]! << 8) | f[5]!; out[7] = (f[6]! << 8) | f[7]!
  out[8] = index; out[9] = total; out[10] = originalType; out[11] = 0; out[12] = 0
}

/**
 * A second 32-bit hash of a key, independent of `keySeed`: MurmurHash3's x86_32 block mixing and
 * finaliser over the units, so the pair is a 64-bit fingerprint rather than one hash twice.
 */
export function keyCheck (key: Uint16Array): number {
  let h = 0x9747b28c
  for (let i = 0; i < key.length; i++) {
    let k = Math.imul(key[i]!, 0xcc9e2d51)
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
    h ^= k
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0
  }
  h ^= key.length
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** FNV-1a over a key's units: the table's hash and a 32-bit per-packet seed. */
export function keySeed (key: Uint16Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193)
  return h >>> 0
}
