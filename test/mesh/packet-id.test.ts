import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { packetId } from '../../src/mesh/packet-id.js'
import { fcOptions, hex, toHex } from '../wire/fc.js'

/** The preimage laid out by hand from §7.3 and hashed by node:crypto directly, not through a provider. */
function reference (type: number, senderId: string, timestamp: bigint, payload: string): string {
  const ts = Buffer.alloc(8)
  ts.writeBigUInt64BE(timestamp)
  const preimage = Buffer.concat([Buffer.from([type]), Buffer.from(senderId, 'hex'), ts, Buffer.from(payload, 'hex')])
  return createHash('sha256').update(preimage).digest('hex').slice(0, 32)
}

const base = { type: 0x02, senderId: '0102030405060708', timestamp: 1_700_000_000_123n, payload: '48656c6c6f' }

describe.each([nodeCrypto, nobleCrypto])('§7.3 packet ID ($name)', (crypto) => {
  const id = (o: typeof base): string => toHex(packetId(crypto, o.type, hex(o.senderId), o.timestamp, hex(o.payload)))

  test('§7.3 packet-id — SHA-256(type ‖ senderID ‖ timestamp BE ‖ payload), first 16 bytes', () => {
    expect(id(base)).toBe(reference(base.type, base.senderId, base.timestamp, base.payload))
    expect(id(base)).toHaveLength(32)
    expect(id({ ...base, payload: '' })).toBe(reference(base.type, base.senderId, base.timestamp, ''))
    expect(id({ ...base, type: 0xff, timestamp: 0xffff_ffff_ffff_ffffn })).toBe(reference(0xff, base.senderId, 0xffff_ffff_ffff_ffffn, base.payload))
  })

  test.each([
    ['type', { ...base, type: 0x01 }],
    ['senderID', { ...base, senderId: '0102030405060709' }],
    ['timestamp', { ...base, timestamp: base.timestamp + 1n }],
    ['timestamp high word', { ...base, timestamp: base.timestamp + (1n << 40n) }],
    ['payload', { ...base, payload: '48656c6c6e' }],
    ['payload length', { ...base, payload: '48656c6c6f00' }],
  ])('§7.3 packet-id — depends on the %s', (_field, changed) => {
    expect(id(changed)).not.toBe(id(base))
  })

  test('§7.3 packet-id — agrees with the hand-built preimage for any packet', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.uint8Array({ maxLength: 300 }),
      (type, sender, ts, payload) => {
        expect(toHex(packetId(crypto, type, sender, ts, payload))).toBe(reference(type, toHex(sender), ts, toHex(payload)))
      }), fcOptions(10_000))
  })

  test.each([
    ['a 7-byte sender', { ...base, senderId: '01020304050607' }],
    ['type 256', { ...base, type: 256 }],
    ['a negative timestamp', { ...base, timestamp: -1n }],
    ['a timestamp past 64 bits', { ...base, timestamp: 1n << 64n }],
  ])('§7.3 packet-id — %s is a programmer error', (_name, bad) => {
    expect(() => id(bad)).toThrow(Error)
  })
})
