import { describe, expect, test } from 'vitest'
import { isProfileName, PROFILES, profileByName, scanWindow, type ScanRhythm } from '../../simulator/ble-profile.js'

describe('ble-profile', () => {
  test.each([
    // [rhythm, links, ms since the last frame heard, window on, pause after]
    ['continuous', 6, Infinity, 5_000, 0],
    ['android', 0, 0, 8_000, 2_000],
    ['android', 7, Infinity, 8_000, 2_000],
    ['ios', 0, Infinity, 5_000, 0],
    ['ios', 2, Infinity, 5_000, 0],
    ['ios', 3, Infinity, 5_000, 10_000],
    ['ios', 5, 10_001, 5_000, 10_000],
    ['ios', 5, 10_000, 5_000, 0],
    ['ios', 6, Infinity, 3_000, 15_000],
    ['ios', 7, 2_000, 5_000, 0],
  ] as Array<[ScanRhythm, number, number, number, number]>)('scanWindow — %s with %i links, last frame %d ms ago: %i ms on, %i ms off', (rhythm, links, since, onMs, offMs) => {
    expect(scanWindow(rhythm, links, since)).toEqual({ onMs, offMs })
  })

  test('ble-profile — phones scan as iOS does, Android phones on their duty cycle, our Pi and laptop nodes without pause', () => {
    expect([PROFILES.phone!.scan, PROFILES.android!.scan, PROFILES.pi!.scan, PROFILES.laptop!.scan]).toEqual(['ios', 'android', 'continuous', 'continuous'])
  })

  test('ble-profile — every profile: its own name, link cap and MTU, and the issue\'s connection defaults', () => {
    const common = { connectionIntervalMinMs: 15, connectionIntervalMaxMs: 30, packetsPerEvent: 4, queueFrames: 16 }
    expect(PROFILES).toStrictEqual({
      phone: { name: 'phone', maxLinks: 7, attMtu: 185, scan: 'ios', ...common },
      android: { name: 'android', maxLinks: 7, attMtu: 517, scan: 'android', ...common },
      pi: { name: 'pi', maxLinks: 6, attMtu: 517, scan: 'continuous', ...common },
      laptop: { name: 'laptop', maxLinks: 7, attMtu: 517, scan: 'continuous', ...common },
    })
  })

  test('ble-profile — profiles by name, and names that are not profiles', () => {
    expect(profileByName('pi').maxLinks).toBe(6)
    expect(isProfileName('toString')).toBe(false)
    expect(() => profileByName('toString')).toThrow("unknown radio profile 'toString' (known: phone, android, pi, laptop)")
  })
})
