import { describe, expect, test } from 'vitest'
import { bitchatIosPolicy, fanoutSize, fanoutSubset, deterministicSubset } from '../../../src/mesh/policy/bitchat-ios.js'
import type { RelayContext } from '../../../src/mesh/policy/relay-policy.js'
import type { Link } from '../../../src/mesh/link.js'
import { MessageType } from '../../../src/wire/packet-types.js'
import { SeededRandom } from '../../../src/prng.js'

const links = (n: number, role?: 'central' | 'peripheral'): Link[] => Array.from({ length: n }, (_, i) => ({ id: `${role ?? 'l'}${i}`, info: { role } }) as Link)

function ctx (over: Partial<RelayContext>): RelayContext {
  const degree = over.degree ?? 3
  return { type: MessageType.message, carriedType: MessageType.message, ttl: 7, directed: false, degree, links: links(degree - 1), announceRelayGapMs: Infinity, freshLinks: [], towardsNewcomers: [], peerArrivalAgeMs: Infinity, knownPeers: 10, seed: 42, random: new SeededRandom(1), ...over }
}

describe('bitchat-ios policy', () => {
  test.each([
    // [what, context, expected new TTL, delay window]
    ['broadcast, degree ≤ 2 keeps full TTL', { degree: 2, ttl: 7 }, 6, [10, 40]],
    ['broadcast, degree 3–5 caps at 6', { degree: 4, ttl: 7 }, 5, [60, 150]],
    ['announce, degree 3–5 keeps 7', { degree: 4, ttl: 7, type: MessageType.announce }, 6, [60, 150]],
    ['broadcast, degree ≥ 6 caps at 5', { degree: 7, ttl: 7 }, 4, [80, 180]],
    ['broadcast, degree ≥ 10', { degree: 12, ttl: 7 }, 4, [100, 220]],
    // Each boundary from both sides (TransportConfig.bleHighDegreeThreshold = 6, the 10-link window).
    ['broadcast, degree 5 is still mid-degree', { degree: 5, ttl: 7 }, 5, [60, 150]],
    ['broadcast, degree 6 is already dense', { degree: 6, ttl: 7 }, 4, [80, 180]],
    ['broadcast, degree 9 keeps the 80–180 ms window', { degree: 9, ttl: 7 }, 4, [80, 180]],
    ['broadcast, degree 10 takes the 100–220 ms window', { degree: 10, ttl: 7 }, 4, [100, 220]],
    ['fragment, degree 5 keeps TTL up to 7', { degree: 5, ttl: 7, type: MessageType.fragment }, 6, [8, 25]],
    ['voice frame, relayed as a fragment', { degree: 6, ttl: 7, type: MessageType.voiceFrame }, 4, [8, 25]],
    ['broadcast limit floor is 2', { degree: 7, ttl: 2 }, 1, [80, 180]],
    ['fragment, sparse', { degree: 3, ttl: 7, type: MessageType.fragment }, 6, [8, 25]],
    ['fragment, dense caps at 5', { degree: 6, ttl: 7, type: MessageType.fragment }, 4, [8, 25]],
    ['handshake', { degree: 8, ttl: 7, type: MessageType.noiseHandshake, directed: true }, 6, [10, 35]],
    ['directed', { degree: 8, ttl: 7, type: MessageType.noiseEncrypted, directed: true }, 6, [20, 60]],
  ] as Array<[string, Partial<RelayContext>, number, [number, number]]>)('bitchat-ios — %s', (_, over, ttl, [lo, hi]) => {
    for (let seed = 0; seed < 20; seed++) {
      const d = bitchatIosPolicy.decide(ctx({ ...over, random: new SeededRandom(seed) }))!
      expect(d.ttl).toBe(ttl)
      expect(d.delayMs).toBeGreaterThanOrEqual(lo)
      expect(d.delayMs).toBeLessThanOrEqual(hi)
    }
  })

  test.each([
    ['a fragment', MessageType.fragment],
    ['a voice frame', MessageType.voiceFrame],
  ])('bitchat-ios — %s that arrived at TTL 1 is not relayed', (_, type) => {
    expect(bitchatIosPolicy.decide(ctx({ degree: 8, ttl: 1, type }))).toBeNull()
  })

  test('bitchat-ios — cancels on the first duplicate only above two neighbours', () => {
    expect(bitchatIosPolicy.decide(ctx({ degree: 2 }))!.cancelAfterDuplicates).toBe(Infinity)
    expect(bitchatIosPolicy.decide(ctx({ degree: 3 }))!.cancelAfterDuplicates).toBe(1)
  })

  test('bitchat-ios — broadcasts go to ~log2(degree) links chosen by the packet; announces to all', () => {
    expect([1, 2, 3, 4, 6, 8, 9, 16].map(fanoutSize)).toEqual([1, 2, 3, 3, 4, 4, 5, 5])
    const many = links(9)
    const d = bitchatIosPolicy.decide(ctx({ degree: 10, links: many }))!
    expect(d.links.length).toBe(5)
    expect(deterministicSubset(many, 5, 42)).toEqual(d.links)
    expect(deterministicSubset(many, 5, 43)).not.toEqual(d.links)
    expect(bitchatIosPolicy.decide(ctx({ degree: 10, links: many, type: MessageType.announce }))!.links.length).toBe(9)
    expect(bitchatIosPolicy.decide(ctx({ degree: 10, links: many, type: MessageType.requestSync }))!.links.length).toBe(9)
  })

  test.each([
    // [links we opened, links they opened, links without a role, links relayed on]
    [3, 3, 0, 6],
    [4, 2, 0, 5],
    [5, 1, 0, 5],
    [6, 0, 0, 4],
    [0, 6, 0, 4],
    [2, 4, 0, 5],
    [4, 0, 2, 5],
    [0, 0, 9, 5],
  ])('bitchat-ios — %i links we opened and %i they opened (%i without a role) get per-role subsets: %i links', (opened, theirs, roleless, expected) => {
    const all = [...links(opened, 'central'), ...links(theirs, 'peripheral'), ...links(roleless)]
    for (const seed of [1, 42, 0xdeadbeef]) {
      const chosen = bitchatIosPolicy.decide(ctx({ degree: all.length + 1, links: all, seed }))!.links
      expect(chosen).toHaveLength(expected)
      const ours = all.filter(l => l.info.role === 'central')
      const rest = all.filter(l => l.info.role !== 'central')
      expect(new Set(chosen)).toEqual(new Set([...deterministicSubset(ours, fanoutSize(ours.length), seed), ...deterministicSubset(rest, fanoutSize(rest.length), seed)]))
    }
  })

  test('bitchat-ios — a list no role has to cut is relayed on as it is', () => {
    const all = [...links(3, 'central'), ...links(3, 'peripheral')]
    expect(fanoutSubset(all, 7)).toBe(all)
  })

  test.each([
    // [links, subset size]; 40 links is more than the score buffer first holds (16).
    [8, 4],
    [40, 4],
  ])('bitchat-ios — over many packets each of %i links carries its share of broadcasts', (n, k) => {
    const many = links(n)
    const counts = new Map<string, number>()
    const packets = 4000
    for (let seed = 0; seed < packets; seed++) for (const l of deterministicSubset(many, k, seed * 2654435761)) counts.set(l.id, (counts.get(l.id) ?? 0) + 1)
    const share = packets * k / n
    for (const l of many) expect(Math.abs((counts.get(l.id) ?? 0) - share)).toBeLessThan(share / 10 + 40)
  })

  test('bitchat-ios — nothing to relay on when there are no other links', () => {
    expect(bitchatIosPolicy.decide(ctx({ degree: 1, links: [] }))).toBeNull()
  })
})
