import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { MAX_SYNC_FRAGMENT_IDS, type RequestSync, decodeRequestSync, encodeRequestSync } from '../../src/wire/request-sync.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

function plain (r: RequestSync): unknown {
  return { ...r, filter: toHex(r.filter), fragmentIds: r.fragmentIds === null ? null : r.fragmentIds.map(toHex) }
}

const syncArb: fc.Arbitrary<RequestSync> = fc.record({
  p: fc.integer({ min: 1, max: 32 }),
  m: fc.integer({ min: 1, max: 0xffffffff }),
  filter: fc.uint8Array({ maxLength: 120 }),
  types: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: null }),
  since: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: null }),
  fragmentIds: fc.option(fc.uniqueArray(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 5, selector: toHex }), { nil: null }),
})

const base = vectors.requestSync
/** P = 7, M = 1, an empty filter: the required TLVs, for tests that vary what follows. */
const REQUIRED = '01000107' + '02000400000001' + '030000'
const VALID: RequestSync = { p: 7, m: 700, filter: new Uint8Array(0), types: null, since: null, fragmentIds: null }

function tlv (type: number, valueHex: string): string {
  return type.toString(16).padStart(2, '0') + (valueHex.length / 2).toString(16).padStart(4, '0') + valueHex
}

function fragmentIds (n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => hex(i.toString(16).padStart(16, '0')))
}

describe('§7.3 REQUEST_SYNC TLV', () => {
  test('§7.3 request-sync — Android contract vector, and an unknown TLV in front is skipped', () => {
    const req: RequestSync = { p: base.p, m: base.m, filter: hex(base.filter), types: base.types, since: BigInt(base.since), fragmentIds: null }
    expect(toHex(encodeRequestSync(req))).toBe(base.hex)
    expect(plain(decodeRequestSync(hex(base.hex)))).toEqual(plain(req))
    expect(plain(decodeRequestSync(hex(base.extensionPrefix + base.hex)))).toEqual(plain(req))
  })

  test('§7.3 request-sync — fragment-ID filter is comma-separated lowercase hex', () => {
    const req: RequestSync = { p: 7, m: 700, filter: new Uint8Array(0), types: null, since: null, fragmentIds: [hex('0001020304050607'), hex('a0b0c0d0e0f00010')] }
    const wire = toHex(encodeRequestSync(req))
    expect(wire.endsWith('060021' + Buffer.from('0001020304050607,a0b0c0d0e0f00010').toString('hex'))).toBe(true)
    expect(plain(decodeRequestSync(hex(wire)))).toEqual(plain(req))
  })

  test('§7.3 request-sync — malformed fragment-ID tokens are skipped, upper case accepted, at most 60 read', () => {
    const tokens = ['XYZ', '00010203040506', 'AABBCCDDEEFF0011', ...Array.from({ length: 58 }, (_, i) => i.toString(16).padStart(16, '0'))]
    // 61 tokens in 1021 bytes (under the 1024 cap): the 61st, although valid, is past the 60-token limit.
    const text = Buffer.from(tokens.join(','))
    const wire = '01000107' + '02000400000001' + '030000' + '06' + text.length.toString(16).padStart(4, '0') + text.toString('hex')
    const ids = decodeRequestSync(hex(wire)).fragmentIds!
    expect(ids.length).toBe(MAX_SYNC_FRAGMENT_IDS - 2)
    expect(toHex(ids[0]!)).toBe('aabbccddeeff0011')
  })

  test('§7.3 request-sync — malformed optional TLVs are ignored, as iOS does', () => {
    const wire = base.hex.replace('040001a0', '040000') + '0500020102'
    const r = decodeRequestSync(hex(wire))
    expect(r.types).toBeNull()
    expect(r.since).toBe(BigInt(base.since))
  })

  test.each([
    ['Android reject vector: filter missing', vectors.rejects.requestSync[0]!, 'filter'],
    ['p missing', '02000401020304030000', 'p'],
    ['p = 0', '01000100' + '02000401020304030000', 'p'],
    ['p = 33', '01000121' + '02000401020304030000', 'p'],
    ['m = 0', '01000107' + '02000400000000030000', 'm'],
    ['filter above 1024 bytes', '01000107' + '02000400000001' + '030401' + '00'.repeat(1025), 'filter'],
    ['TLV longer than the payload', '01000107' + '02000400000001' + '030005aa', 'filter'],
    ['m missing', '01000107' + '030000', 'm'],
    ['a 2-byte p, skipped as iOS does, leaves p missing', '0100020701' + '02000401020304030000', 'p'],
    ['a 5-byte m, skipped as iOS does, leaves m missing', '01000107' + '0200050000000102' + '030000', 'm'],
    ['a cut p TLV', '010001', 'p'],
    ['a cut m TLV', '01000107' + '020004000001', 'm'],
    ['a cut types TLV', REQUIRED + '040002aa', 'types'],
    ['a cut since TLV', REQUIRED + '050008' + '00'.repeat(7), 'since'],
    ['a cut fragment-ID TLV', REQUIRED + '060010' + '30'.repeat(15), 'fragmentIds'],
    ['a cut unknown TLV', REQUIRED + '7f0002aa', 'unknownTlv'],
  ])('§7.3 request-sync — %s is rejected', (_name, wire, field) => {
    expect(decodeErrorField(() => decodeRequestSync(hex(wire)))).toBe(field)
  })

  test.each<[string, string, Partial<RequestSync>]>([
    ['a filter of exactly 1024 bytes', '01000107' + '02000400000001' + tlv(3, 'a5'.repeat(1024)), { filter: new Uint8Array(1024).fill(0xa5) }],
    ['types in 8 bytes, little-endian', REQUIRED + tlv(4, '0100000000001000'), { types: 0x10_0000_0000_0001 }],
    ['types in 9 bytes (ignored)', REQUIRED + tlv(4, '010000000000000000'), { types: null }],
    ['types of 2^53 and more (ignored)', REQUIRED + tlv(4, '0000000000002000'), { types: null }],
    ['since in 7 bytes (ignored)', REQUIRED + tlv(5, '00'.repeat(7)), { since: null }],
    ['a fragment-ID TLV of 1024 bytes', REQUIRED + tlv(6, Buffer.from('0011223344556677'.padEnd(1024, ',')).toString('hex')), { fragmentIds: [hex('0011223344556677')] }],
    ['a fragment-ID TLV over 1024 bytes (ignored)', REQUIRED + tlv(6, Buffer.from('0011223344556677'.padEnd(1025, ',')).toString('hex')), { fragmentIds: null }],
    ['fragment IDs that are all malformed', REQUIRED + tlv(6, Buffer.from('zz11223344556677,00112233').toString('hex')), { fragmentIds: null }],
    ['a fragment-ID TLV that is not UTF-8 (ignored)', REQUIRED + tlv(6, 'ff'), { fragmentIds: null }],
    ['the same ID twice, in two cases', REQUIRED + tlv(6, Buffer.from('aabbccddeeff0011,AABBCCDDEEFF0011').toString('hex')), { fragmentIds: [hex('aabbccddeeff0011')] }],
  ])('§7.3 request-sync — decodes %s', (_name, wire, want) => {
    const got = decodeRequestSync(hex(wire))
    const expected = { p: 7, m: 1, filter: new Uint8Array(0), types: null, since: null, fragmentIds: null, ...want }
    expect(plain(got)).toEqual(plain(expected))
  })

  test.each<[string, Partial<RequestSync>, string]>([
    ['p = 0', { p: 0 }, 'p'],
    ['p = 33', { p: 33 }, 'p'],
    ['p = 7.5', { p: 7.5 }, 'p'],
    ['m = 0', { m: 0 }, 'm'],
    ['m = 2^32', { m: 2 ** 32 }, 'm'],
    ['m = 1.5', { m: 1.5 }, 'm'],
    ['a filter of 1025 bytes', { filter: new Uint8Array(1025) }, 'filter'],
    ['types = −1', { types: -1 }, 'types'],
    ['types = 0.5', { types: 0.5 }, 'types'],
    ['types = 2^53', { types: 2 ** 53 }, 'types'],
    ['since = −1', { since: -1n }, 'since'],
    ['since = 2^64', { since: 1n << 64n }, 'since'],
    ['61 fragment IDs', { fragmentIds: fragmentIds(61) }, 'fragmentIds'],
    ['a 7-byte fragment ID after good ones', { fragmentIds: [...fragmentIds(2), new Uint8Array(7)] }, 'fragmentIds'],
  ])('§7.3 request-sync — encoding refuses %s', (_name, change, field) => {
    expect(() => encodeRequestSync({ ...VALID, ...change })).toThrow(new RegExp(`^${field}: `))
  })

  test.each<[string, Partial<RequestSync>]>([
    ['p = 1', { p: 1 }],
    ['p = 32', { p: 32 }],
    ['m = 1', { m: 1 }],
    ['m = 2^32 − 1', { m: 2 ** 32 - 1 }],
    ['a 1024-byte filter', { filter: new Uint8Array(1024).fill(0x5a) }],
    ['types = 0', { types: 0 }],
    ['types = 2^53 − 1', { types: Number.MAX_SAFE_INTEGER }],
    ['since = 0', { since: 0n }],
    ['since = 2^64 − 1', { since: (1n << 64n) - 1n }],
    ['60 fragment IDs', { fragmentIds: fragmentIds(60) }],
  ])('§7.3 request-sync — encoding accepts %s, and it decodes back', (_name, change) => {
    const req = { ...VALID, ...change }
    expect(plain(decodeRequestSync(encodeRequestSync(req)))).toEqual(plain(req))
  })

  test('§7.3 request-sync — an empty fragment-ID list is sent as no TLV at all', () => {
    expect(toHex(encodeRequestSync({ ...VALID, fragmentIds: [] }))).toBe(toHex(encodeRequestSync(VALID)))
  })

  test('§7.3 request-sync — truncations: only cuts after the required TLVs at a boundary (+≤2 dangling bytes) decode', () => {
    const wire = hex(base.hex)
    // P (4) + M (7) + filter (5) = 16, types (4) → 20, since (11) → 31.
    const boundaries = [16, 20, 31]
    for (let n = 0; n < wire.length; n++) {
      const ok = boundaries.some((b) => n >= b && n <= b + 2)
      if (ok) expect(() => decodeRequestSync(wire.subarray(0, n)), `cut at ${n}`).not.toThrow()
      else expect(() => decodeRequestSync(wire.subarray(0, n)), `cut at ${n}`).toThrow(DecodeError)
    }
  })

  test('§7.3 request-sync — decode(encode(r)) = r, byte for byte', () => {
    fc.assert(fc.property(syncArb, (r) => {
      const wire = encodeRequestSync(r)
      const back = decodeRequestSync(wire)
      expect(plain(back)).toEqual(plain(r))
      expect(toHex(encodeRequestSync(back))).toBe(toHex(wire))
    }), fcOptions(10_000))
  })

  test('§7.3 request-sync — arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
      try { decodeRequestSync(bytes) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })
})
