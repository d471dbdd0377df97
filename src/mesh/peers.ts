// Who is out there: peers learned from verified announces. The first keys seen for a peer ID are pinned
// (trust on first use, bitchat-protocol.md §5.1 step 4) and a later announce with other keys is refused,
// never silently accepted. Presence (appeared / left) is separate from pins, which outlive it.

/** Our choice: once no announce was heard for this long a peer is gone — over two dense-mesh announce periods (30 ± 8 s, [iOS] TransportConfig.bleConnectedAnnounceBaseSecondsDense), so one lost announce does not flap it. */
export const PEER_STALE_MS = 90_000
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

export function toHex (bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, '0')
  return out
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export interface PeerTableOptions {
  staleMs?: number
  maxPinned?: number
  /** Pins known from earlier runs (the store), by 16-hex peer ID. */
  pins?: Iterable<[string, PeerKeys]>
}

export class PeerTable {
  private readonly present = new Map<string, Peer>()
  private readonly pins = new Map<string, PeerKeys>()
  private readonly staleMs: number
  private readonly maxPinned: number

  constructor (options: PeerTableOptions = {}) {
    this.staleMs = options.staleMs ?? PEER_STALE_MS
    this.maxPinned = options.maxPinned ?? MAX_PINNED_PEERS
    for (const [hex, keys] of options.pins ?? []) {
      if (!/^[0-9a-f]{16}$/.test(hex)) throw new Error(`pin peer ID must be 16 lowercase hex characters, got ${hex}`)
      this.pin(String.fromCharCode(...Array.from({ length: 4 }, (_, i) => parseInt(hex.slice(i * 4, i * 4 + 4), 16))), keys)
    }
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
    const pinned = this.pins.get(key)
    if (pinned !== undefined) {
      if (!equalBytes(pinned.noisePublicKey, keys.noisePublicKey) || !equalBytes(pinned.signingPublicKey, keys.signingPublicKey)) {
        return { outcome: 'keyMismatch', peer: null }
      }
    } else {
      this.pin(key, { noisePublicKey: keys.noisePublicKey.slice(), signingPublicKey: keys.signingPublicKey.slice() })
    }
    const existing = this.present.get(key)
    if (existing !== undefined) {
      existing.nickname = nickname
      existing.lastSeen = now
      return { outcome: 'refreshed', peer: existing }
    }
    const pins = this.pins.get(key)!
    const peer: Peer = {
      id: id.slice(),
      idHex: toHex(id),
      nickname,
      noisePublicKey: pins.noisePublicKey,
      signingPublicKey: pins.signingPublicKey,
      firstSeen: now,
      lastSeen: now,
    }
    this.present.set(key, peer)
    return { outcome: 'new', peer }
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

  private pin (key: string, keys: PeerKeys): void {
    if (this.pins.size >= this.maxPinned) {
      for (const old of this.pins.keys()) {
        if (!this.present.has(old)) { this.pins.delete(old); break }
      }
    }
    this.pins.set(key, keys)
  }
}
