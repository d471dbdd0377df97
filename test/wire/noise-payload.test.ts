import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { NoisePayloadType, decodeNoisePayload, encodeNoisePayload } from '../../src/wire/noise-payload.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { fcOptions, hex, toHex } from './fc.js'

describe('§5.2 Noise payload', () => {
  test('§5.2 Noise payload — Android contract vector: privateMessage type byte', () => {
    const v = vectors.privateMessage
    expect(toHex(encodeNoisePayload({ type: NoisePayloadType.privateMessage, data: hex(v.hex) }))).toBe(v.noisePayloadHex)
    const back = decodeNoisePayload(hex(v.noisePayloadHex))
    expect(back.type).toBe(0x01)
    expect(toHex(back.data)).toBe(v.hex)
  })

  test('§5.2 Noise payload — Android contract vector: 0x09 decodes as privateFile and re-encodes as 0x20', () => {
    const v = vectors.privateMessage
    const back = decodeNoisePayload(hex(v.aliasIn))
    expect(back.type).toBe(NoisePayloadType.privateFile)
    expect(toHex(encodeNoisePayload(back))).toBe(v.aliasOut)
  })

  test('§5.2 Noise payload — an empty plaintext is rejected; a type byte alone is valid', () => {
    expect(() => decodeNoisePayload(new Uint8Array(0))).toThrow(DecodeError)
    expect(decodeNoisePayload(hex('03')).data.length).toBe(0)
  })

  test.each([-1, 256, 1.5, Number.NaN])('§5.2 Noise payload — type %s is not a byte and is refused when encoding', (type) => {
    expect(() => encodeNoisePayload({ type, data: new Uint8Array(0) })).toThrow(/^type: /)
  })

  test('§5.2 Noise payload — decode(encode(p)) = p for every type but the alias', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 255 }).filter((t) => t !== 0x09), fc.uint8Array({ maxLength: 64 }), (type, data) => {
      const wire = encodeNoisePayload({ type, data })
      const back = decodeNoisePayload(wire)
      expect(back.type).toBe(type)
      expect(toHex(back.data)).toBe(toHex(data))
      expect(toHex(encodeNoisePayload(back))).toBe(toHex(wire))
    }), fcOptions(10_000))
  })

  test('§5.2 Noise payload — arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
      try { decodeNoisePayload(bytes) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })
})
