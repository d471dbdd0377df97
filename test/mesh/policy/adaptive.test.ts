import { describe, expect, test } from 'vitest'
import {
  ADAPTIVE_DEFAULTS, adaptivePolicy, ANNOUNCE_GOVERN_MIN_PEERS, ANNOUNCE_RELAY_INTERVAL_MS, ANNOUNCE_THRESHOLD, ANNOUNCE_WINDOW_SCALE, RECIPROCAL_WINDOW_MS, TOWARDS_NEWCOMERS_MS, cancelThreshold, createAdaptivePolicy, DIRECTED_DELAY_MS,
  FAR_WINDOW_MS, FRAGMENT_DELAY_MS, FRAGMENT_THRESHOLD_EXTRA, linkStrength, MIN_DELAY_MS, NEAR_WINDOW_MS, RSSI_FAR_DBM, RSSI_NEAR_DBM,
} from '../../../src/mesh/policy/adaptive.js'
import type { RelayContext } from '../../../src/mesh/policy/relay-policy.js'
import type { Link } from '../../../src/mesh/link.js'
import { MessageType } from '../../../src/wire/packet-types.js'
import { SeededRandom } from '../../../src/prng.js'

const SEED = Number(process.env.BLEMESH_SEED ?? 1)
const link = (id: string, rssi?: number): Link => ({ id, info: rssi === undefined ? {} : { rssi } }) as Link
const links = (n: number, rssi = -70): Link[] => Array.from({ length: n }, (_, i) => link(`l${i}`, rssi))

function ctx (over: Partial<RelayContext>): RelayContext {
  const degree = over.degree ?? 4
  return { type: MessageType.message, carriedType: MessageType.message, ttl: 7, directed: false, degree, links: links(degree - 1), announceRelayGapMs: Infinity, freshLinks: [], towardsNewcomers: [], peerArrivalAgeMs: Infinity, knownPeers: 50, seed: 42, random: new SeededRandom(SEED), ...over }
}

const CANDIDATES = links(3)
const FRESH = CANDIDATES[2]!

describe('adaptive policy', () => {
  test.each([
    // [case, context, relayed]
    ['a sender\'s first announce, at scale', { knownPeers: ANNOUNCE_GOVERN_MIN_PEERS, announceRelayGapMs: Infinity }, 'l0 l1 l2'],
    ['an announce a minute after the last relayed, at scale', { knownPeers: ANNOUNCE_GOVERN_MIN_PEERS, announceRelayGapMs: ANNOUNCE_RELAY_INTERVAL_MS }, 'l0 l1 l2'],
    ['an announce 30 s after the last relayed, at scale', { knownPeers: ANNOUNCE_GOVERN_MIN_PEERS, announceRelayGapMs: 30_000 }, null],
    ['an announce 30 s after the last relayed, at scale, a link up since', { knownPeers: ANNOUNCE_GOVERN_MIN_PEERS, announceRelayGapMs: 30_000, freshLinks: [FRESH] }, 'l2'],
    ['an older announce than the last relayed, at scale', { knownPeers: 500, announceRelayGapMs: -1 }, null],
    ['an announce 30 s after the last relayed, in a small mesh', { knownPeers: ANNOUNCE_GOVERN_MIN_PEERS - 1, announceRelayGapMs: 30_000 }, 'l0 l1 l2'],
    ['an announce 30 s after the last relayed, at scale, just after a peer appeared', { knownPeers: 500, announceRelayGapMs: 30_000, peerArrivalAgeMs: RECIPROCAL_WINDOW_MS }, 'l0 l1 l2'],
    ['an announce 30 s after the last relayed, at scale, a while after a peer appeared', { knownPeers: 500, announceRelayGapMs: 30_000, peerArrivalAgeMs: RECIPROCAL_WINDOW_MS + 1, towardsNewcomers: [CANDIDATES[0]!, FRESH] }, 'l0 l2'],
    ['an announce 30 s after the last relayed, at scale, a while after a peer appeared elsewhere', { knownPeers: 500, announceRelayGapMs: 30_000, peerArrivalAgeMs: TOWARDS_NEWCOMERS_MS, freshLinks: [FRESH], towardsNewcomers: [] }, null],
    ['an announce 30 s after the last relayed, at scale, long after a peer appeared', { knownPeers: 500, announceRelayGapMs: 30_000, peerArrivalAgeMs: TOWARDS_NEWCOMERS_MS + 1, towardsNewcomers: [FRESH] }, null],
  ] as Array<[string, Partial<RelayContext>, string | null]>)('adaptive policy — announce relay interval: %s → %s', (_, over, relayedOn) => {
    const decision = adaptivePolicy.decide(ctx({ type: MessageType.announce, carriedType: MessageType.announce, links: CANDIDATES, ...over }))
    expect(decision === null ? null : decision.links.map(l => l.id).join(' ')).toBe(relayedOn)
  })

  test('adaptive policy — towardsNewcomersMs 0 sends governed announces only to fresh links once the window shuts', () => {
    const policy = createAdaptivePolicy({ towardsNewcomersMs: 0 })
    const decision = policy.decide(ctx({ type: MessageType.announce, carriedType: MessageType.announce, links: CANDIDATES, knownPeers: 500, announceRelayGapMs: 30_000, peerArrivalAgeMs: RECIPROCAL_WINDOW_MS + 1, freshLinks: [FRESH], towardsNewcomers: [CANDIDATES[0]!, FRESH] }))
    expect(decision?.links.map(l => l.id).join(' ')).toBe('l2')
  })

  test('adaptive policy — the announce relay interval leaves messages alone', () => {
    expect(adaptivePolicy.decide(ctx({ knownPeers: 1_000, announceRelayGapMs: 0 }))).not.toBeNull()
  })

  test.each([
    // [degree, further copies before cancelling a broadcast]
    [1, Infinity], [2, Infinity], [3, 2], [4, 2], [5, 3], [7, 3], [8, 3], [9, 4], [16, 4], [17, 5],
  ])('adaptive — at degree %i the count option cancels a broadcast after %f further copies; the default never does', (degree, threshold) => {
    expect(cancelThreshold(degree)).toBe(threshold)
    const counting = createAdaptivePolicy({ messageCountCancel: true })
    expect(counting.decide(ctx({ degree, links: links(Math.max(1, degree - 1)) }))!.cancelAfterDuplicates).toBe(threshold)
    expect(adaptivePolicy.decide(ctx({ degree, links: links(Math.max(1, degree - 1)) }))!.cancelAfterDuplicates).toBe(Infinity)
  })

  test.each([
    // [weakest link RSSI, strength]
    [[RSSI_FAR_DBM - 10], 0], [[RSSI_FAR_DBM], 0], [[(RSSI_FAR_DBM + RSSI_NEAR_DBM) / 2], 0.5], [[RSSI_NEAR_DBM], 1], [[RSSI_NEAR_DBM + 20], 1],
    [[-50, RSSI_FAR_DBM, -40], 0], [[undefined], 0.5], [[], 0.5],
  ] as Array<[Array<number | undefined>, number]>)('adaptive — links at %j dBm have strength %f', (rssis, strength) => {
    expect(linkStrength(rssis.map((r, i) => link(`l${i}`, r)))).toBeCloseTo(strength, 9)
  })

  test.each([
    // [what, context, expected TTL, delay window, threshold]
    ['broadcast over a far link waits in the small window', { links: links(3, RSSI_FAR_DBM) }, 6, [MIN_DELAY_MS, MIN_DELAY_MS + FAR_WINDOW_MS], Infinity],
    ['broadcast over near links waits in the wide window', { links: links(3, RSSI_NEAR_DBM) }, 6, [MIN_DELAY_MS, MIN_DELAY_MS + NEAR_WINDOW_MS], Infinity],
    ['broadcast keeps its TTL budget (no caps)', { ttl: 3, degree: 8, links: links(7) }, 2, [MIN_DELAY_MS, MIN_DELAY_MS + NEAR_WINDOW_MS], Infinity],
    ['announce: doubled window, cancelled only on ANNOUNCE_THRESHOLD copies', { type: MessageType.announce, carriedType: MessageType.announce, links: links(3, RSSI_FAR_DBM) }, 6, [MIN_DELAY_MS, MIN_DELAY_MS + FAR_WINDOW_MS * ANNOUNCE_WINDOW_SCALE], ANNOUNCE_THRESHOLD],
    ['announce on a bridge is never cancelled', { type: MessageType.announce, carriedType: MessageType.announce, degree: 2, links: links(1) }, 6, [MIN_DELAY_MS, MIN_DELAY_MS + NEAR_WINDOW_MS * ANNOUNCE_WINDOW_SCALE], Infinity],
    ['fragment: short wait, never cancelled on a count', { type: MessageType.fragment, carriedType: MessageType.message }, 6, FRAGMENT_DELAY_MS, Infinity],
    ['voice frame: like a fragment', { type: MessageType.voiceFrame, carriedType: MessageType.voiceFrame }, 6, FRAGMENT_DELAY_MS, Infinity],
    ['directed: never cancelled by a count, even where broadcasts are', { directed: true, type: MessageType.noiseEncrypted, carriedType: MessageType.noiseEncrypted, degree: 9, links: links(8) }, 6, DIRECTED_DELAY_MS, Infinity],
    ['handshake: like directed', { type: MessageType.noiseHandshake, carriedType: MessageType.noiseHandshake, degree: 9, links: links(8) }, 6, DIRECTED_DELAY_MS, Infinity],
  ] as Array<[string, Partial<RelayContext>, number, readonly [number, number], number]>)('adaptive — %s', (_, over, ttl, [lo, hi], threshold) => {
    let earliest = Infinity
    let latest = -Infinity
    for (let seed = SEED; seed < SEED + 50; seed++) {
      const c = ctx({ ...over, random: new SeededRandom(seed) })
      const d = adaptivePolicy.decide(c)!
      expect(d.ttl).toBe(ttl)
      expect(d.delayMs).toBeGreaterThanOrEqual(lo)
      expect(d.delayMs).toBeLessThanOrEqual(hi)
      expect(d.cancelAfterDuplicates).toBe(threshold)
      expect(d.links).toBe(c.links)
      earliest = Math.min(earliest, d.delayMs)
      latest = Math.max(latest, d.delayMs)
    }
    // The delays fill the window, not a corner of it (50 seeded draws land in both outer fifths).
    expect(earliest).toBeLessThan(lo + 0.2 * (hi - lo))
    expect(latest).toBeGreaterThan(hi - 0.2 * (hi - lo))
  })

  test('adaptive — far-reaching nodes relay first on average (seeded)', () => {
    const mean = (rssi: number): number => {
      const random = new SeededRandom(SEED)
      let sum = 0
      for (let i = 0; i < 2000; i++) sum += adaptivePolicy.decide(ctx({ links: [link('a', -50), link('b', rssi)], random }))!.delayMs
      return sum / 2000
    }
    const far = mean(RSSI_FAR_DBM)
    const near = mean(RSSI_NEAR_DBM)
    expect(far).toBeCloseTo(MIN_DELAY_MS + FAR_WINDOW_MS / 2, 0)
    expect(near).toBeCloseTo(MIN_DELAY_MS + NEAR_WINDOW_MS / 2, 0)
    expect(far).toBeLessThan(near)
  })

  test('adaptive — options override the defaults and name the policy', () => {
    const p = createAdaptivePolicy({ messageCountCancel: true, thresholdOffset: 1, minDelayMs: 0, farWindowMs: 10, nearWindowMs: 10, sparseDegree: 0 }, 'variant')
    expect(p.name).toBe('variant')
    const d = p.decide(ctx({ degree: 2, links: links(1), random: new SeededRandom(SEED) }))!
    expect(d.cancelAfterDuplicates).toBe(1)
    expect(d.delayMs).toBeLessThanOrEqual(10)
    expect(cancelThreshold(8, { ...ADAPTIVE_DEFAULTS, thresholdOffset: 1 })).toBe(2)
    const counting = createAdaptivePolicy({ messageCountCancel: true })
    const f = counting.decide(ctx({ type: MessageType.fragment, carriedType: MessageType.message, random: new SeededRandom(SEED) }))!
    expect(f.cancelAfterDuplicates).toBe(2 + FRAGMENT_THRESHOLD_EXTRA)
  })

  test.each([
    // [case, context, two-hop skip asked for]
    ['a broadcast message', {}, true],
    ['a fragment', { type: MessageType.fragment, carriedType: MessageType.message }, true],
    ['an announce', { type: MessageType.announce, carriedType: MessageType.announce }, false],
    ['a directed packet', { directed: true }, false],
  ] as Array<[string, Partial<RelayContext>, boolean]>)('adaptive — %s: two-hop skip %s', (_, over, skip) => {
    expect(adaptivePolicy.fullFanout).toBe(true)
    expect(adaptivePolicy.decide(ctx(over))!.twoHopSkip === true).toBe(skip)
    expect(createAdaptivePolicy({ twoHopSkip: false }).decide(ctx(over))!.twoHopSkip === true).toBe(false)
  })

  test('adaptive — nothing to relay on when there are no other links', () => {
    expect(adaptivePolicy.decide(ctx({ degree: 1, links: [] }))).toBeNull()
  })
})
