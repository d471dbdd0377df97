import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { type FilePacket, MAX_FILE_BYTES, decodeFile, encodeFile } from '../../src/wire/file.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { fcOptions, hex, toHex } from './fc.js'

function plain (f: FilePacket): unknown {
  return { ...f, content: toHex(f.content) }
}

function fieldOf (fn: () => unknown): string {
  try { fn() } catch (e) { if (e instanceof DecodeError) return e.field; throw e }
  throw new Error('did not throw')
}

const fileArb: fc.Arbitrary<FilePacket> = fc.record({
  fileName: fc.option(fc.string({ unit: 'grapheme', maxLength: 30 }), { nil: null }),
  fileSize: fc.integer({ min: 0, max: MAX_FILE_BYTES }),
  mimeType: fc.option(fc.constantFrom('image/jpeg', 'audio/mp4', 'application/octet-stream', ''), { nil: null }),
  content: fc.uint8Array({ minLength: 1, maxLength: 300 }),
})

describe('§8 file TLV', () => {
  test('§8 file — Android contract vector: mixed 2/4-byte lengths', () => {
    const v = vectors.file
    const file: FilePacket = { fileName: v.fileName, fileSize: v.fileSize, mimeType: v.mimeType, content: hex(v.content) }
    expect(toHex(encodeFile(file))).toBe(v.hex)
    expect(plain(decodeFile(hex(v.hex)))).toEqual(plain(file))
  })

  test('§8 file — Android reject vector: content length that fits neither width', () => {
    expect(fieldOf(() => decodeFile(hex(vectors.rejects.file[0]!)))).toBe('unknownTlv')
  })

  test('§8 file — legacy 2-byte content length is read and re-encodes canonically', () => {
    const legacy = '01000161' + '020004' + '00000002' + '04' + '0002' + 'dead'
    const file = decodeFile(hex(legacy))
    expect(toHex(file.content)).toBe('dead')
    expect(toHex(encodeFile(file))).toBe(vectors.file.hex.replace('0300016d', ''))
  })

  test('§8 file — an 8-byte size, absent size, unknown TLVs and split content are accepted (iOS decoder)', () => {
    const wire = '020008' + '0000000000000003' + '7f0001aa' + '04' + '00000001' + 'aa' + '04' + '00000002' + 'bbcc'
    expect(plain(decodeFile(hex(wire)))).toEqual({ fileName: null, fileSize: 3, mimeType: null, content: 'aabbcc' })
    expect(decodeFile(hex('0400000002beef')).fileSize).toBe(2)
  })

  test.each([
    ['no content', '01000161', 'content'],
    ['empty content', '0400000000', 'content'],
    ['declared size above the cap', '020004' + (MAX_FILE_BYTES + 1).toString(16).padStart(8, '0') + '0400000001aa', 'fileSize'],
    ['dangling type byte', '0400000001aa' + '01', 'fileName'],
  ])('§8 file — %s is rejected', (_name, wire, field) => {
    expect(fieldOf(() => decodeFile(hex(wire)))).toBe(field)
  })

  test('§8 file — every strict prefix of a canonical packet is rejected', () => {
    const wire = encodeFile({ fileName: 'a.jpg', fileSize: 4, mimeType: 'image/jpeg', content: hex('01020304') })
    for (let n = 0; n < wire.length; n++) expect(() => decodeFile(wire.subarray(0, n)), `cut at ${n}`).toThrow(DecodeError)
  })

  test('§8 file — decode(encode(f)) = f, byte for byte', () => {
    fc.assert(fc.property(fileArb, (f) => {
      const wire = encodeFile(f)
      const back = decodeFile(wire)
      expect(plain(back)).toEqual(plain(f))
      expect(toHex(encodeFile(back))).toBe(toHex(wire))
    }), fcOptions(10_000))
  })

  test('§8 file — arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
      try { decodeFile(bytes) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })
})
