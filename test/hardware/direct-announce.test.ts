import { describe, expect, test } from 'vitest'
import { directAnnounceSender } from '../../hardware/direct-announce.js'
import { MessageType } from '../../src/wire/packet-types.js'
import { announceFrame } from './announce-frame.js'

describe('directAnnounceSender', () => {
  test.each([
    { name: 'a direct announce', frame: announceFrame('0011223344556677'), expected: '0011223344556677' },
    { name: 'a padded direct announce', frame: announceFrame('aabbccddeeff0011', 7, MessageType.announce, true), expected: 'aabbccddeeff0011' },
    { name: 'a relayed announce (TTL 6)', frame: announceFrame('0011223344556677', 6), expected: null },
    { name: 'a public message at TTL 7', frame: announceFrame('0011223344556677', 7, MessageType.message), expected: null },
    { name: 'garbage', frame: new Uint8Array([9, 9, 9]), expected: null },
  ])('directAnnounceSender — $name', ({ frame, expected }) => {
    expect(directAnnounceSender(frame)).toBe(expected)
  })

  test('directAnnounceSender — a verifier that refuses wins', () => {
    const frame = announceFrame('0011223344556677')
    expect(directAnnounceSender(frame, () => false)).toBeNull()
    expect(directAnnounceSender(frame, p => p.ttl === 7)).toBe('0011223344556677')
  })
})
