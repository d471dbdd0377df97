import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { decodePrivateMessage, encodePrivateMessage, type PrivateMessage } from '../../src/wire/private-message.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

const utf8Max255 = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => Buffer.byteLength(s) <= 255)

describe('§5.2 private message TLV', () => {
  test('§5.2 private message — Android contract vector', () => {
    const v = vectors.privateMessage
    expect(toHex(encodePrivateMessage({ messageId: v.messageId, content: v.content }))).toBe(v.hex)
    expect(decodePrivateMessage(hex(v.hex))).toEqual({ messageId: 'm1', content: 'hi' })
  })

  test.each([
    ['Android reject: content missing', vectors.rejects.privateMessage[0]!, 'content'],
    ['Android reject: content truncated', vectors.rejects.privateMessage[1]!, 'content'],
    ['unknown TLV type', '00016d' + '0201aa' + '010168', 'tlvType'],
    ['message ID missing', '010168', 'messageId'],
    ['invalid UTF-8 content', '00016d' + '0102c328', 'content'],
    ['invalid UTF-8 message ID', '0002c328' + '010168', 'messageId'],
    ['a cut message ID', '0003' + '6d31', 'messageId'],
  ])('§5.2 private message — %s is rejected', (_name, wire, field) => {
    expect(decodeErrorField(() => decodePrivateMessage(hex(wire)))).toBe(field)
  })

  test('§5.2 private message — a repeated field keeps the last value (iOS) and one dangling byte is ignored', () => {
    expect(decodePrivateMessage(hex('00016d' + '010161' + '010162' + '00'))).toEqual({ messageId: 'm', content: 'b' })
  })

  test('§5.2 private message — every strict prefix is rejected', () => {
    const wire = encodePrivateMessage({ messageId: 'id-1', content: 'hello' })
    for (let n = 0; n < wire.length; n++) expect(() => decodePrivateMessage(wire.subarray(0, n))).toThrow(DecodeError)
  })

  test.each([
    ['message ID', { messageId: 'é'.repeat(128), content: 'x' }, 'messageId'],
    ['content', { messageId: 'x', content: 'é'.repeat(128) }, 'content'],
  ])('§5.2 private message — a %s over 255 UTF-8 bytes is refused when encoding; 255 is sent', (_name, message, field) => {
    expect(() => encodePrivateMessage(message)).toThrow(new RegExp(`^${field}: `))
    const edge = { messageId: 'x', content: 'x', [field]: 'y'.repeat(255) }
    expect(decodePrivateMessage(encodePrivateMessage(edge))).toEqual(edge)
  })

  test('§5.2 private message — decode(encode(m)) = m, byte for byte', () => {
    fc.assert(fc.property(fc.record({ messageId: utf8Max255, content: utf8Max255 }), (m: PrivateMessage) => {
      const wire = encodePrivateMessage(m)
      const back = decodePrivateMessage(wire)
      expect(back).toEqual(m)
      expect(toHex(encodePrivateMessage(back))).toBe(toHex(wire))
    }), fcOptions(10_000))
  })

  test('§5.2 private message — arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      try { decodePrivateMessage(bytes) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })
})
