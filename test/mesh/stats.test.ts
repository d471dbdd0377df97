import { describe, expect, test } from 'vitest'
import { Counters, DROP_REASONS, isControlType, typeName } from '../../src/mesh/stats.js'
import { MessageType } from '../../src/wire/packet-types.js'

describe('stats', () => {
  test.each([
    [MessageType.announce, 'announce'],
    [MessageType.fragment, 'fragment'],
    [MessageType.requestSync, 'requestSync'],
    [MessageType.voiceFrame, 'voiceFrame'],
    [0x05, '0x05'],
    [0x2a, '0x2a'],
    [0xff, '0xff'],
  ])('stats — typeName(0x%s) is %s', (type, name) => {
    expect(typeName(type)).toBe(name)
  })

  test('stats — control traffic is announce, leave, handshake and sync; every other type is application', () => {
    const control = Object.entries(MessageType).filter(([, type]) => isControlType(type)).map(([name]) => name).sort()
    expect(control).toEqual(['announce', 'leave', 'noiseHandshake', 'requestSync'])
    expect(isControlType(0x2a)).toBe(false)
  })

  test('stats — drops add up per reason, and the snapshot lists every reason, zeros included', () => {
    const counters = new Counters()
    counters.drop('stale')
    counters.drop('stale')
    counters.drop('queueFull', 5)
    const { dropped } = counters.snapshot()
    expect(Object.keys(dropped)).toEqual([...DROP_REASONS])
    expect(dropped).toEqual({ ...Object.fromEntries(DROP_REASONS.map(r => [r, 0])), stale: 2, queueFull: 5 })
  })

  test('stats — a frame sent counts by wire type, by purpose of what it carries, and in bytes', () => {
    const counters = new Counters()
    counters.sent(MessageType.announce, MessageType.announce, 100)
    counters.sent(MessageType.fragment, MessageType.message, 180)
    counters.sent(MessageType.fragment, MessageType.announce, 180)
    counters.sent(0x2a, 0x2a, 7)
    const s = counters.snapshot()
    expect([s.framesOut, s.bytesOut, s.framesOutControl, s.framesOutApplication]).toEqual([4, 467, 2, 2])
    expect(s.framesOutByType).toEqual({ announce: 1, fragment: 2, '0x2a': 1 })
  })

  test('stats — the snapshot copies every counter and is not changed by later counting', () => {
    const counters = new Counters()
    const fields = ['received', 'bytesIn', 'delivered', 'originated', 'relayed', 'relaysCancelled', 'duplicates', 'withdrawn',
      'twoHopSkips', 'unverifiable', 'reassembled'] as const
    fields.forEach((field, i) => { counters[field] = i + 1 })
    const s = counters.snapshot()
    expect(fields.map(field => s[field])).toEqual(fields.map((_, i) => i + 1))
    counters.received = 100
    counters.drop('decode')
    counters.sent(MessageType.message, MessageType.message, 1)
    expect([s.received, s.dropped.decode, s.framesOut, s.framesOutByType]).toEqual([1, 0, 0, {}])
  })
})
