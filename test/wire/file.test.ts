import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { type FilePacket, MAX_FILE_BYTES, decodeFile, encodeFile } from '../../src/wire/file.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

function plain (f: FilePacket): unknown {
  return { ...f, content: toHex(f.content) }
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
    expect(decodeErrorField(() => decodeFile(hex(vectors.rejects.file[0]!)))).toBe('unknownTlv')
  })

  test('§8 file — legacy 2-byte content length is read and re-encodes canonically', () => {
    const legacy = '01000161' + '020004' + '00000002' + '04' + '0002' + 'dead'
    const file = decodeFile(hex(legacy))
    expect(toHex(file.content)).toBe('dead')
    expect(toHex(encodeFile(file))).toBe(vectors.file.hex.replace('0300016d', ''))
  })

  test('§8 file — an 8-byte size, absent size, unknown TLVs and split content are accepted (iOS decoder)', () => {
    // The declared size (5) differs from the content's (3), so a size TLV read or ignored shows.
    const wire = '020008' + '0000000000000005' + '7f0001aa' + '04' + '00000001' + 'aa' + '04' + '00000002' + 'bbcc'
    expect(plain(decodeFile(hex(wire)))).toEqual({ fileName: null, fileSize: 5, mimeType: null, content: 'aabbcc' })
    expect(decodeFile(hex('0400000002beef')).fileSize).toBe(2)
  })

  test.each([
    ['no content', '01000161', 'content'],
    ['empty content', '0400000000', 'content'],
    ['declared size above the cap', '020004' + (MAX_FILE_BYTES + 1).toString(16).padStart(8, '0') + '0400000001aa', 'fileSize'],
    ['dangling type byte', '0400000001aa' + '01', 'fileName'],
    ['a cut size TLV', '020004' + '0000', 'fileSize'],
    ['a cut MIME type TLV', '030004' + '6161', 'mimeType'],
    ['content split into chunks that sum past the cap', '04' + (MAX_FILE_BYTES - 1).toString(16).padStart(8, '0') + '00'.repeat(MAX_FILE_BYTES - 1) + '04000000020000', 'content'],
  ])('§8 file — %s is rejected', (_name, wire, field) => {
    expect(decodeErrorField(() => decodeFile(hex(wire)))).toBe(field)
  })

  test.each([
    ['2 bytes', '0005'],
    ['5 bytes', '0000000005'],
  ])('§8 file — a size TLV of %s is ignored and the content length stands in (iOS)', (_name, size) => {
    const wire = '02' + (size.length / 2).toString(16).padStart(4, '0') + size + '0400000002beef'
    expect(decodeFile(hex(wire)).fileSize).toBe(2)
  })

  test('§8 file — content of exactly the cap decodes', () => {
    const file: FilePacket = { fileName: null, fileSize: MAX_FILE_BYTES, mimeType: null, content: new Uint8Array(MAX_FILE_BYTES).fill(7) }
    const back = decodeFile(encodeFile(file))
    expect(back.content.length).toBe(MAX_FILE_BYTES)
    expect(back.fileSize).toBe(MAX_FILE_BYTES)
  })

  const VALID: FilePacket = { fileName: 'a.jpg', fileSize: 1, mimeType: 'image/jpeg', content: hex('aa') }

  test.each<[string, Partial<FilePacket>, string]>([
    ['a name of 65 536 UTF-8 bytes', { fileName: 'é'.repeat(32_768) }, 'fileName'],
    ['a MIME type of 65 536 bytes', { mimeType: 'x'.repeat(65_536) }, 'mimeType'],
    ['a size of −1', { fileSize: -1 }, 'fileSize'],
    ['a size of 1.5', { fileSize: 1.5 }, 'fileSize'],
    ['a size above the cap', { fileSize: MAX_FILE_BYTES + 1 }, 'fileSize'],
    ['empty content', { content: new Uint8Array(0) }, 'content'],
    ['content above the cap', { content: new Uint8Array(MAX_FILE_BYTES + 1) }, 'content'],
  ])('§8 file — encoding refuses %s', (_name, change, field) => {
    expect(() => encodeFile({ ...VALID, ...change })).toThrow(new RegExp(`^${field}: `))
  })

  test.each<[string, Partial<FilePacket>]>([
    ['a name of 65 535 bytes', { fileName: 'n'.repeat(65_535) }],
    ['a MIME type of 65 535 bytes', { mimeType: 'm'.repeat(65_535) }],
    ['a size of 0', { fileSize: 0 }],
  ])('§8 file — encoding accepts %s, and it decodes back', (_name, change) => {
    const file = { ...VALID, ...change }
    expect(plain(decodeFile(encodeFile(file)))).toEqual(plain(file))
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
