import { describe, expect, test } from 'vitest'
import { floodPolicy } from '../../../src/mesh/policy/flood.js'
import type { Link } from '../../../src/mesh/link.js'
import { SeededRandom } from '../../../src/prng.js'

describe('flood policy', () => {
  test('flood — every link, at once, TTL − 1, never cancelled', () => {
    const links = [{ id: 'a' }, { id: 'b' }] as Link[]
    const d = floodPolicy.decide({ type: 2, carriedType: 2, ttl: 5, directed: false, degree: 3, links, announceRelayGapMs: Infinity, freshLinks: [], towardsNewcomers: [], peerArrivalAgeMs: Infinity, knownPeers: 0, seed: 0, random: new SeededRandom(1) })
    expect(d).toEqual({ ttl: 4, delayMs: 0, cancelAfterDuplicates: Infinity, links })
  })
})
