import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  type Deflater, checkCompressedBounds, compressPayload, compressedOriginalSize, decompressPayload, shouldCompress,
} from '../../src/wire/compression.js'
import { DecodeError } from '../../src/wire/decode-error.js'
import { MAX_COMPRESSION_RATIO, MAX_PAYLOAD_BYTES } from '../../src/wire/limits.js'
import { nodeDeflater } from '../../src/wire/node-deflater.js'
import type { Packet } from '../../src/wire/packet-types.js'
import { SeededRandom } from '../../src/prng.js'
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

function packetWith (payload: Uint8Array, version: 1 | 2, isCompressed = true): Packet {
  return {
    version, type: 0x02, ttl: 7, timestamp: 1n, senderId: new Uint8Array(8), recipientId: null, route: [],
    payload, isCompressed, isRSR: false, signature: null,
  }
}

function prefixed (size: number, body: Uint8Array, version: 1 | 2): Uint8Array {
  const width = version === 2 ? 4 : 2
  const out = new Uint8Array(width + body.length)
  if (width === 4) new DataView(out.buffer).setUint32(0, size)
  else new DataView(out.buffer).setUint16(0, size)
  out.set(body, width)
  return out
}

const text = new TextEncoder().encode('hello mesh, hello mesh, hello mesh! '.repeat(8))
const rng = new SeededRandom('compression-test')
const noise = Uint8Array.from({ length: 4000 }, () => rng.int(256))

describe('§6.2 shouldCompress', () => {
  test.each([
    ['99 repeated bytes (under the threshold)', new Uint8Array(99), false],
    ['100 repeated bytes', new Uint8Array(100), true],
    ['repetitive text', text, true],
    ['random bytes (distinct/256 ≥ 0.9)', noise, false],
    ['all 256 values once', Uint8Array.from({ length: 256 }, (_, i) => i), false],
    ['229 distinct of 256 (ratio 0.895)', Uint8Array.from({ length: 256 }, (_, i) => i % 229), true],
    ['231 distinct of 256 (ratio 0.902)', Uint8Array.from({ length: 256 }, (_, i) => i % 231), false],
    ['100 bytes, 89 distinct', Uint8Array.from({ length: 100 }, (_, i) => i % 89), true],
    ['100 bytes, 90 distinct', Uint8Array.from({ length: 100 }, (_, i) => i % 90), false],
  ])('§6.2 shouldCompress — %s', (_name, payload, expected) => {
    expect(shouldCompress(payload)).toBe(expected)
  })
})

describe('§6.2 compressPayload / decompressPayload', () => {
  test.each([1, 2] as const)('§6.2 compression — v%i round trip with a %i-byte original-size prefix', (version) => {
    const out = compressPayload(text, version, nodeDeflater)
    expect(out.isCompressed).toBe(true)
    expect(out.payload.length).toBeLessThan(text.length)
    const packet = packetWith(out.payload, version)
    expect(compressedOriginalSize(packet)).toBe(text.length)
    expect(decompressPayload(packet, nodeDeflater)).toEqual(text)
  })

  test('§6.2 compression — incompressible or small payloads are left as they are', () => {
    expect(compressPayload(noise, 1, nodeDeflater)).toEqual({ payload: noise, isCompressed: false })
    const small = new Uint8Array(50)
    expect(compressPayload(small, 1, nodeDeflater).payload).toBe(small)
  })

  test('§6.2 compression — an uncompressed packet returns its payload untouched', () => {
    const p = packetWith(text, 1, false)
    expect(decompressPayload(p, nodeDeflater)).toBe(text)
  })

  test('§6.2 compression — the declared size must match exactly (Android rule)', () => {
    const body = nodeDeflater.deflateRaw(text)
    expect(decodeErrorField(() => decompressPayload(packetWith(prefixed(text.length + 1, body, 1), 1), nodeDeflater))).toBe('compressedPayload')
    expect(decodeErrorField(() => decompressPayload(packetWith(prefixed(text.length - 1, body, 1), 1), nodeDeflater))).toBe('compressedPayload')
  })

  test('§6.2 compression — bounds are checked before the inflater runs', () => {
    const calls: number[] = []
    const spy: Deflater = {
      deflateRaw: nodeDeflater.deflateRaw,
      inflateRaw: (data, max) => { calls.push(max); return nodeDeflater.inflateRaw(data, max) },
    }
    const cases: Array<[string, Uint8Array, 1 | 2, string]> = [
      ['declared size 0', prefixed(0, new Uint8Array(4), 1), 1, 'originalSize'],
      ['above the payload ceiling', prefixed(MAX_PAYLOAD_BYTES + 1, new Uint8Array(20_000), 2), 2, 'originalSize'],
      ['ratio above the cap', prefixed(MAX_COMPRESSION_RATIO * 10 + 1, new Uint8Array(10), 2), 2, 'originalSize'],
      ['empty body', prefixed(10, new Uint8Array(0), 1), 1, 'compressedPayload'],
      ['no prefix', new Uint8Array(1), 1, 'originalSize'],
    ]
    for (const [name, payload, version, field] of cases) {
      expect(decodeErrorField(() => decompressPayload(packetWith(payload, version), spy)), name).toBe(field)
    }
    expect(calls).toEqual([])
    decompressPayload(packetWith(prefixed(text.length, nodeDeflater.deflateRaw(text), 1), 1), spy)
    expect(calls).toEqual([text.length])
  })

  test.each<[string, number, number, string | null]>([
    ['declared size 1', 1, 1, null],
    ['declared size 0', 0, 1, 'originalSize'],
    ['the payload ceiling exactly', MAX_PAYLOAD_BYTES, 10_000, null],
    ['one byte above the ceiling', MAX_PAYLOAD_BYTES + 1, 10_000, 'originalSize'],
    ['an empty body', 10, 0, 'compressedPayload'],
    ['the ratio cap exactly', 10 * MAX_COMPRESSION_RATIO, 10, null],
    ['one byte above the ratio cap', 10 * MAX_COMPRESSION_RATIO + 1, 10, 'originalSize'],
  ])('§6.2 compression — bounds: %s', (_name, originalSize, compressedSize, field) => {
    if (field === null) expect(() => checkCompressedBounds(originalSize, compressedSize)).not.toThrow()
    else expect(decodeErrorField(() => checkCompressedBounds(originalSize, compressedSize))).toBe(field)
  })

  test.each<[string, Uint8Array, 1 | 2, boolean, number | null]>([
    ['not compressed', hex('0000000a01'), 2, false, null],
    ['v2, 3 bytes', hex('000000'), 2, true, null],
    ['v2, the 4-byte prefix alone', hex('0000010a'), 2, true, 0x10a],
    ['v1, 1 byte', hex('00'), 1, true, null],
    ['v1, the 2-byte prefix alone', hex('010a'), 1, true, 0x10a],
  ])('§6.2 compression — original size of %s', (_name, payload, version, isCompressed, want) => {
    expect(compressedOriginalSize(packetWith(payload, version, isCompressed))).toBe(want)
  })

  test('§6.2 compression — a v2 payload that is its size prefix alone is an empty body, not a short prefix', () => {
    expect(decodeErrorField(() => decompressPayload(packetWith(hex('0000010a'), 2), nodeDeflater))).toBe('compressedPayload')
  })

  /** A deflater whose output is `n` bytes of 0xd5, whatever it is given: the size rules alone decide. */
  function sized (n: number): Deflater {
    return { deflateRaw: () => new Uint8Array(n).fill(0xd5), inflateRaw: () => { throw new Error('not used') } }
  }

  test.each<[string, number, 1 | 2, number, string | null]>([
    ['a body one byte smaller', 200, 1, 199, '00c8'],
    ['a body as large as the payload', 200, 1, 200, null],
    ['an empty body', 200, 1, 0, null],
    ['v1 at 65 535 bytes, its size prefix full', 0xffff, 1, 10, 'ffff'],
    ['v1 at 65 536 bytes, which its 2-byte prefix cannot declare', 0x1_0000, 1, 10, null],
    ['v2 at 65 536 bytes', 0x1_0000, 2, 10, '00010000'],
    ['v2 above the payload ceiling', MAX_PAYLOAD_BYTES + 1, 2, 10, null],
    ['99 bytes, under the threshold', 99, 2, 1, null],
  ])('§6.2 compression — compressPayload: %s', (_name, length, version, bodyLength, prefix) => {
    const payload = new Uint8Array(length)
    const out = compressPayload(payload, version, sized(bodyLength))
    if (prefix === null) {
      expect(out.isCompressed).toBe(false)
      expect(out.payload).toBe(payload)
    } else {
      expect(out.isCompressed).toBe(true)
      expect(toHex(out.payload)).toBe(prefix + 'd5'.repeat(bodyLength))
    }
  })

  test('§6.2 compression — a stream inflating past its declared size stops at the cap', () => {
    // 1 MB of zeros deflates to ~1 KB: declared as 1000 bytes it must fail without producing the megabyte.
    const body = nodeDeflater.deflateRaw(new Uint8Array(1_000_000))
    let largest = 0
    const spy: Deflater = {
      deflateRaw: nodeDeflater.deflateRaw,
      inflateRaw: (data, max) => { const out = nodeDeflater.inflateRaw(data, max); largest = Math.max(largest, out.length); return out },
    }
    expect(decodeErrorField(() => decompressPayload(packetWith(prefixed(1000, body, 2), 2), spy))).toBe('compressedPayload')
    expect(largest).toBeLessThanOrEqual(1000)
  })

  test('§6.2 compression — compress then decompress is the identity (v1 and v2)', () => {
    fc.assert(fc.property(
      fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.array(fc.constantFrom(0x61, 0x62, 0x20, 0x0a), { maxLength: 400 }).map((a) => Uint8Array.from(a))),
      fc.constantFrom<1 | 2>(1, 2),
      (payload, version) => {
        const out = compressPayload(payload, version, nodeDeflater)
        expect(decompressPayload(packetWith(out.payload, version, out.isCompressed), nodeDeflater)).toEqual(payload)
      }), fcOptions(10_000))
  })

  test('§6.2 compression — arbitrary compressed payloads never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), fc.constantFrom<1 | 2>(1, 2), (payload, version) => {
      try { decompressPayload(packetWith(payload, version), nodeDeflater) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })
})
