import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { bytesToHex, hexToBytes } from '../../src/wire/hex.js'
import { fcOptions } from './fc.js'

describe('hex', () => {
  test('hex — lowercase out, either case in, round trip', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const text = bytesToHex(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('hex'))
      expect(hexToBytes(text)).toEqual(bytes)
      expect(hexToBytes(text.toUpperCase())).toEqual(bytes)
    }), fcOptions(10_000))
  })

  test.each([['odd length', 'abc'], ['non-hex', 'zz'], ['sign', '+1'], ['space', 'a b ']])('hex — %s is null', (_name, text) => {
    expect(hexToBytes(text)).toBeNull()
  })
})
