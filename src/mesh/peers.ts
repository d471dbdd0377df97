// Who is out there: peers learned from verified announces. The first keys seen for a peer ID are pinned
// (trust on first use, bitchat-protocol.md §5.1 step 4) and a later announce with other keys is refused,
// never silently accepted. Presence (appeared / left) is separate from pins, which outlive it.

import { ANNOUNCE_KEY_BYTES } from '../wire/announce.js'
import { LocalPinPool, PIN_BYTES, pinEquals, type PinPool } from './pin-pool.js'
import { deleteAt, mixWords, widened } from './slots.js'

/**
 * Once no announce was heard for this long a peer is gone: [AND] AppConstants.Mesh.STALE_PEER_TIMEOUT_MS
 * (3 minutes). Relays forward a sender's announces at most about once a minute (policy `adaptive`,
 * ANNOUNCE_RELAY_INTERVAL_MS), so a peer a few hops away gets three chances before it is dropped; at our
 * earlier 90 s one lost relayed announce flapped it.
 */
export const PEER_STALE_MS = 180_000
/** Our bound on remembered pins (announces are cheap to forge under fresh IDs); the pin of the peer that arrived longest ago goes first. */
export const MAX_PINNED_PEERS = 4096

export interface PeerKeys {
  readonly noisePublicKey: Uint8Array
  readonly signingPublicKey: Uint8Array
}

/** A peer as the table saw it when asked (a copy: later announces do not change it). */
export interface Peer extends PeerKeys {
  /** 8-byte peer ID. */
  readonly id: Uint8Array
  /** Lowercase hex of `id`, as the phones show it. */
  readonly idHex: string
  readonly nickname: string
  readonly firstSeen: number
  readonly lastSeen: number
}

export type AnnounceOutcome = 'new' | 'refreshed' | 'keyMismatch'

/** A peer ID packed into 4 UTF-16 code units: the map key everywhere on the hot path. */
export function peerKey (id: Uint8Array): string {
  return String.fromCharCode((id[0]! << 8) | id[1]!, (id[2]! << 8) | id[3]!, (id[4]! << 8) | id[5]!, (id[6]! << 8) | id[7]!)
}

/** The 8-byte peer ID a `peerKey` was made from. */
function idOfKey (key: string): Uint8Array {
  const id = new Uint8Array(8)
  for (let i = 0; i < 4; i++) {
    const c = key.charCodeAt(i)
    id[2 * i] = c >>> 8
    id[2 * i + 1] = c & 0xff
  }
  return id
}

const HEX_DIGITS = '0123456789abcdef'
/** Bytes per String.fromCharCode call in toHex: twice this many arguments stays far below engine limits. */
const HEX_CHUNK_BYTES = 4096

/** Lowercase hex, built as one flat string (a `+=` loop leaves a tree of cons strings behind every ID). */
export function toHex (bytes: Uint8Array): string {
  let out = ''
  for (let start = 0; start < bytes.length; start += HEX_CHUNK_BYTES) {
    const end = Math.min(bytes.length, start + HEX_CHUNK_BYTES)
    const codes = new Uint16Array((end - start) * 2)
    for (let i = start, j = 0; i < end; i++, j += 2) {
      const b = bytes[i]!
      codes[j] = HEX_DIGITS.charCodeAt(b >>> 4)
      codes[j + 1] = HEX_DIGITS.charCodeAt(b & 15)
    }
    out += String.fromCharCode.apply(null, codes as unknown as number[])
  }
  return out
}

/** Float64 fields per slot: first seen, last seen, announce relayed (sender's timestamp), announce relayed at (ours). */
const TIME_FIELDS = 4
const FIRST_SEEN = 0
const LAST_SEEN = 1
const RELAYED_TS = 2
const RELAYED_AT = 3
/** Slots allocated at first; the arrays grow by half when full. */
const INITIAL_SLOTS = 16
/** `flags` bits: the low four hold hops (0 unknown), then the full-fanout capability, then presence. */
const HOPS_MASK = 0x0f
const FULL_FANOUT = 0x10
const PRESENT = 0x80

/** What a caller gets from the table: a copy, so it stays true to the moment it was taken. */
class PeerSnapshot implements Peer {
  constructor (
    private readonly key: string,
    /** Noise key then signing key (a copy of the pin). */
    private readonly pin: Uint8Array,
    readonly nickname: string,
    readonly firstSeen: number,
    readonly lastSeen: number,
  ) {}

  get id (): Uint8Array {
    return idOfKey(this.key)
  }

  get idHex (): string {
    return toHex(idOfKey(this.key))
  }

  get noisePublicKey (): Uint8Array {
    return this.pin.slice(0, ANNOUNCE_KEY_BYTES)
  }

  get signingPublicKey (): Uint8Array {
    return this.pin.slice(ANNOUNCE_KEY_BYTES)
  }
}

/**
 * Peer ID → slot by open addressing over the ID's two 32-bit words, and the slots in arrival order (oldest
 * first) as a linked list, all in typed arrays: a Map from key strings cost ≈ 60 bytes a peer more (its
 * entry plus the string it keeps; heap snapshot, 3 000 nodes: 37 MB of map tables, and key strings).
 */
class SlotIndex {
  /** Per slot: the ID's high and low words. */
  private words = new Uint32Array(INITIAL_SLOTS * 2)
  /** Per slot: the next older and next newer slot in arrival order, -1 at either end. */
  private olderOf = new Int32Array(INITIAL_SLOTS)
  private newerOf = new Int32Array(INITIAL_SLOTS)
  /** Linear probing: slot + 1, 0 empty; at least twice the slot capacity, a power of two. */
  private table = new Int32Array(INITIAL_SLOTS * 2)
  private mask = INITIAL_SLOTS * 2 - 1
  private oldestSlot = -1
  private newestSlot = -1
  count = 0
  /** Where the table entry `entry` (slot + 1) hashes to. */
  private readonly homeOf = (entry: number): number => this.home(entry - 1)

  /** The table position slot's ID hashes to. */
  private home (slot: number): number {
    return mixWords(this.words[slot * 2]!, this.words[slot * 2 + 1]!) & this.mask
  }

  /** The oldest slot in arrival order, or -1. */
  get oldest (): number {
    return this.oldestSlot
  }

  /** The next newer slot after `slot`, or -1. */
  newer (slot: number): number {
    return this.newerOf[slot]!
  }

  find (key: string): number {
    const hi = wordOf(key, 0)
    const lo = wordOf(key, 2)
    const words = this.words
    for (let p = mixWords(hi, lo) & this.mask; ; p = (p + 1) & this.mask) {
      const slot = this.table[p]! - 1
      if (slot < 0) return -1
      if (words[slot * 2] === hi && words[slot * 2 + 1] === lo) return slot
    }
  }

  keyOf (slot: number): string {
    const hi = this.words[slot * 2]!
    const lo = this.words[slot * 2 + 1]!
    return String.fromCharCode(hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff)
  }

  /** Adds `key` (not present) in `slot`, as the newest. `slot` must be below the capacity given to `reserve`. */
  insert (key: string, slot: number): void {
    this.words[slot * 2] = wordOf(key, 0)
    this.words[slot * 2 + 1] = wordOf(key, 2)
    this.place(slot)
    this.link(slot)
    this.count++
  }

  remove (slot: number): void {
    const mask = this.mask
    const table = this.table
    let p = this.home(slot)
    while (table[p] !== slot + 1) p = (p + 1) & mask
    deleteAt(table, mask, p, this.homeOf)
    this.unlink(slot)
    this.count--
  }

  /** Moves `slot` to the newest end of the order. */
  toNewest (slot: number): void {
    if (slot === this.newestSlot) return
    this.unlink(slot)
    this.link(slot)
  }

  /** Appends `slot` to the order as the newest. */
  private link (slot: number): void {
    this.olderOf[slot] = this.newestSlot
    this.newerOf[slot] = -1
    if (this.newestSlot === -1) this.oldestSlot = slot
    else this.newerOf[this.newestSlot] = slot
    this.newestSlot = slot
  }

  private unlink (slot: number): void {
    const older = this.olderOf[slot]!
    const newer = this.newerOf[slot]!
    if (older === -1) this.oldestSlot = newer
    else this.newerOf[older] = newer
    if (newer === -1) this.newestSlot = older
    else this.olderOf[newer] = older
  }

  /** Makes room for slots below `capacity`. */
  reserve (capacity: number): void {
    if (capacity * 2 > this.words.length) {
      this.words = widened(this.words, capacity * 2)
      this.olderOf = widened(this.olderOf, capacity)
      this.newerOf = widened(this.newerOf, capacity)
    }
    if (capacity * 2 <= this.table.length) return
    let size = this.table.length
    while (size < capacity * 2) size *= 2
    const old = this.table
    this.table = new Int32Array(size)
    this.mask = size - 1
    for (const entry of old) if (entry !== 0) this.place(entry - 1)
  }

  private place (slot: number): void {
    let p = this.home(slot)
    while (this.table[p] !== 0) p = (p + 1) & this.mask
    this.table[p] = slot + 1
  }
}

function routingBits (hops: number, fullFanout: boolean): number {
  return (hops > 0 && hops <= HOPS_MASK ? hops : 0) | (fullFanout ? FULL_FANOUT : 0)
}

/** Units `at` and `at + 1` of a peer key as one 32-bit word. */
function wordOf (key: string, at: number): number {
  return ((key.charCodeAt(at) << 16) | key.charCodeAt(at + 1)) >>> 0
}

/** Whether `keys` have the sizes a pin holds: 32 bytes each (the announce codec refuses others). */
function fitsPin (keys: PeerKeys): boolean {
  return keys.noisePublicKey.length === ANNOUNCE_KEY_BYTES && keys.signingPublicKey.length === ANNOUNCE_KEY_BYTES
}

export interface PeerTableOptions {
  staleMs?: number
  maxPinned?: number
  /** Pins known from earlier runs (the store), by 16-hex peer ID. */
  pins?: Iterable<[string, PeerKeys]>
  /** Where the pins' bytes and the nicknames live; default a pool of the table's own (the simulator shares one). */
  pinPool?: PinPool
}

/**
 * Pins and presence in slots of flat typed arrays, found through a `SlotIndex`. A node learns every peer
 * in announce reach, so at 10 000 simulated nodes the tables hold millions of entries. As objects (a
 * peer, its pin, four boxed numbers, a key string, two map entries) they cost 337–375 bytes an entry; heap
 * snapshot, 1 000 nodes × 120 s, 262 783 peers: 20 MB of peer objects, 10 MB of pin objects and 21 MB of
 * boxed numbers besides their strings and map tables. Here an entry cost 208 bytes, its nickname
 * included (heap + array buffers after GC, 300 tables × 300 peers and 100 × 1 000, 8-character names),
 * before the pin moved to a `PinPool` (4 bytes of handle more with a pool of the table's own; 64 bytes
 * and the nickname's string fewer when the pool is shared).
 */
export class PeerTable {
  /**
   * Every pin's slot, in order of the peer's latest arrival (new, or back after leaving or going stale):
   * the eviction order. The store keeps the pins of the peers that arrived last, so a relay that restarts
   * forgets the same ones this table would; and a friend who comes by every day keeps their pin however
   * many strangers pass between visits.
   */
  private readonly slots = new SlotIndex()
  private nicknames: string[] = []
  private readonly pinPool: PinPool
  /** Per slot: the handle of its pin in `pinPool`. */
  private pinHandles = new Uint32Array(INITIAL_SLOTS)
  private times = new Float64Array(INITIAL_SLOTS * TIME_FIELDS)
  /**
   * Per slot: whether the peer is present (PRESENT) and, from its latest announce, how many links that
   * crossed to reach us and whether the peer relays as we do (capability bit 15). One byte for all three:
   * every simulated node holds a slot per peer in reach, and the 10 000-node run sits within 1 % of its
   * 2 GB goal.
   */
  private flags = new Uint8Array(INITIAL_SLOTS)
  private readonly freeSlots: number[] = []
  private used = 0
  private presentCount = 0
  private readonly staleMs: number
  private readonly maxPinned: number
  private arrivedAt = -Infinity

  constructor (options: PeerTableOptions = {}) {
    this.staleMs = options.staleMs ?? PEER_STALE_MS
    this.maxPinned = options.maxPinned ?? MAX_PINNED_PEERS
    this.pinPool = options.pinPool ?? new LocalPinPool()
    for (const [hex, keys] of options.pins ?? []) {
      if (!/^[0-9a-f]{16}$/.test(hex)) throw new Error(`pin peer ID must be 16 lowercase hex characters, got ${hex}`)
      if (!fitsPin(keys)) throw new Error(`pin keys of ${hex} must be ${ANNOUNCE_KEY_BYTES} bytes each`)
      this.pin(String.fromCharCode(...Array.from({ length: 4 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16))), keys)
    }
  }

  /** When (the `now` of `announce`) a peer last appeared: new, or back after leaving or going stale. */
  get lastArrivalAt (): number {
    return this.arrivedAt
  }

  /** Peers currently present (heard within the stale window and not left). */
  get size (): number {
    return this.presentCount
  }

  /** Pins kept, present or not (≤ the table's `maxPinned`, MAX_PINNED_PEERS by default). */
  get pinCount (): number {
    return this.slots.count
  }

  list (): Peer[] {
    const out: Peer[] = []
    for (let slot = this.slots.oldest; slot !== -1; slot = this.slots.newer(slot)) if (this.present(slot)) out.push(this.snapshot(slot))
    return out
  }

  get (key: string): Peer | undefined {
    const slot = this.presentSlot(key)
    return slot === -1 ? undefined : this.snapshot(slot)
  }

  /** Every pin, least recently arrived first, as the `pins` option takes them: what a store keeps across restarts. */
  pins (): Array<[string, PeerKeys]> {
    const out: Array<[string, PeerKeys]> = []
    for (let slot = this.slots.oldest; slot !== -1; slot = this.slots.newer(slot)) {
      out.push([toHex(idOfKey(this.slots.keyOf(slot))), this.keysAt(slot)])
    }
    return out
  }

  /** The pinned keys for a peer, present or not: what its signatures must verify against. */
  pinned (key: string): PeerKeys | undefined {
    const slot = this.slots.find(key)
    return slot === -1 ? undefined : this.keysAt(slot)
  }

  /** Copies of the keys pinned in `slot`. */
  private keysAt (slot: number): PeerKeys {
    const at = this.pinHandles[slot]! * PIN_BYTES
    const bytes = this.pinPool.bytes
    return {
      noisePublicKey: bytes.slice(at, at + ANNOUNCE_KEY_BYTES),
      signingPublicKey: bytes.slice(at + ANNOUNCE_KEY_BYTES, at + PIN_BYTES),
    }
  }

  /** `pinned(key)?.signingPublicKey` without copying the Noise key too: what every signature check needs. */
  signingKey (key: string): Uint8Array | undefined {
    const slot = this.slots.find(key)
    if (slot === -1) return undefined
    const at = this.pinHandles[slot]! * PIN_BYTES + ANNOUNCE_KEY_BYTES
    return this.pinPool.bytes.slice(at, at + ANNOUNCE_KEY_BYTES)
  }

  /**
   * Records a verified announce. `keyMismatch`: the peer ID is pinned to other keys; nothing changed.
   * `hops`: links the announce crossed (1 from a neighbour; 0 unknown, as for a reassembled one);
   * `fullFanout`: it carried capability bit 15.
   */
  announce (id: Uint8Array, nickname: string, keys: PeerKeys, now: number, hops = 0, fullFanout = false): AnnounceOutcome {
    const key = peerKey(id)
    let slot = this.slots.find(key)
    if (slot !== -1) {
      if (!this.matches(slot, keys)) return 'keyMismatch'
      if (this.present(slot)) {
        if (this.nicknames[slot] !== nickname) this.nicknames[slot] = this.pinPool.name(this.pinHandles[slot]!, nickname)
        this.times[slot * TIME_FIELDS + LAST_SEEN] = now
        this.flags[slot] = PRESENT | routingBits(hops, fullFanout)
        return 'refreshed'
      }
      this.slots.toNewest(slot)
    } else {
      if (!fitsPin(keys)) return 'keyMismatch'
      slot = this.pin(key, keys)
    }
    this.nicknames[slot] = this.pinPool.name(this.pinHandles[slot]!, nickname)
    const t = slot * TIME_FIELDS
    this.times[t + FIRST_SEEN] = now
    this.times[t + LAST_SEEN] = now
    this.times[t + RELAYED_TS] = -Infinity
    this.times[t + RELAYED_AT] = -Infinity
    this.flags[slot] = PRESENT | routingBits(hops, fullFanout)
    this.presentCount++
    this.arrivedAt = now
    return 'new'
  }

  /**
   * How much newer (by the sender's own timestamps) the announce stamped `timestamp` is than the last one
   * of this peer's we relayed: Infinity when we relayed none since it appeared, or when it is that very
   * announce (a better copy of it may still be relayed); ≤ 0 for an older one.
   */
  announceRelayGap (key: string, timestamp: number): number {
    const slot = this.presentSlot(key)
    if (slot === -1) return Infinity
    const relayedTs = this.times[slot * TIME_FIELDS + RELAYED_TS]!
    return relayedTs === timestamp ? Infinity : timestamp - relayedTs
  }

  /** When (our clock) we last relayed any announce of this peer's; -Infinity if never since it appeared. */
  announceRelayedAt (key: string): number {
    const slot = this.presentSlot(key)
    return slot === -1 ? -Infinity : this.times[slot * TIME_FIELDS + RELAYED_AT]!
  }

  /** We relayed this peer's announce stamped `timestamp` at `now`, on every candidate link or (`everywhere` false) some. */
  noteAnnounceRelayed (key: string, timestamp: number, now: number, everywhere: boolean): void {
    const slot = this.presentSlot(key)
    if (slot === -1) return
    const t = slot * TIME_FIELDS
    this.times[t + RELAYED_AT] = now
    if (everywhere && timestamp > this.times[t + RELAYED_TS]!) this.times[t + RELAYED_TS] = timestamp
  }

  /** Links a present peer's latest announce crossed to reach us; 0 when unknown or absent. */
  hops (key: string): number {
    const slot = this.presentSlot(key)
    return slot === -1 ? 0 : this.flags[slot]! & HOPS_MASK
  }

  /** Whether every present peer's latest announce carried the full-fanout bit (true with none present). */
  allFullFanout (): boolean {
    if (this.presentCount === 0) return true
    for (let slot = this.slots.oldest; slot !== -1; slot = this.slots.newer(slot)) {
      if ((this.flags[slot]! & (PRESENT | FULL_FANOUT)) === PRESENT) return false
    }
    return true
  }

  /** The peer left (a verified leave); its pin stays. */
  remove (key: string): Peer | undefined {
    const slot = this.presentSlot(key)
    if (slot === -1) return undefined
    this.absent(slot)
    return this.snapshot(slot)
  }

  /** Forgets who is present (the node stopped); pins stay. */
  clearPresence (): void {
    this.flags.fill(0)
    this.presentCount = 0
  }

  /** Removes and returns peers not heard from within the stale window. */
  expire (now: number): Peer[] {
    const gone: Peer[] = []
    if (this.presentCount === 0) return gone
    for (let slot = this.slots.oldest; slot !== -1; slot = this.slots.newer(slot)) {
      if (this.present(slot) && now - this.times[slot * TIME_FIELDS + LAST_SEEN]! > this.staleMs) {
        this.absent(slot)
        gone.push(this.snapshot(slot))
      }
    }
    return gone
  }

  private present (slot: number): boolean {
    return (this.flags[slot]! & PRESENT) !== 0
  }

  private presentSlot (key: string): number {
    const slot = this.slots.find(key)
    return slot !== -1 && this.present(slot) ? slot : -1
  }

  private absent (slot: number): void {
    this.flags[slot] = 0
    this.presentCount--
  }

  private snapshot (slot: number): PeerSnapshot {
    const at = this.pinHandles[slot]! * PIN_BYTES
    const t = slot * TIME_FIELDS
    return new PeerSnapshot(this.slots.keyOf(slot), this.pinPool.bytes.slice(at, at + PIN_BYTES), this.nicknames[slot]!, this.times[t + FIRST_SEEN]!, this.times[t + LAST_SEEN]!)
  }

  /** Whether `keys` are the pin in `slot`, byte for byte. */
  private matches (slot: number, keys: PeerKeys): boolean {
    return fitsPin(keys) && pinEquals(this.pinPool.bytes, this.pinHandles[slot]!, keys.noisePublicKey, keys.signingPublicKey)
  }

  /** Pins `keys` (32 + 32 bytes) for `key` in a fresh slot, evicting the pin of the absent peer that arrived longest ago when full. */
  private pin (key: string, keys: PeerKeys): number {
    if (this.slots.count >= this.maxPinned) {
      for (let old = this.slots.oldest; old !== -1; old = this.slots.newer(old)) {
        if (!this.present(old)) {
          this.slots.remove(old)
          this.pinPool.release(this.pinHandles[old]!)
          this.nicknames[old] = ''
          this.freeSlots.push(old)
          break
        }
      }
    }
    const slot = this.freeSlots.pop() ?? this.grow()
    this.slots.insert(key, slot)
    this.nicknames[slot] = ''
    this.pinHandles[slot] = this.pinPool.acquire(keys.noisePublicKey, keys.signingPublicKey)
    return slot
  }

  /** A never-used slot, growing the arrays by half when they are full (doubling left up to half of them empty). */
  private grow (): number {
    const slot = this.used++
    const capacity = this.flags.length
    if (slot < capacity) return slot
    const grown = capacity + (capacity >> 1)
    this.slots.reserve(grown)
    this.pinHandles = widened(this.pinHandles, grown)
    this.times = widened(this.times, grown * TIME_FIELDS)
    this.flags = widened(this.flags, grown)
    return slot
  }
}
