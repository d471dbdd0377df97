import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { FRAGMENT_HEADER_BYTES, decodeFragment, encodeFragment, type Fragment } from '../../src/wire/fragment.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

function plain (f: Fragment): unknown {
  return { ...f, fragmentId: toHex(f.fragmentId), data: toHex(f.data) }
}

const fragmentArb = fc.integer({ min: 1, max: 0xffff }).chain((total) => fc.record({
  fragmentId: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  index: fc.integer({ min: 0, max: total - 1 }),
  total: fc.constant(total),
  originalType: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ maxLength: 200 }),
}))

describe('§3 fragment header', () => {
  test('§3 fragment — Android contract vector: the thirteen-byte iOS header', () => {
    const v = vectors.fragment
    const fragment: Fragment = { fragmentId: hex(v.fragmentId), index: v.index, total: v.total, originalType: v.originalType, data: hex(v.data) }
    expect(toHex(encodeFragment(fragment))).toBe(v.hex)
    expect(plain(decodeFragment(hex(v.hex)))).toEqual(plain(fragment))
  })

  test('§3 fragment — a header with an empty chunk is valid', () => {
    const f = decodeFragment(hex('0001020304050607' + '0000' + '0001' + '11'))
    expect(f.data.length).toBe(0)
  })

  test.each([
    ['total 0', '0000' + '0000', 'total'],
    ['index equal to total', '0003' + '0003', 'index'],
    ['index above total', 'ffff' + '0001', 'index'],
  ])('§3 fragment — %s is rejected', (_name, counts, field) => {
    expect(decodeErrorField(() => decodeFragment(hex('0001020304050607' + counts + '02aa')))).toBe(field)
  })

  test('§3 fragment — every length shorter than the header is rejected, naming the field cut short', () => {
    const wire = hex(vectors.fragment.hex)
    const fieldAt = (n: number): string => n < 8 ? 'fragmentId' : n < 10 ? 'index' : n < 12 ? 'total' : 'originalType'
    for (let n = 0; n < FRAGMENT_HEADER_BYTES; n++) expect(decodeErrorField(() => decodeFragment(wire.subarray(0, n)))).toBe(fieldAt(n))
    expect(() => decodeFragment(new Uint8Array(vectors.rejects.fragmentShortByOne))).toThrow(DecodeError)
  })

  test.each([7, 9])('§3 fragment — encoding a %i-byte fragment ID is a programmer error', (n) => {
    expect(() => encodeFragment({ fragmentId: new Uint8Array(n), index: 0, total: 1, originalType: 2, data: new Uint8Array(1) })).toThrow(/8 bytes/)
  })

  test('§3 fragment — decode(encode(f)) = f, byte for byte', () => {
    fc.assert(fc.property(fragmentArb, (f) => {
      const wire = encodeFragment(f)
      expect(wire.length).toBe(FRAGMENT_HEADER_BYTES + f.data.length)
      const back = decodeFragment(wire)
      expect(plain(back)).toEqual(plain(f))
      expect(toHex(encodeFragment(back))).toBe(toHex(wire))
    }), fcOptions(10_000))
  })

  test('§3 fragment — arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      try { decodeFragment(bytes) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })
})
