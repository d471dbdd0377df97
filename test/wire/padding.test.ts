import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { padFrame, paddedLength, unpadFrame } from '../../src/wire/padding.js'
import { fcOptions } from './fc.js'

describe('§6.1 padding', () => {
  test.each([
    // [frame length, padded length]: smallest bucket ≥ len+16, unless that needs more than 255 pad bytes.
    [0, 0], [1, 256], [22, 256], [240, 256], [241, 241], [256, 256], [257, 512], [496, 512], [497, 497],
    [768, 768], [769, 1024], [1008, 1024], [1009, 1009], [1793, 2048], [2032, 2048], [2033, 2033], [4000, 4000],
  ])('§6.1 padding — a %i-byte frame pads to %i', (length, padded) => {
    expect(paddedLength(length)).toBe(padded)
    const frame = new Uint8Array(length).fill(0xab)
    const out = padFrame(frame)
    expect(out.length).toBe(padded)
    if (padded === length) expect(out).toBe(frame)
    else expect([...out.subarray(length)].every((b) => b === padded - length)).toBe(true)
  })

  test('§6.1 padding — unpad(pad(x)) is x whenever x was padded', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2100 }), (frame) => {
      const padded = padFrame(frame)
      if (padded === frame) return
      expect(unpadFrame(padded)).toEqual(frame)
    }), fcOptions(10_000))
  })

  test.each([
    ['empty', [], null],
    ['last byte zero', [1, 2, 0], null],
    ['pad longer than frame', [3, 3], null],
    ['tail bytes disagree', [9, 2, 3, 3, 2, 3], null],
    ['one byte of 0x01', [7, 1], [7]],
    ['whole frame is padding', [2, 2], []],
    ['three bytes of 0x03', [5, 3, 3, 3], [5]],
  ])('§6.1 padding — unpad %s', (_name, input, expected) => {
    const out = unpadFrame(Uint8Array.from(input))
    expect(out === null ? null : [...out]).toEqual(expected)
  })
})
