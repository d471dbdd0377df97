import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { decodeUtf8, decodeUtf8OrNull, encodeUtf8 } from '../../src/wire/utf8.js'

describe('utf8', () => {
  test('utf8 — a leading BOM is kept so the bytes round trip', () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, 0x61])
    expect(encodeUtf8(decodeUtf8(bytes, 'x'))).toEqual(bytes)
  })

  test.each([
    ['lone continuation byte', [0x80]],
    ['truncated sequence', [0xc3]],
    ['overlong encoding', [0xc0, 0xaf]],
    ['surrogate half', [0xed, 0xa0, 0x80]],
  ])('utf8 — %s is a DecodeError naming the field, or null', (_name, bytes) => {
    const input = Uint8Array.from(bytes)
    expect(() => decodeUtf8(input, 'nickname')).toThrow(DecodeError)
    try { decodeUtf8(input, 'nickname') } catch (e) { expect((e as DecodeError).field).toBe('nickname') }
    expect(decodeUtf8OrNull(input)).toBeNull()
  })
})
