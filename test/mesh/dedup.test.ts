import { describe, expect, test } from 'vitest'
import { DedupCache, fragmentKey, packetKey, DEDUP_MAX_AGE_MS } from '../../src/mesh/dedup.js'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import type { Packet } from '../../src/wire/packet-types.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { sha256 } from '@noble/hashes/sha2.js'

const crypto = { sha256: (d: Uint8Array) => sha256(d) } as unknown as CryptoProvider

function packet (over: Partial<Packet> = {}): Packet {
  return {
    version: 1, type: 2, ttl: 7, timestamp: 1_700_000_000_000n, senderId: new Uint8Array(8).fill(1),
    recipientId: null, route: [], payload: Uint8Array.of(1, 2, 3), isCompressed: false, isRSR: false, signature: null, ...over,
  }
}

describe('dedup', () => {
  test('dedup — entries expire on the injected clock, not wall time', () => {
    const clock = new ManualClock(0) // a virtual clock that starts at 0 must still expire entries
    const cache = new DedupCache<{ n: number }>(clock)
    cache.set('k', { n: 1 })
    clock.advance(DEDUP_MAX_AGE_MS - 1)
    expect(cache.has('k')).toBe(true)
    clock.advance(2)
    expect(cache.has('k')).toBe(false)
  })

  test('dedup — bounded by entries, least recently used goes first', () => {
    const cache = new DedupCache<object>(new ManualClock(), { maxEntries: 3 })
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, {})
    expect(cache.has('a')).toBe(false)
    expect(cache.size).toBe(3)
  })

  test('dedup — starts no real timers (the core stays pure)', () => {
    const original = globalThis.setTimeout
    let calls = 0
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => { calls++; return original(...args) }) as typeof setTimeout
    try {
      const clock = new ManualClock()
      const cache = new DedupCache<object>(clock)
      for (let i = 0; i < 100; i++) { cache.set(String(i), {}); cache.get(String(i)); cache.has(String(i + 1)) }
      clock.advance(DEDUP_MAX_AGE_MS * 2)
      cache.has('1')
    } finally {
      globalThis.setTimeout = original
    }
    expect(calls).toBe(0)
  })

  test.each([
    ['sender', { senderId: new Uint8Array(8).fill(2) }],
    ['timestamp', { timestamp: 1_700_000_000_001n }],
    ['type', { type: 3 }],
    ['payload', { payload: Uint8Array.of(1, 2, 4) }],
  ] as Array<[string, Partial<Packet>]>)('dedup — the packet key changes with the %s', (_, change) => {
    expect(packetKey(crypto, packet(change))).not.toBe(packetKey(crypto, packet()))
  })

  test.each([
    ['TTL', { ttl: 3 }],
    ['signature', { signature: new Uint8Array(64).fill(9) }],
  ] as Array<[string, Partial<Packet>]>)('dedup — the packet key ignores the %s (relayed and forged copies collide)', (_, change) => {
    expect(packetKey(crypto, packet(change))).toBe(packetKey(crypto, packet()))
  })

  test('dedup — fragment keys differ by sender, fragment ID, index, total and type', () => {
    const s = new Uint8Array(8).fill(1)
    const f = new Uint8Array(8).fill(2)
    const base = fragmentKey(s, f, 0, 3, 2)
    expect(fragmentKey(s, f, 1, 3, 2)).not.toBe(base)
    expect(fragmentKey(new Uint8Array(8).fill(3), f, 0, 3, 2)).not.toBe(base)
    expect(fragmentKey(s, new Uint8Array(8).fill(3), 0, 3, 2)).not.toBe(base)
    expect(fragmentKey(s, f, 0, 4, 2)).not.toBe(base)
    expect(fragmentKey(s, f, 0, 3, 1)).not.toBe(base)
    expect(fragmentKey(s.slice(), f.slice(), 0, 3, 2)).toBe(base)
  })
})
