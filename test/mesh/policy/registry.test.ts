import { describe, expect, test } from 'vitest'
import { adaptivePolicy } from '../../../src/mesh/policy/adaptive.js'
import { ADAPTIVE_WITHOUT_TWO_HOP_SKIP, DEFAULT_RELAY_POLICY, RELAY_POLICIES, relayPolicyByName, relayPolicyWithoutTwoHopSkip } from '../../../src/mesh/policy/registry.js'
import type { RelayContext } from '../../../src/mesh/policy/relay-policy.js'
import { MessageType } from '../../../src/wire/packet-types.js'
import { SeededRandom } from '../../../src/prng.js'

describe('registry', () => {
  test.each(Object.entries(RELAY_POLICIES))('registry — %s is registered under its own name', (name, policy) => {
    expect(policy.name).toBe(name)
    expect(relayPolicyByName(name)).toBe(policy)
  })

  test('registry — the default is adaptive, the measured winner', () => {
    expect(relayPolicyByName(DEFAULT_RELAY_POLICY)).toBe(adaptivePolicy)
  })

  test('registry — an unknown name is refused with the known ones listed', () => {
    expect(() => relayPolicyByName('gossip')).toThrow(/unknown policy 'gossip' \(known: flood, bitchat-ios, bitchat-android, adaptive\)/)
    // Names every object has are not policies.
    for (const name of ['toString', 'constructor', '__proto__']) expect(() => relayPolicyByName(name)).toThrow(RangeError)
  })

  const broadcast = (): RelayContext => ({
    type: MessageType.message, carriedType: MessageType.message, ttl: 7, directed: false, degree: 8, links: [{ id: 'a', info: { rssi: -60 } }, { id: 'b', info: { rssi: -70 } }] as never,
    announceRelayGapMs: Infinity, freshLinks: [], towardsNewcomers: [], peerArrivalAgeMs: Infinity, knownPeers: 10, seed: 1, random: new SeededRandom(1),
  })

  test('registry — without the two-hop skip, adaptive asks for no skip and says so in its name; other policies are themselves', () => {
    expect(relayPolicyByName('adaptive').decide(broadcast())!.twoHopSkip).toBe(true)
    const variant = relayPolicyWithoutTwoHopSkip('adaptive')
    expect(variant.name).toBe(ADAPTIVE_WITHOUT_TWO_HOP_SKIP)
    expect(variant.fullFanout).toBe(true)
    expect(variant.decide(broadcast())!.twoHopSkip).toBe(false)
    for (const name of ['flood', 'bitchat-ios', 'bitchat-android']) expect(relayPolicyWithoutTwoHopSkip(name)).toBe(RELAY_POLICIES[name])
    expect(() => relayPolicyWithoutTwoHopSkip('gossip')).toThrow(/unknown policy/)
  })
})
