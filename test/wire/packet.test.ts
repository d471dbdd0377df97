import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DecodeError } from '../../src/wire/decode-error.js'
import { MAX_COMPRESSION_RATIO, MAX_PAYLOAD_BYTES } from '../../src/wire/limits.js'
import { encodeFragment } from '../../src/wire/fragment.js'
import { carriedType, decodePacket, emptyFrameHeader, encodePacket, encodedPacketLength, payloadOffset, peekHeader } from '../../src/wire/packet.js'
import { MessageType, type Packet } from '../../src/wire/packet-types.js'
import { padFrame, unpadFrame } from '../../src/wire/padding.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { packetArb, packetSignature, plainPacket } from './arbitraries.js'
import { decodeErrorField, fcOptions, hex, toHex } from './fc.js'

function basePacket (over: Partial<Packet> = {}): Packet {
  return {
    version: 1,
    type: 0x02,
    ttl: 7,
    timestamp: 0x0102030405060708n,
    senderId: hex('1011121314151617'),
    recipientId: null,
    route: [],
    payload: hex('aabbcc'),
    isCompressed: false,
    isRSR: false,
    signature: null,
    ...over,
  }
}

function fragmentOf (originalType: number, over: Partial<Packet> = {}): Uint8Array {
  const payload = encodeFragment({ fragmentId: new Uint8Array(8).fill(9), index: 0, total: 2, originalType, data: new Uint8Array([5, 5, 5]) })
  return encodePacket(basePacket({ type: MessageType.fragment, payload, ...over }))
}

describe('§2.1 packet — upstream vectors (bitchat-android ClientRewriteWireContractTest)', () => {
  test('§2.1 packet — v1 message encodes to the Android contract bytes and back', () => {
    const v = vectors.packetV1
    const packet = basePacket()
    expect(toHex(encodePacket(packet))).toBe(v.hex)
    expect(plainPacket(decodePacket(hex(v.hex)))).toEqual(plainPacket(packet))
  })

  test('§2.1 packet — v2 routed signed noiseEncrypted keeps the Android section order', () => {
    const v = vectors.packetV2RoutedSigned
    const signature = new Uint8Array(64).fill(0x5a)
    const packet = basePacket({
      version: 2,
      type: 0x11,
      ttl: 5,
      timestamp: 42n,
      senderId: hex(v.fields.senderId),
      recipientId: hex(v.fields.recipientId),
      route: v.fields.route.map(hex),
      payload: hex('dead'),
      signature,
    })
    const expected = v.hexWithoutSignature + '5a'.repeat(64)
    expect(toHex(encodePacket(packet))).toBe(expected)
    expect(plainPacket(decodePacket(hex(expected)))).toEqual(plainPacket(packet))
  })
})

describe('§2.1 packet — header fields and flags', () => {
  test.each([
    ['v1 length is 2 bytes', basePacket(), 14 + 8 + 3],
    ['v2 length is 4 bytes', basePacket({ version: 2 }), 16 + 8 + 3],
    ['recipient adds 8', basePacket({ recipientId: new Uint8Array(8).fill(0xff) }), 14 + 8 + 8 + 3],
    ['signature adds 64', basePacket({ signature: new Uint8Array(64) }), 14 + 8 + 3 + 64],
    ['v2 route adds 1+8N', basePacket({ version: 2, route: [new Uint8Array(8), new Uint8Array(8)] }), 16 + 8 + 1 + 16 + 3],
    ['v2 empty route with the flag kept adds the count byte', basePacket({ version: 2, extraFlags: 0x08 }), 16 + 8 + 1 + 3],
  ])('§2.1 packet — %s', (_name, packet, length) => {
    const frame = encodePacket(packet)
    expect(frame.length).toBe(length)
    expect(encodedPacketLength(packet)).toBe(length)
    expect(toHex(encodePacket(decodePacket(frame)))).toBe(toHex(frame))
  })

  test.each([
    ['recipient', { recipientId: new Uint8Array(8) }, 0x01],
    ['signature', { signature: new Uint8Array(64) }, 0x02],
    ['compressed', { isCompressed: true, payload: hex('0005aa') }, 0x04],
    ['route (v2)', { version: 2 as const, route: [new Uint8Array(8)] }, 0x08],
    ['request-sync response', { isRSR: true }, 0x10],
    ['unknown high bits', { extraFlags: 0xe0 }, 0xe0],
  ])('§2.1 packet — flag for %s', (_name, over, flag) => {
    const frame = encodePacket(basePacket(over))
    expect(frame[11]).toBe(flag)
  })

  test('§2.1 packet — timestamps above 2^53 survive', () => {
    const packet = basePacket({ timestamp: 0xffffffffffffffffn })
    expect(decodePacket(encodePacket(packet)).timestamp).toBe(0xffffffffffffffffn)
  })

  test('§2.1 packet — unknown message types decode as raw payloads', () => {
    const packet = basePacket({ type: 0x7e, payload: hex('0102030405') })
    expect(plainPacket(decodePacket(encodePacket(packet)))).toEqual(plainPacket(packet))
  })

  test('§2.1 packet — a v2 route count of 0 decodes as no route and re-encodes byte for byte', () => {
    const frame = hex('02020700000000000000010800000001' + '0102030405060708' + '00' + 'aa')
    const packet = decodePacket(frame)
    expect(packet.route).toEqual([])
    expect(packet.extraFlags).toBe(0x08)
    expect(toHex(encodePacket(packet))).toBe(toHex(frame))
  })

  test('§2.1 packet — HAS_ROUTE on v1 is ignored (no count byte read) and kept for re-encoding', () => {
    const frame = hex('01020700000000000000010800010102030405060708aa')
    const packet = decodePacket(frame)
    expect([...packet.payload]).toEqual([0xaa])
    expect(packet.route).toEqual([])
    expect(toHex(encodePacket(packet))).toBe(toHex(frame))
  })

  test('§2.1 packet — bytes after the signature are ignored', () => {
    const frame = encodePacket(basePacket({ signature: new Uint8Array(64).fill(7) }))
    const extended = new Uint8Array(frame.length + 5)
    extended.set(frame)
    extended.fill(0x33, frame.length)
    expect(plainPacket(decodePacket(extended))).toEqual(plainPacket(decodePacket(frame)))
  })

  test('§2.1 packet — a padded frame decodes to the same packet', () => {
    const packet = basePacket({ type: 0x11, recipientId: new Uint8Array(8).fill(1) })
    const padded = encodePacket(packet, { pad: true })
    expect(padded.length).toBe(256)
    expect(toHex(padded)).toBe(toHex(padFrame(encodePacket(packet))))
    expect(plainPacket(decodePacket(padded))).toEqual(plainPacket(packet))
  })

  test('§2.1 packet — peer IDs are zero-padded or truncated to 8 bytes, as the phones do', () => {
    const frame = encodePacket(basePacket({ senderId: hex('0102'), recipientId: hex('112233445566778899') }))
    const back = decodePacket(frame)
    expect(toHex(back.senderId)).toBe('0102000000000000')
    expect(toHex(back.recipientId!)).toBe('1122334455667788')
  })
})

describe('§2.1 packet — rejections', () => {
  test.each([
    ['version 0', '00', 'version'],
    ['version 3', '03', 'version'],
    ['version 0xff', 'ff', 'version'],
  ])('§2.1 packet — %s is rejected', (_name, versionByte, field) => {
    const frame = encodePacket(basePacket())
    frame[0] = parseInt(versionByte, 16)
    expect(decodeErrorField(() => decodePacket(frame))).toBe(field)
  })

  test('§2.1 packet — a v2 payloadLength above the ceiling is rejected before reading', () => {
    const frame = hex('0202070000000000000000' + '00' + (MAX_PAYLOAD_BYTES + 1).toString(16).padStart(8, '0') + '0102030405060708')
    expect(decodeErrorField(() => decodePacket(frame))).toBe('payloadLength')
  })

  test('§2.1 packet — a payloadLength longer than the frame is rejected (iOS: 193 claimed, 30 present)', () => {
    const frame = hex('010207000000000000000000c1' + '0102030405060708' + '00'.repeat(30))
    expect(decodeErrorField(() => decodePacket(frame))).toBe('payload')
  })

  test.each([
    ['compressed payload shorter than its size prefix', 1, '01', 'originalSize'],
    ['declared size 0', 1, '0000aa', 'originalSize'],
    ['empty DEFLATE body', 1, '0010', 'compressedPayload'],
    ['ratio above the cap', 2, (MAX_COMPRESSION_RATIO * 2 + 1).toString(16).padStart(8, '0') + 'aabb', 'originalSize'],
    ['declared size above the ceiling', 2, (MAX_PAYLOAD_BYTES + 1).toString(16).padStart(8, '0') + 'aa'.repeat(20000), 'originalSize'],
  ])('§2.1 packet — %s is rejected', (_name, version, payloadHex, field) => {
    // Built by hand: encodePacket refuses such payloads, decodePacket must reject them.
    const length = (payloadHex.length / 2).toString(16).padStart(version === 2 ? 8 : 4, '0')
    const frame = hex(`0${version}0207` + '0000000000000001' + '04' + length + '1011121314151617' + payloadHex)
    expect(decodeErrorField(() => decodePacket(frame))).toBe(field)
  })

  test.each([
    ['version 3', basePacket({ version: 3 as 1 }), /version must be 1 or 2, got 3/],
    ['a type of 256', basePacket({ type: 256 }), /type must be a byte, got 256/],
    ['a type of -1', basePacket({ type: -1 }), /type must be a byte/],
    ['a type of 1.5', basePacket({ type: 1.5 }), /type must be a byte/],
    ['a TTL of 256', basePacket({ ttl: 256 }), /ttl must be a byte, got 256/],
    ['a negative timestamp', basePacket({ timestamp: -1n }), /timestamp must fit 64 unsigned bits/],
    ['a 65-bit timestamp', basePacket({ timestamp: 1n << 64n }), /timestamp must fit 64 unsigned bits/],
    ['v1 with a route', basePacket({ route: [new Uint8Array(8)] }), /a route needs a v2 packet/],
    ['256 route hops', basePacket({ version: 2, route: Array.from({ length: 256 }, () => new Uint8Array(8)) }), /route has 256 hops, max 255/],
    ['v1 payload over 65535', basePacket({ payload: new Uint8Array(65_536) }), /payload of 65536 bytes does not fit a v1 length/],
    ['a 63-byte signature', basePacket({ signature: new Uint8Array(63) }), /signature must be 64 bytes/],
    ['a v1 compressed payload of 1 byte', basePacket({ isCompressed: true, payload: new Uint8Array(1) }), /compressed payload lacks its original-size prefix/],
    ['a v2 compressed payload of 3 bytes', basePacket({ version: 2, isCompressed: true, payload: new Uint8Array(3) }), /compressed payload lacks its original-size prefix/],
    ['extraFlags overlapping interpreted bits', basePacket({ extraFlags: 0x02 }), /extraFlags 0x2 overlaps interpreted flags/],
  ])('§2.1 packet — encoding %s is a programmer error', (_name, packet, message) => {
    expect(() => encodePacket(packet)).toThrow(message)
    expect(() => encodePacket(packet)).not.toThrow(DecodeError)
  })

  test.each([
    ['255 route hops', basePacket({ version: 2, route: Array.from({ length: 255 }, () => new Uint8Array(8)) })],
    ['a v1 payload of 65535 bytes', basePacket({ payload: new Uint8Array(65_535) })],
    ['a v2 payload of 65536 bytes', basePacket({ version: 2, payload: new Uint8Array(65_536) })],
    ['a v1 compressed payload of 2 bytes (the size prefix alone)', basePacket({ isCompressed: true, payload: new Uint8Array(2) })],
    ['a v2 compressed payload of 4 bytes', basePacket({ version: 2, isCompressed: true, payload: new Uint8Array(4) })],
    ['type and TTL 255, timestamp 2^64 - 1', basePacket({ type: 255, ttl: 255, timestamp: (1n << 64n) - 1n })],
  ])('§2.1 packet — encoding %s is allowed (the bound itself)', (_name, packet) => {
    expect(encodePacket(packet).length).toBe(encodedPacketLength(packet))
  })

  // v2, recipient, one route hop, 3-byte payload, signature: every field present once.
  const full = encodePacket(basePacket({ version: 2, recipientId: hex('2021222324252627'), route: [hex('3031323334353637')], signature: new Uint8Array(64).fill(9) }))
  test.each([
    [0, 'version'], [1, 'type'], [2, 'ttl'], [3, 'timestamp'], [10, 'timestamp'], [11, 'flags'], [12, 'payloadLength'],
    [15, 'payloadLength'], [16, 'senderId'], [23, 'senderId'], [24, 'recipientId'], [32, 'routeCount'], [33, 'route'],
    [41, 'payload'], [43, 'payload'], [44, 'signature'], [full.length - 1, 'signature'],
  ])('§2.1 packet — a v2 frame cut to %i bytes names %s', (length, field) => {
    expect(decodeErrorField(() => decodePacket(full.subarray(0, length)))).toBe(field)
  })

  test('§2.1 packet — a v1 frame cut inside its 2-byte payloadLength names it', () => {
    expect(decodeErrorField(() => decodePacket(encodePacket(basePacket()).subarray(0, 13)))).toBe('payloadLength')
  })

  test.each([
    [MAX_PAYLOAD_BYTES, true],
    [MAX_PAYLOAD_BYTES + 1, false],
  ])('§2.1 packet — a whole frame carrying %i payload bytes: decoded and peeked = %s', (length, accepted) => {
    const frame = encodePacket(basePacket({ version: 2, payload: new Uint8Array(length) }))
    expect(peekHeader(frame, emptyFrameHeader())).toBe(accepted)
    if (accepted) expect(decodePacket(frame).payload.length).toBe(length)
    else expect(decodeErrorField(() => decodePacket(frame))).toBe('payloadLength')
  })
})

describe('§2.1 packet — properties', () => {
  test('§2.1 packet — encoding into a dirty buffer of ours gives the bytes of a fresh encode, padded or not', () => {
    const into = new Uint8Array(2048)
    fc.assert(fc.property(packetArb(), fc.boolean(), fc.integer({ min: 1, max: 8 }), (arb, pad, idBytes) => {
      // Short IDs are zero-padded on the wire: the bytes under them must not be the buffer's old ones.
      const packet = { ...arb, senderId: arb.senderId.subarray(0, idBytes) }
      into.fill(0xa5)
      const fresh = encodePacket(packet, { pad })
      expect(toHex(encodePacket(packet, { pad, into }))).toBe(toHex(fresh))
    }), fcOptions(2_000))
  })

  test('§2.1 packet — decode(encode(p)) = p and re-encodes byte for byte', () => {
    fc.assert(fc.property(packetArb(), (packet) => {
      const frame = encodePacket(packet)
      const back = decodePacket(frame)
      expect(packetSignature(back)).toBe(packetSignature(packet))
      expect(toHex(encodePacket(back))).toBe(toHex(frame))
    }), fcOptions(10_000))
  })

  test('§2.1 packet — padded frames decode to the same packet', () => {
    fc.assert(fc.property(packetArb(), (packet) => {
      expect(packetSignature(decodePacket(encodePacket(packet, { pad: true })))).toBe(packetSignature(packet))
    }), fcOptions(10_000))
  })

  test('§2.1 packet — a padded encoding is byte for byte padFrame of the unpadded one (written in place)', () => {
    fc.assert(fc.property(packetArb(), (packet) => {
      expect(toHex(encodePacket(packet, { pad: true }))).toBe(toHex(padFrame(encodePacket(packet))))
    }), fcOptions(10_000))
  })

  test('§2.1 packet — every strict prefix of an unpadded frame is rejected with DecodeError', () => {
    fc.assert(fc.property(packetArb(80), (packet) => {
      const frame = encodePacket(packet)
      for (let n = 0; n < frame.length; n++) {
        let caught: unknown
        try { decodePacket(frame.subarray(0, n)) } catch (e) { caught = e }
        if (!(caught instanceof DecodeError)) throw new Error(`prefix of ${n}/${frame.length} bytes was not rejected with DecodeError`)
      }
    }), fcOptions(500))
  })

  test('§2.1 packet — a padded frame cut inside its padding still decodes (the phones ignore trailing bytes); cut earlier it is rejected', () => {
    const packet = basePacket({ type: 0x11, signature: new Uint8Array(64).fill(9) })
    const core = encodePacket(packet)
    const padded = encodePacket(packet, { pad: true })
    expect(padded.length).toBeGreaterThan(core.length)
    for (let n = 0; n < padded.length; n++) {
      const cut = padded.subarray(0, n)
      if (n >= core.length) expect(plainPacket(decodePacket(cut))).toEqual(plainPacket(packet))
      else expect(() => decodePacket(cut)).toThrow(DecodeError)
    }
  })

  test('§2.1 packet — peekHeader accepts only frames decodePacket decodes raw, and finds the same fields', () => {
    // Valid frames (padded or not), then the same with a few bytes changed or cut: the header peek must
    // never claim a frame the decoder would refuse or read differently.
    const frameArb = fc.tuple(packetArb(60), fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat())
    fc.assert(fc.property(frameArb, ([packet, pad, edits, cut]) => {
      const frame = encodePacket(packet, { pad }).slice()
      for (const [at, value] of edits) frame[at % frame.length] = value
      const bytes = edits.length > 0 && cut % 3 === 0 ? frame.subarray(0, cut % (frame.length + 1)) : frame
      const h = emptyFrameHeader()
      const peeked = peekHeader(bytes, h)
      if (edits.length === 0 && bytes === frame) expect(peeked).toBe(!packet.isCompressed)
      if (!peeked) return
      const p = decodePacket(bytes)
      expect(p.isCompressed).toBe(false)
      expect([h.type, h.ttl, (BigInt(h.timestampHi) << 32n) | BigInt(h.timestampLo)]).toEqual([p.type, p.ttl, p.timestamp])
      expect(bytes.subarray(h.senderAt, h.senderAt + 8)).toEqual(p.senderId)
      expect(bytes.subarray(h.payloadAt, h.payloadAt + h.payloadLength)).toEqual(p.payload)
      expect((h.flags & 0x10) !== 0).toBe(p.isRSR)
    }), fcOptions(10_000))
  })

  test('§2.1 packet — peekHeader refuses what is not a whole frame', () => {
    const frame = encodePacket(basePacket({ signature: new Uint8Array(64).fill(1) }))
    const h = emptyFrameHeader()
    expect(peekHeader(frame, h)).toBe(true)
    for (const bytes of [new Uint8Array(0), frame.subarray(0, 20), frame.subarray(0, frame.length - 1), Uint8Array.of(3, ...frame.subarray(1))]) {
      expect(peekHeader(bytes, h)).toBe(false)
    }
  })

  test('§2.1 packet — payloadOffset finds the payload the decoder reads, compressed or not', () => {
    fc.assert(fc.property(packetArb(60), (packet) => {
      const frame = encodePacket(packet)
      const at = payloadOffset(frame)
      const wire = decodePacket(frame)
      const declared = packet.version === 2 ? new DataView(frame.buffer, frame.byteOffset).getUint32(12) : (frame[12]! << 8) | frame[13]!
      // Payload (as sent: a compressed one with its size prefix), then the signature, end the frame.
      expect(at + declared + (wire.signature === null ? 0 : 64)).toBe(frame.length)
      if (!packet.isCompressed) expect(frame.subarray(at, at + declared)).toEqual(wire.payload)
    }), fcOptions(10_000))
  })

  test('§2.1 packet — payloadOffset is -1 when the bytes end before the fields it reads (through the route count)', () => {
    const frame = encodePacket(basePacket({ version: 2, recipientId: new Uint8Array(8), route: [new Uint8Array(8)] }))
    const at = payloadOffset(frame)
    expect(at).toBe(12 + 4 + 8 + 8 + 1 + 8)
    for (let n = 0; n < at; n++) expect(payloadOffset(frame.subarray(0, n))).toBe(n <= 32 ? -1 : at)
  })

  test.each([
    ['plain message', encodePacket(basePacket({})), MessageType.message],
    ['announce', encodePacket(basePacket({ type: MessageType.announce })), MessageType.announce],
    ['v1 fragment of a message', fragmentOf(MessageType.message), MessageType.message],
    ['fragment with recipient', fragmentOf(MessageType.noiseEncrypted, { recipientId: new Uint8Array(8).fill(2) }), MessageType.noiseEncrypted],
    ['v2 routed fragment', fragmentOf(MessageType.fileTransfer, { version: 2, recipientId: new Uint8Array(8).fill(2), route: [new Uint8Array(8).fill(3), new Uint8Array(8).fill(4)] }), MessageType.fileTransfer],
    ['fragment cut before its type byte', fragmentOf(MessageType.message).subarray(0, 14 + 8 + 12), -1],
    ['unknown version fragment', Uint8Array.of(3, MessageType.fragment, ...new Uint8Array(40)), -1],
    ['one byte', new Uint8Array([1]), -1],
    ['two bytes: the type byte is there', Uint8Array.of(1, MessageType.announce), MessageType.announce],
  ])('§3 packet — carriedType of %s', (_name, frame, type) => {
    expect(carriedType(frame)).toBe(type)
  })

  test('§2.1 packet — a frame that decodes with its PKCS#7 padding stripped (the phones try both) decodes raw to the same packet', () => {
    // Why decodePacket reads the raw bytes only: a frame whose unpadded bytes decode decodes raw, to the
    // same packet, so trying both (in either order) accepts exactly what the raw attempt accepts.
    const outcome = (bytes: Uint8Array): unknown => {
      try { return plainPacket(decodePacket(bytes)) } catch (e) { return e instanceof DecodeError ? 'rejected' : e }
    }
    const framesArb = fc.oneof(
      fc.tuple(packetArb(60), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat())
        .map(([packet, edits, cut]) => {
          const frame = encodePacket(packet, { pad: true }).slice()
          for (const [at, value] of edits) frame[at % frame.length] = value
          return frame.subarray(0, frame.length - (cut % 4 === 0 ? cut % frame.length : 0))
        }),
      fc.uint8Array({ maxLength: 300 }),
    )
    let unpadded = 0
    fc.assert(fc.property(framesArb, (bytes) => {
      const stripped = unpadFrame(bytes)
      if (stripped === null) return
      const decoded = outcome(stripped)
      if (decoded === 'rejected') return
      unpadded++
      expect(outcome(bytes)).toEqual(decoded)
    }), fcOptions(10_000))
    expect(unpadded).toBeGreaterThan(500)
  })

  test('§2.1 packet — arbitrary bytes never throw anything but DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      try { decodePacket(bytes) } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(10_000))
  })

  test('§2.1 packet — mutated valid frames never throw anything but DecodeError', () => {
    fc.assert(fc.property(packetArb(60), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (packet, edits) => {
      const frame = encodePacket(packet).slice()
      for (const [at, value] of edits) frame[at % frame.length] = value
      try {
        const back = decodePacket(frame)
        encodePacket(back) // whatever decodes must be encodable
      } catch (e) { expect(e).toBeInstanceOf(DecodeError) }
    }), fcOptions(5_000))
  })
})
