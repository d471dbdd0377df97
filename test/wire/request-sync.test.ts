import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { MAX_SYNC_FRAGMENT_IDS, type RequestSync, decodeRequestSync, encodeRequestSync } from '../../src/wire/request-sync.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { fcOptions, hex, toHex } from './fc.js'

function plain (r: RequestSync): unknown {
  return { ...r, filter: toHex(r.filter), fragmentIds: r.fragmentIds === null ? null : r.fragmentIds.map(toHex) }
}

function fieldOf (fn: () => unknown): string {
  try { fn() } catch (e) { if (e instanceof DecodeError) return e.field; throw e }
  throw new Error('did not throw')
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
  ])('§7.3 request-sync — %s is rejected', (_name, wire, field) => {
    expect(fieldOf(() => decodeRequestSync(hex(wire)))).toBe(field)
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
