import { describe, expect, test } from 'vitest'
import {
  ALWAYS_RELAY_MIN_TTL, bitchatAndroidPolicy, relayProbability, SMALL_NETWORK_PEERS, VOICE_RELAY_DELAY_MS, VOICE_TTL_CAP,
} from '../../../src/mesh/policy/bitchat-android.js'
import type { RelayContext } from '../../../src/mesh/policy/relay-policy.js'
import type { Random } from '../../../src/clock.js'
import type { Link } from '../../../src/mesh/link.js'
import { MessageType } from '../../../src/wire/packet-types.js'
import { SeededRandom } from '../../../src/prng.js'

const SEED = Number(process.env.BLEMESH_SEED ?? 1)
const links = (n: number): Link[] => Array.from({ length: n }, (_, i) => ({ id: `l${i}`, info: {} }) as Link)

/** A Random whose next() always returns `value`: decides the coin flip exactly. */
function fixed (value: number): Random {
  return { next: () => value, int: (max: number) => Math.floor(value * max), bytes: (n: number) => new Uint8Array(n) }
}

function ctx (over: Partial<RelayContext>): RelayContext {
  const degree = over.degree ?? 4
  return { type: MessageType.message, carriedType: MessageType.message, ttl: 7, directed: false, degree, links: links(degree - 1), announceRelayGapMs: Infinity, freshLinks: [], towardsNewcomers: [], peerArrivalAgeMs: Infinity, knownPeers: 5, seed: 42, random: new SeededRandom(SEED), ...over }
}

describe('bitchat-android policy', () => {
  test.each([
    // [network size, relay probability below TTL 4]
    [1, 1], [SMALL_NETWORK_PEERS, 1], [11, 0.85], [30, 0.85], [31, 0.7], [50, 0.7], [51, 0.55], [100, 0.55], [101, 0.4], [10_000, 0.4],
  ])('bitchat-android — relay probability at network size %i is %f', (size, p) => {
    expect(relayProbability(size)).toBe(p)
  })

  test.each([
    // [what, context, coin value, expected new TTL or null]
    ['new TTL ≥ 4 relays whatever the coin', { ttl: 5, knownPeers: 500 }, 0.999, 4],
    ['new TTL 3 in a big network, coin under p', { ttl: 4, knownPeers: 500 }, 0.39, 3],
    ['new TTL 3 in a big network, coin over p', { ttl: 4, knownPeers: 500 }, 0.41, null],
    ['new TTL 1 in a 40-peer network, coin under 0.7', { ttl: 2, knownPeers: 40 }, 0.69, 1],
    ['new TTL 1 in a 40-peer network, coin over 0.7', { ttl: 2, knownPeers: 40 }, 0.71, null],
    ['small network relays whatever the coin', { ttl: 2, knownPeers: SMALL_NETWORK_PEERS }, 0.999, 1],
    ['arrived at TTL 1: not relayed, even in a small network', { ttl: 1, knownPeers: SMALL_NETWORK_PEERS }, 0, null],
    ['directed traffic follows the same rule', { ttl: 3, knownPeers: 200, directed: true, type: MessageType.noiseEncrypted, carriedType: MessageType.noiseEncrypted }, 0.999, null],
    ['announces too', { ttl: 7, knownPeers: 200, type: MessageType.announce, carriedType: MessageType.announce }, 0.999, 6],
  ] as Array<[string, Partial<RelayContext>, number, number | null]>)('bitchat-android — %s', (_, over, coin, ttl) => {
    const d = bitchatAndroidPolicy.decide(ctx({ ...over, random: fixed(coin) }))
    if (ttl === null) { expect(d).toBeNull(); return }
    expect(d).not.toBeNull()
    expect(d!.ttl).toBe(ttl)
    expect(d!.delayMs).toBe(0)
    expect(d!.cancelAfterDuplicates).toBe(Infinity)
  })

  test('bitchat-android — every candidate link, no wait, never cancelled', () => {
    const c = ctx({ degree: 8 })
    expect(bitchatAndroidPolicy.decide(c)).toEqual({ ttl: 6, delayMs: 0, cancelAfterDuplicates: Infinity, links: c.links })
  })

  test('bitchat-android — below TTL 4 the share relayed matches the network-size probability (seeded)', () => {
    const random = new SeededRandom(SEED)
    for (const [peers, p] of [[20, 0.85], [45, 0.7], [80, 0.55], [300, 0.4]] as const) {
      let relayed = 0
      const runs = 4000
      for (let i = 0; i < runs; i++) if (bitchatAndroidPolicy.decide(ctx({ ttl: 3, knownPeers: peers, random })) !== null) relayed++
      expect(Math.abs(relayed / runs - p)).toBeLessThan(0.03)
    }
    expect(ALWAYS_RELAY_MIN_TTL).toBe(4)
  })

  test('bitchat-android — voice frames get 8–25 ms of jitter and TTL ≤ 5 above six links', () => {
    for (let seed = 0; seed < 20; seed++) {
      const sparse = bitchatAndroidPolicy.decide(ctx({ degree: 6, type: MessageType.voiceFrame, carriedType: MessageType.voiceFrame, random: new SeededRandom(seed) }))!
      expect(sparse.ttl).toBe(6)
      const dense = bitchatAndroidPolicy.decide(ctx({ degree: 7, type: MessageType.fragment, carriedType: MessageType.voiceFrame, random: new SeededRandom(seed) }))!
      expect(dense.ttl).toBe(VOICE_TTL_CAP - 1)
      for (const d of [sparse, dense]) {
        expect(d.delayMs).toBeGreaterThanOrEqual(VOICE_RELAY_DELAY_MS[0])
        expect(d.delayMs).toBeLessThanOrEqual(VOICE_RELAY_DELAY_MS[1])
      }
    }
  })

  test('bitchat-android — nothing to relay on when there are no other links', () => {
    expect(bitchatAndroidPolicy.decide(ctx({ degree: 1, links: [] }))).toBeNull()
  })
})
