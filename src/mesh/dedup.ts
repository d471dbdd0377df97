// "Have I seen this packet?" — a bounded, time-limited LRU (lru-cache) on the injected clock. Keys are
// short binary strings (UTF-16 code units packed from bytes), not hex, because every reception builds one.
import { LRUCache } from 'lru-cache'
import type { Clock } from '../clock.js'
import type { CryptoProvider } from '../crypto/provider.js'
import type { Packet } from '../wire/packet-types.js'

/** [iOS] TransportConfig.messageDedupMaxCount. */
export const DEDUP_MAX_ENTRIES = 1000
/** [iOS] TransportConfig.messageDedupMaxAgeSeconds = 300. */
export const DEDUP_MAX_AGE_MS = 300_000
/**
 * Fragments get their own cache so a 256-fragment transfer cannot flush the message entries. Our choice:
 * room for four full-size (256-fragment) streams.
 */
export const FRAGMENT_DEDUP_MAX_ENTRIES = 1024
/** Fragment copies stop arriving long before the 30 s reassembly timeout; our choice, 2× that timeout. */
export const FRAGMENT_DEDUP_MAX_AGE_MS = 60_000
/** Bytes of SHA-256(payload) in the key; iOS keeps 4 (`BLEIngressLinkRegistry.messageID`), we keep 8. */
const DIGEST_KEY_BYTES = 8

export interface DedupOptions {
  maxEntries?: number
  maxAgeMs?: number
}

export class DedupCache<V extends object> {
  private readonly cache: LRUCache<string, V>

  constructor (clock: Clock, options: DedupOptions = {}) {
    // lru-cache treats a start time of 0 as "no TTL", and a virtual clock may begin at 0: count from
    // just before construction so every start is ≥ 1.
    const origin = clock.now() - 1
    this.cache = new LRUCache<string, V>({
      max: options.maxEntries ?? DEDUP_MAX_ENTRIES,
      ttl: options.maxAgeMs ?? DEDUP_MAX_AGE_MS,
      // Both must stay off: ttlAutopurge starts a setTimeout per entry and ttlResolution > 0 starts one
      // per lookup (lru-cache 11 dist/esm/index.js #initializeTTLTracking). src/ owns no timers.
      ttlAutopurge: false,
      ttlResolution: 0,
      perf: { now: () => clock.now() - origin },
    })
  }

  get (key: string): V | undefined {
    return this.cache.get(key)
  }

  has (key: string): boolean {
    return this.cache.has(key)
  }

  set (key: string, value: V): void {
    this.cache.set(key, value)
  }

  delete (key: string): void {
    this.cache.delete(key)
  }

  get size (): number {
    return this.cache.size
  }

  clear (): void {
    this.cache.clear()
  }
}

/**
 * iOS's message ID (sender, timestamp, type, digest of the payload), packed into 13 UTF-16 code units.
 * Signature and TTL are left out on purpose: a forged or re-TTL'd copy collides with the genuine one,
 * which is why only verified copies may be recorded when the sender is known.
 */
export function packetKey (crypto: CryptoProvider, packet: Packet): string {
  const s = packet.senderId
  const digest = crypto.sha256(packet.payload)
  const ts = packet.timestamp
  const hi = Number(ts >> 32n) >>> 0
  const lo = Number(ts & 0xffffffffn) >>> 0
  return String.fromCharCode(
    packet.type,
    (s[0]! << 8) | s[1]!, (s[2]! << 8) | s[3]!, (s[4]! << 8) | s[5]!, (s[6]! << 8) | s[7]!,
    hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff,
    (digest[0]! << 8) | digest[1]!, (digest[2]! << 8) | digest[3]!,
    (digest[4]! << 8) | digest[5]!, (digest[6]! << 8) | digest[DIGEST_KEY_BYTES - 1]!,
  )
}

/**
 * A fragment's identity: (sender, fragment ID, index), plus the stream's total and carried type so that a
 * fragment with a conflicting header never shadows the genuine one.
 */
export function fragmentKey (senderId: Uint8Array, fragmentId: Uint8Array, index: number, total: number, originalType: number): string {
  const s = senderId
  const f = fragmentId
  return String.fromCharCode(
    (s[0]! << 8) | s[1]!, (s[2]! << 8) | s[3]!, (s[4]! << 8) | s[5]!, (s[6]! << 8) | s[7]!,
    (f[0]! << 8) | f[1]!, (f[2]! << 8) | f[3]!, (f[4]! << 8) | f[5]!, (f[6]! << 8) | f[7]!,
    index, total, originalType,
  )
}

/** A 32-bit number from a key, to seed deterministic per-packet choices (fanout subsets). */
export function keySeed (key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return h >>> 0
}
