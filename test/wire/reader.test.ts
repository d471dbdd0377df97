import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { ByteReader, ByteWriter, u32At } from '../../src/wire/reader.js'
import { decodeErrorField, fcOptions, hex } from './fc.js'

describe('ByteReader', () => {
  test('ByteReader — reads big-endian integers of every width', () => {
    const r = new ByteReader(hex('01 0203 04050607 08090a0b0c0d0e0f ffffffff ffffffffffffffff'))
    expect(r.u8('a')).toBe(0x01)
    expect(r.u16('b')).toBe(0x0203)
    expect(r.u32('c')).toBe(0x04050607)
    expect(r.u64('d')).toBe(0x08090a0b0c0d0e0fn)
    expect(r.u32('e')).toBe(0xffffffff)
    expect(r.u64('f')).toBe(0xffffffffffffffffn)
    expect(r.remaining).toBe(0)
  })

  test('ByteReader — bytes are views, not copies', () => {
    const buf = hex('00112233')
    const view = new ByteReader(buf).bytes(2, 'x')
    buf[0] = 0x99
    expect(view[0]).toBe(0x99)
  })

  test.each([
    ['u8', (r: ByteReader) => r.u8('field-u8'), 0, 'field-u8'],
    ['u16', (r: ByteReader) => r.u16('field-u16'), 1, 'field-u16'],
    ['u32', (r: ByteReader) => r.u32('field-u32'), 3, 'field-u32'],
    ['u64', (r: ByteReader) => r.u64('field-u64'), 7, 'field-u64'],
    ['bytes', (r: ByteReader) => r.bytes(5, 'field-bytes'), 4, 'field-bytes'],
    ['skip', (r: ByteReader) => { r.skip(2, 'field-skip') }, 1, 'field-skip'],
  ])('ByteReader — %s past the end throws DecodeError naming the field', (_name, read, available, field) => {
    const r = new ByteReader(new Uint8Array(available))
    expect(decodeErrorField(() => read(r))).toBe(field)
  })

  test('ByteReader — a negative or fractional length is a DecodeError, not a RangeError', () => {
    expect(() => new ByteReader(new Uint8Array(4)).bytes(-1, 'len')).toThrow(DecodeError)
    expect(() => new ByteReader(new Uint8Array(4)).bytes(1.5, 'len')).toThrow(DecodeError)
  })

  test('ByteReader — peekU32 reads without consuming, and gives null with under 4 bytes left', () => {
    const r = new ByteReader(hex('01020304' + '0506070809'))
    expect(r.peekU32()).toBe(0x01020304)
    expect(r.u32('a')).toBe(0x01020304)
    expect(r.peekU32()).toBe(0x05060708)
    r.u16('b')
    expect(r.peekU32()).toBeNull()
    expect(r.u8('c')).toBe(0x07)
  })

  test('ByteReader — honours a start/end window and rest()', () => {
    const r = new ByteReader(hex('aabbccddee'), 1, 4)
    expect(r.remaining).toBe(3)
    expect(r.u8('x')).toBe(0xbb)
    expect([...r.rest()]).toEqual([0xcc, 0xdd])
    expect(() => r.u8('y')).toThrow(DecodeError)
  })
})

test.each([
  ['00000000ff', 0, 0], ['ff00000001', 1, 1], ['ffffffffff', 1, 0xffffffff], ['0080000000', 1, 0x8000_0000], ['0102030405', 1, 0x02030405],
])('u32At — %s at %i reads %i big-endian, never negative', (bytes, at, value) => {
  expect(u32At(hex(bytes), at)).toBe(value)
})

describe('ByteWriter', () => {
  test('ByteWriter — writes what ByteReader reads (round trip)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffffffff }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.uint8Array({ maxLength: 40 }),
      (a, b, c, d, e) => {
        const w = new ByteWriter(1 + 2 + 4 + 8 + e.length)
        w.u8(a); w.u16(b); w.u32(c); w.u64(d); w.write(e)
        const r = new ByteReader(w.finish())
        expect([r.u8('a'), r.u16('b'), r.u32('c'), r.u64('d'), [...r.bytes(e.length, 'e')]]).toEqual([a, b, c, d, [...e]])
      }), fcOptions(10_000))
  })

  test.each([
    0n, 1n, 0xffffffffn, 0x1_0000_0000n, 1_763_776_000_000n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n,
    (0x20_0000n << 32n) - 1n, 0x20_0000n << 32n, (1n << 64n) - 1n,
  ])('ByteWriter — u64 %s survives both the fast and the exact path', (value) => {
    const w = new ByteWriter(8)
    w.u64(value)
    const bytes = w.finish()
    expect(Buffer.from(bytes).readBigUInt64BE()).toBe(value)
    expect(new ByteReader(bytes).u64('v')).toBe(value)
  })

  test('ByteWriter — writeFixed zero-pads short and truncates long values', () => {
    const w = new ByteWriter(8)
    w.writeFixed(hex('0102'), 4)
    w.writeFixed(hex('0304050607'), 4)
    expect([...w.finish()]).toEqual([1, 2, 0, 0, 3, 4, 5, 6])
  })

  test('ByteWriter — a capacity above the size leaves room after the written bytes, which the size still bounds', () => {
    const w = new ByteWriter(2, 5)
    w.u16(0x0102)
    expect(() => { w.u8(3) }).toThrow(/overrun/)
    expect([...w.finish()]).toEqual([1, 2, 0, 0, 0])
    expect(() => new ByteWriter(3, 2)).toThrow(/capacity/)
  })

  test.each([
    ['long enough: written in place, zeroed first', 8, true],
    ['exactly the capacity: written in place', 4, true],
    ['too short: a buffer of its own', 3, false],
  ])('ByteWriter — into a given buffer %s', (_name, length, inPlace) => {
    const into = new Uint8Array(length).fill(0xee)
    const w = new ByteWriter(3, 4, into)
    w.writeFixed(hex('01'), 2)
    w.u8(9)
    const out = w.finish()
    expect([...out]).toEqual([1, 0, 9, 0])
    expect(out.buffer === into.buffer).toBe(inPlace)
    if (inPlace) expect([...into.subarray(4)]).toEqual(new Array(length - 4).fill(0xee))
  })

  test('ByteWriter — overrun and under-filled finish are programmer errors', () => {
    const w = new ByteWriter(1)
    expect(() => { w.u16(1) }).toThrow(Error)
    expect(() => new ByteWriter(2).finish()).toThrow(/sized 2/)
  })
})
