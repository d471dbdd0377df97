// Who is out there: peers learned from verified announces. The first keys seen for a peer ID are pinned
// (trust on first use, bitchat-protocol.md §5.1 step 4) and a later announce with other keys is refused,
// never silently accepted. Presence (appeared / left) is separate from pins, which outlive it.

/**
 * Once no announce was heard for this long a peer is gone: [AND] AppConstants.Mesh.STALE_PEER_TIMEOUT_MS
 * (3 minutes). Relays forward a sender's announces at most about once a minute (policy `adaptive`,
 * ANNOUNCE_RELAY_INTERVAL_MS), so a peer a few hops away gets three chances before it is dropped; at our
 * earlier 90 s one lost relayed announce flapped it.
 */
export const PEER_STALE_MS = 180_000
/** Our bound on remembered pins (announces are cheap to forge under fresh IDs); the oldest pin goes first. */
export const MAX_PINNED_PEERS = 4096

export interface PeerKeys {
  readonly noisePublicKey: Uint8Array
  readonly signingPublicKey: Uint8Array
}

export interface Peer extends PeerKeys {
  /** 8-byte peer ID. */
  readonly id: Uint8Array
  /** Lowercase hex of `id`, as the phones show it. */
  readonly idHex: string
  nickname: string
  readonly firstSeen: number
  lastSeen: number
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

/**
 * Pinned keys, both in one Latin-1 string (a byte per character): a table holds one per pin, and at 10 000
 * simulated nodes that is millions of them. A string is one heap object of 16 + 64 bytes; the 64-byte
 * Uint8Array it replaces also carried its ArrayBuffer object (≈ 180 bytes in all; heap snapshot, 1 000
 * nodes, 262 k pins: 44 MB of Uint8Array and 41 MB of ArrayBuffer objects, keys and frames together).
 */
class PinnedKeys implements PeerKeys {
  private readonly bytes: string
  private readonly split: number

  constructor (keys: PeerKeys) {
    const noise = keys.noisePublicKey
    const signing = keys.signingPublicKey
    const both = new Uint8Array(noise.length + signing.length)
    both.set(noise, 0)
    both.set(signing, noise.length)
    // One flat string from one call (two joined with + would be a cons string: three objects).
    this.bytes = String.fromCharCode.apply(null, both as unknown as number[])
    this.split = noise.length
  }

  get noisePublicKey (): Uint8Array {
    return unlatin1(this.bytes, 0, this.split)
  }

  get signingPublicKey (): Uint8Array {
    return unlatin1(this.bytes, this.split, this.bytes.length)
  }

  /** Whether `keys` are these keys, byte for byte (no copies made). */
  matches (keys: PeerKeys): boolean {
    const noise = keys.noisePublicKey
    const signing = keys.signingPublicKey
    const bytes = this.bytes
    const split = this.split
    if (noise.length !== split || signing.length !== bytes.length - split) return false
    for (let i = 0; i < split; i++) if (bytes.charCodeAt(i) !== noise[i]) return false
    for (let i = 0; i < signing.length; i++) if (bytes.charCodeAt(split + i) !== signing[i]) return false
    return true
  }
}

function unlatin1 (text: string, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start)
  for (let i = start; i < end; i++) out[i - start] = text.charCodeAt(i)
  return out
}

/** A present peer: its ID and keys are derived on demand from the map key and the pin it shares. */
class PresentPeer implements Peer {
  constructor (
    private readonly key: string,
    /** The pin in the table's map (the same object). */
    readonly keys: PinnedKeys,
    public nickname: string,
    readonly firstSeen: number,
    public lastSeen: number,
  ) {}

  /** Timestamp (the sender's clock) of the last announce from this peer that we relayed on every link. */
  announceRelayedTs = -Infinity
  /** When (our clock) we last relayed an announce from this peer on any link. */
  announceRelayedAt = -Infinity

  get id (): Uint8Array {
    return idOfKey(this.key)
  }

  get idHex (): string {
    return toHex(idOfKey(this.key))
  }

  get noisePublicKey (): Uint8Array {
    return this.keys.noisePublicKey
  }

  get signingPublicKey (): Uint8Array {
    return this.keys.signingPublicKey
  }
}

export interface PeerTableOptions {
  staleMs?: number
  maxPinned?: number
  /** Pins known from earlier runs (the store), by 16-hex peer ID. */
  pins?: Iterable<[string, PeerKeys]>
}

export class PeerTable {
  private readonly present = new Map<string, PresentPeer>()
  private readonly pins = new Map<string, PinnedKeys>()
  private readonly staleMs: number
  private readonly maxPinned: number
  private arrivedAt = -Infinity

  constructor (options: PeerTableOptions = {}) {
    this.staleMs = options.staleMs ?? PEER_STALE_MS
    this.maxPinned = options.maxPinned ?? MAX_PINNED_PEERS
    for (const [hex, keys] of options.pins ?? []) {
      if (!/^[0-9a-f]{16}$/.test(hex)) throw new Error(`pin peer ID must be 16 lowercase hex characters, got ${hex}`)
      this.pin(String.fromCharCode(...Array.from({ length: 4 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16))), new PinnedKeys(keys))
    }
  }

  /** When (the `now` of `announce`) a peer last appeared: new, or back after leaving or going stale. */
  get lastArrivalAt (): number {
    return this.arrivedAt
  }

  /** Peers currently present (heard within the stale window and not left). */
  get size (): number {
    return this.present.size
  }

  list (): Peer[] {
    return [...this.present.values()]
  }

  get (key: string): Peer | undefined {
    return this.present.get(key)
  }

  /** The pinned keys for a peer, present or not: what its signatures must verify against. */
  pinned (key: string): PeerKeys | undefined {
    return this.pins.get(key)
  }

  /** Records a verified announce. `keyMismatch`: the peer ID is pinned to other keys; nothing changed. */
  announce (id: Uint8Array, nickname: string, keys: PeerKeys, now: number): { outcome: AnnounceOutcome, peer: Peer | null } {
    const key = peerKey(id)
    // A present peer's pin is the one it holds (pins of present peers are never evicted): one lookup for
    // the common case, a refresh.
    const existing = this.present.get(key)
    if (existing !== undefined) {
      if (!existing.keys.matches(keys)) return { outcome: 'keyMismatch', peer: null }
      if (existing.nickname !== nickname) existing.nickname = nickname
      existing.lastSeen = now
      return { outcome: 'refreshed', peer: existing }
    }
    let pinned = this.pins.get(key)
    if (pinned !== undefined) {
      if (!pinned.matches(keys)) return { outcome: 'keyMismatch', peer: null }
    } else {
      pinned = new PinnedKeys(keys)
      this.pin(key, pinned)
    }
    const peer = new PresentPeer(key, pinned, nickname, now, now)
    this.present.set(key, peer)
    this.arrivedAt = now
    return { outcome: 'new', peer }
  }

  /**
   * How much newer (by the sender's own timestamps) the announce stamped `timestamp` is than the last one
   * of this peer's we relayed: Infinity when we relayed none since it appeared, or when it is that very
   * announce (a better copy of it may still be relayed); ≤ 0 for an older one.
   */
  announceRelayGap (key: string, timestamp: number): number {
    const peer = this.present.get(key)
    if (peer === undefined || peer.announceRelayedTs === timestamp) return Infinity
    return timestamp - peer.announceRelayedTs
  }

  /** When (our clock) we last relayed any announce of this peer's; -Infinity if never since it appeared. */
  announceRelayedAt (key: string): number {
    return this.present.get(key)?.announceRelayedAt ?? -Infinity
  }

  /** We relayed this peer's announce stamped `timestamp` at `now`, on every candidate link or (`everywhere` false) some. */
  noteAnnounceRelayed (key: string, timestamp: number, now: number, everywhere: boolean): void {
    const peer = this.present.get(key)
    if (peer === undefined) return
    peer.announceRelayedAt = now
    if (everywhere && timestamp > peer.announceRelayedTs) peer.announceRelayedTs = timestamp
  }

  /** The peer left (a verified leave); its pin stays. */
  remove (key: string): Peer | undefined {
    const peer = this.present.get(key)
    if (peer !== undefined) this.present.delete(key)
    return peer
  }

  /** Forgets who is present (the node stopped); pins stay. */
  clearPresence (): void {
    this.present.clear()
  }

  /** Removes and returns peers not heard from within the stale window. */
  expire (now: number): Peer[] {
    const gone: Peer[] = []
    for (const [key, peer] of this.present) {
      if (now - peer.lastSeen > this.staleMs) { this.present.delete(key); gone.push(peer) }
    }
    return gone
  }

  private pin (key: string, keys: PinnedKeys): void {
    if (this.pins.size >= this.maxPinned) {
      for (const old of this.pins.keys()) {
        if (!this.present.has(old)) { this.pins.delete(old); break }
      }
    }
    this.pins.set(key, keys)
  }
}
