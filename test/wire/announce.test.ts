import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type Announce, PeerCapability, capabilitiesFromBits, capabilityBits, decodeAnnounce, encodeAnnounce, hasCapability,
} from '../../src/wire/announce.js'
import { DecodeError } from '../../src/wire/decode-error.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

function plain (a: Announce): unknown {
  return {
    ...a,
    noisePublicKey: toHex(a.noisePublicKey),
    signingPublicKey: toHex(a.signingPublicKey),
    neighbors: a.neighbors.map(toHex),
    capabilities: a.capabilities === null ? null : toHex(a.capabilities),
    unknown: a.unknown.map((u) => ({ type: u.type, value: toHex(u.value) })),
  }
}

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const unknownTlv = fc.record({
  type: fc.integer({ min: 7, max: 255 }),
  value: fc.uint8Array({ maxLength: 20 }),
})
const announceArb: fc.Arbitrary<Announce> = fc.record({
  nickname: fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= 255),
  noisePublicKey: key,
  signingPublicKey: key,
  neighbors: fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { maxLength: 10 }),
  capabilities: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null }),
  geohash: fc.option(fc.stringMatching(/^[0-9b-hjkmnp-z]{0,12}$/), { nil: null }),
  unknown: fc.array(unknownTlv, { maxLength: 3 }),
  shuffle: fc.option(fc.nat(), { nil: null }),
}).map(({ shuffle, ...a }) => {
  const announce: Announce = a
  if (shuffle !== null) {
    // A non-canonical but valid order: known TLVs rotated, the unknown ones (order kept) spliced in.
    const known = [1, 2, 3]
    if (a.neighbors.length > 0) known.push(4)
    if (a.capabilities !== null) known.push(5)
    if (a.geohash !== null) known.push(6)
    const k = shuffle % known.length
    const rotated = [...known.slice(k), ...known.slice(0, k)]
    const at = shuffle % (rotated.length + 1)
    const order = [...rotated.slice(0, at), ...a.unknown.map((u) => u.type), ...rotated.slice(at)]
    const canonical = [...known, ...a.unknown.map((u) => u.type)]
    if (order.join() !== canonical.join()) announce.tlvOrder = order
  }
  return announce
})

describe('§5.1 announce TLV', () => {
  test('§5.1 announce — Android contract vector: canonical order, capabilities and an unknown TLV', () => {
    const v = vectors.announce
    const announce: Announce = {
      nickname: v.nickname,
      noisePublicKey: new Uint8Array(32).fill(0x11),
      signingPublicKey: new Uint8Array(32).fill(0x22),
      neighbors: [],
      capabilities: capabilitiesFromBits(v.capabilityBits),
      geohash: null,
      unknown: v.unknown.map((u) => ({ type: u.type, value: hex(u.value) })),
    }
    expect(toHex(encodeAnnounce(announce))).toBe(v.hex)
    expect(plain(decodeAnnounce(hex(v.hex)))).toEqual(plain(announce))
  })

  test('§5.1 announce — neighbours are N×8 bytes with no count byte', () => {
    const a: Announce = {
      nickname: 'n', noisePublicKey: new Uint8Array(32), signingPublicKey: new Uint8Array(32),
      neighbors: [hex('0102030405060708'), hex('1112131415161718')], capabilities: null, geohash: 'u4pruyd', unknown: [],
    }
    const wire = toHex(encodeAnnounce(a))
    expect(wire).toContain('04100102030405060708' + '1112131415161718' + '0607' + Buffer.from('u4pruyd').toString('hex'))
    expect(plain(decodeAnnounce(hex(wire)))).toEqual(plain(a))
  })

  test('§5.1 announce — an empty capabilities TLV is kept as empty, not absent', () => {
    const wire = '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '0500'
    const a = decodeAnnounce(hex(wire))
    expect(a.capabilities).toEqual(new Uint8Array(0))
    expect(toHex(encodeAnnounce(a))).toBe(wire)
  })

  test('§5.1 announce — a non-canonical TLV order re-encodes as received', () => {
    const wire = '0320' + '22'.repeat(32) + '7f01aa' + '0103626f62' + '0220' + '11'.repeat(32)
    const a = decodeAnnounce(hex(wire))
    expect(a.tlvOrder).toEqual([3, 0x7f, 1, 2])
    expect(toHex(encodeAnnounce(a))).toBe(wire)
  })

  test('§5.1 announce — one dangling byte after the last TLV is ignored, as the phones do', () => {
    const v = vectors.announce
    expect(plain(decodeAnnounce(hex(v.hex + '01')))).toEqual(plain(decodeAnnounce(hex(v.hex))))
  })

  test.each([
    ['Android reject vector (truncated noise key)', vectors.rejects.announce[0]!, 'noisePublicKey'],
    ['missing nickname', '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32), 'nickname'],
    ['missing signing key', '0100' + '0220' + '00'.repeat(32), 'signingPublicKey'],
    ['31-byte noise key', '0100' + '021f' + '00'.repeat(31) + '0320' + '00'.repeat(32), 'noisePublicKey'],
    ['invalid UTF-8 nickname', '0102c328' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32), 'nickname'],
    ['neighbours not whole IDs', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '0407' + '00'.repeat(7), 'neighbors'],
    ['geohash over 12 bytes', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '060d' + '61'.repeat(13), 'geohash'],
    ['duplicate nickname', '0100' + '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32), 'nickname'],
    ['duplicate signing key', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '0320' + '00'.repeat(32), 'signingPublicKey'],
    ['duplicate neighbours', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '0408' + '00'.repeat(8) + '0408' + '00'.repeat(8), 'neighbors'],
    ['duplicate capabilities', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '050100' + '050100', 'capabilities'],
    ['duplicate geohash', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '060175' + '060175', 'geohash'],
    ['missing Noise key', '0100' + '0320' + '00'.repeat(32), 'noisePublicKey'],
    ['33-byte signing key', '0100' + '0220' + '00'.repeat(32) + '0321' + '00'.repeat(33), 'signingPublicKey'],
    ['an empty neighbours TLV', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '0400', 'neighbors'],
    ['invalid UTF-8 geohash', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '0601ff', 'geohash'],
    ['a TLV cut inside its value', '0105' + '6162', 'nickname'],
    ['an unknown TLV cut inside its value', '0100' + '0220' + '00'.repeat(32) + '0320' + '00'.repeat(32) + '7f05' + '00', 'unknownTlv'],
  ])('§5.1 announce — %s is rejected', (_name, wire, field) => {
    expect(decodeErrorField(() => decodeAnnounce(hex(wire)))).toBe(field)
  })

  test('§5.1 announce — truncations: only cuts at a TLV boundary (±1 dangling byte) after the required TLVs decode', () => {
    const a: Announce = {
      nickname: 'alice', noisePublicKey: new Uint8Array(32).fill(3), signingPublicKey: new Uint8Array(32).fill(4),
      neighbors: [new Uint8Array(8).fill(5)], capabilities: capabilitiesFromBits([8]), geohash: 'u4pr', unknown: [{ type: 0x7f, value: hex('cafe') }],
    }
    const wire = encodeAnnounce(a)
    // Boundaries after the three required TLVs: 2+5, +34, +34 = 75, then +10, +4, +6, +4.
    const boundaries = [75, 85, 89, 95, 99]
    for (let n = 0; n < wire.length; n++) {
      const ok = boundaries.includes(n) || boundaries.includes(n - 1)
      if (ok) expect(() => decodeAnnounce(wire.subarray(0, n))).not.toThrow()
      else expect(() => decodeAnnounce(wire.subarray(0, n)), `cut at ${n}`).toThrow(DecodeError)
    }
  })

  test('§5.1 announce — decode(encode(a)) = a, byte for byte', () => {
    fc.assert(fc.property(announceArb, (a) => {
      const wire = encodeAnnounce(a)
      const back = decodeAnnounce(wire)
      expect(plain(back)).toEqual(plain(a))
      expect(toHex(encodeAnnounce(back))).toBe(toHex(wire))
    }), fcOptions(10_000))
  })

  test('§5.1 announce — arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      try { decodeAnnounce(bytes) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })

  const valid: Announce = {
    nickname: 'x', noisePublicKey: new Uint8Array(32), signingPublicKey: new Uint8Array(32),
    neighbors: [], capabilities: null, geohash: null, unknown: [],
  }
  test.each<[string, Partial<Announce>, RegExp]>([
    ['a 31-byte Noise key', { noisePublicKey: new Uint8Array(31) }, /^noisePublicKey: must be 32 bytes/],
    ['a 33-byte signing key', { signingPublicKey: new Uint8Array(33) }, /^signingPublicKey: must be 32 bytes/],
    ['a 256-byte nickname', { nickname: 'é'.repeat(128) }, /^nickname: longer than 255/],
    ['32 neighbours (256 bytes)', { neighbors: Array.from({ length: 32 }, () => new Uint8Array(8)) }, /^neighbors: at most 31/],
    ['a 7-byte neighbour', { neighbors: [new Uint8Array(8), new Uint8Array(7)] }, /^neighbors: each must be 8 bytes/],
    ['256 capability bytes', { capabilities: new Uint8Array(256) }, /^capabilities: longer than 255/],
    ['a 13-byte geohash', { geohash: 'u4pruydqqvjkz' }, /^geohash: longer than 12/],
    ['an unknown TLV of a known type', { unknown: [{ type: 2, value: new Uint8Array(0) }] }, /^unknown: type 2 is not/],
    ['an unknown TLV of type -1', { unknown: [{ type: -1, value: new Uint8Array(0) }] }, /^unknown: type -1 is not/],
    ['an unknown TLV of type 256', { unknown: [{ type: 256, value: new Uint8Array(0) }] }, /^unknown: type 256 is not/],
    ['an unknown TLV of type 7.5', { unknown: [{ type: 7.5, value: new Uint8Array(0) }] }, /^unknown: type 7.5 is not/],
    ['an unknown TLV of 256 bytes', { unknown: [{ type: 9, value: new Uint8Array(256) }] }, /^unknown: value longer than 255/],
    ['tlvOrder naming a type twice', { tlvOrder: [1, 2, 3, 1] }, /^tlvOrder: type 1 twice/],
    ['tlvOrder listing absent neighbours', { tlvOrder: [1, 2, 3, 4] }, /^tlvOrder: neighbors listed but empty/],
    ['tlvOrder listing absent capabilities', { tlvOrder: [1, 2, 3, 5] }, /^tlvOrder: capabilities listed but null/],
    ['tlvOrder listing an absent geohash', { tlvOrder: [1, 2, 3, 6] }, /^tlvOrder: geohash listed but null/],
    ['tlvOrder naming an unknown type not there', { tlvOrder: [1, 2, 3, 9] }, /^tlvOrder: type 9 does not match/],
    ['tlvOrder naming another unknown type than the one there', { unknown: [{ type: 10, value: new Uint8Array(1) }], tlvOrder: [1, 2, 3, 9] }, /^tlvOrder: type 9 does not match/],
    ['tlvOrder leaving out a known TLV', { tlvOrder: [1, 3, 2].slice(0, 2) }, /^tlvOrder: does not list every TLV exactly once/],
    ['tlvOrder leaving out an unknown TLV', { unknown: [{ type: 9, value: new Uint8Array(1) }], tlvOrder: [1, 2, 3] }, /^tlvOrder: does not list every TLV exactly once/],
  ])('§5.1 announce — encoding %s is a programmer error naming the field', (_name, change, message) => {
    expect(() => encodeAnnounce({ ...valid, ...change })).toThrow(message)
  })

  test.each<[string, Partial<Announce>]>([
    ['a 255-byte nickname', { nickname: 'a'.repeat(255) }],
    ['31 neighbours', { neighbors: Array.from({ length: 31 }, () => new Uint8Array(8)) }],
    ['255 capability bytes', { capabilities: new Uint8Array(255) }],
    ['a 12-byte geohash', { geohash: 'u4pruydqqvjk' }],
    ['unknown TLVs of types 0, 7 and 255, one 255 bytes long', { unknown: [{ type: 0, value: new Uint8Array(1) }, { type: 7, value: new Uint8Array(255) }, { type: 255, value: new Uint8Array(0) }] }],
  ])('§5.1 announce — encoding %s is allowed (the bound itself)', (_name, change) => {
    const a = { ...valid, ...change }
    expect(plain(decodeAnnounce(encodeAnnounce(a)))).toEqual(plain(a))
  })
})

describe('§5.1 capabilities', () => {
  test.each([
    ['none', [], '00'],
    ['prekeys', [PeerCapability.prekeys], '01'],
    ['Android: privateMedia', [PeerCapability.privateMedia], '0001'],
    ['iOS: vouch, prekeys, groups, privateMedia, privateMediaReceipts',
      [PeerCapability.vouch, PeerCapability.prekeys, PeerCapability.groups, PeerCapability.privateMedia, PeerCapability.privateMediaReceipts], '2903'],
    ['blemesh: fullFanout (ours, bit 15)', [PeerCapability.fullFanout], '0080'],
  ])('§5.1 capabilities — %s encodes minimal little-endian', (_name, bits, wire) => {
    expect(toHex(capabilitiesFromBits(bits))).toBe(wire)
    expect(capabilityBits(hex(wire))).toEqual([...bits].sort((x, y) => x - y))
  })

  test('§5.1 capabilities — unknown bits and non-minimal encodings are still read', () => {
    expect(capabilityBits(hex('000080'))).toEqual([23])
    expect(hasCapability(hex('0001'), PeerCapability.privateMedia)).toBe(true)
    expect(hasCapability(hex('01'), PeerCapability.privateMedia)).toBe(false)
    expect(hasCapability(null, PeerCapability.prekeys)).toBe(false)
    expect(hasCapability(hex('fe'), 0)).toBe(false)
    expect(hasCapability(hex('01'), 8)).toBe(false) // past the end: absent, not an error
  })

  test.each([[-1], [2040], [1.5], [Number.NaN]])('§5.1 capabilities — bit %s cannot be encoded', (bit) => {
    expect(() => capabilitiesFromBits([bit])).toThrow(/^capabilities: bad bit/)
  })

  test('§5.1 capabilities — the highest bit that fits (2039) takes all 255 bytes', () => {
    const raw = capabilitiesFromBits([2039, 0])
    expect([raw.length, raw[0], raw[254]]).toEqual([255, 1, 0x80])
    expect(capabilityBits(raw)).toEqual([0, 2039])
  })
})
