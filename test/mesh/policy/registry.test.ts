import { describe, expect, test } from 'vitest'
import { adaptivePolicy } from '../../../src/mesh/policy/adaptive.js'
import { DEFAULT_RELAY_POLICY, RELAY_POLICIES, relayPolicyByName } from '../../../src/mesh/policy/registry.js'

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
  })
})
