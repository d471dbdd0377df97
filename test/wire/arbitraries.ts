// fast-check generators for wire values, shared by the wire test files.
import fc from 'fast-check'
import type { Packet } from '../../src/wire/packet-types.js'
import { MAX_COMPRESSION_RATIO } from '../../src/wire/limits.js'

const id8 = fc.uint8Array({ minLength: 8, maxLength: 8 })

/** A packet in canonical form: what decodePacket returns for the frame encodePacket makes of it. */
export function packetArb (maxPayload = 300): fc.Arbitrary<Packet> {
  return fc.record({
    version: fc.constantFrom<1 | 2>(1, 2),
    type: fc.integer({ min: 0, max: 255 }),
    ttl: fc.integer({ min: 0, max: 255 }),
    timestamp: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    senderId: id8,
    recipientId: fc.option(id8, { nil: null }),
    route: fc.array(id8, { maxLength: 4 }),
    body: fc.uint8Array({ minLength: 1, maxLength: maxPayload }),
    isCompressed: fc.boolean(),
    sizeSeed: fc.nat(),
    isRSR: fc.boolean(),
    signature: fc.option(fc.uint8Array({ minLength: 64, maxLength: 64 }), { nil: null }),
    unknownFlags: fc.integer({ min: 0, max: 7 }).map((n) => n << 5),
    emptyRouteFlag: fc.boolean(),
  }).map((r) => {
    const route = r.version === 2 ? r.route : []
    let payload = r.body
    if (r.isCompressed) {
      const width = r.version === 2 ? 4 : 2
      const maxSize = Math.min(r.body.length * MAX_COMPRESSION_RATIO, width === 2 ? 0xffff : 10_485_760)
      const size = 1 + (r.sizeSeed % maxSize)
      payload = new Uint8Array(width + r.body.length)
      if (width === 4) new DataView(payload.buffer).setUint32(0, size)
      else new DataView(payload.buffer).setUint16(0, size)
      payload.set(r.body, width)
    } else if (r.sizeSeed % 5 === 0) {
      payload = new Uint8Array(0)
    }
    const extraFlags = r.unknownFlags | (route.length === 0 && r.emptyRouteFlag ? 0x08 : 0)
    const packet: Packet = {
      version: r.version,
      type: r.type,
      ttl: r.ttl,
      timestamp: r.timestamp,
      senderId: r.senderId,
      recipientId: r.recipientId,
      route,
      payload,
      isCompressed: r.isCompressed,
      isRSR: r.isRSR,
      signature: r.signature,
    }
    if (extraFlags !== 0) packet.extraFlags = extraFlags
    return packet
  })
}

/** Deep-copies a packet so views into a frame compare by content. */
export function plainPacket (p: Packet): Record<string, unknown> {
  return {
    ...p,
    senderId: [...p.senderId],
    recipientId: p.recipientId === null ? null : [...p.recipientId],
    route: p.route.map((h) => [...h]),
    payload: [...p.payload],
    signature: p.signature === null ? null : [...p.signature],
  }
}

/** One string per packet (hex for bytes), for fast equality in high-run properties. */
export function packetSignature (p: Packet): string {
  const h = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
  return [
    p.version, p.type, p.ttl, p.timestamp, h(p.senderId), p.recipientId === null ? '-' : h(p.recipientId),
    p.route.map(h).join('.'), h(p.payload), p.isCompressed, p.isRSR, p.signature === null ? '-' : h(p.signature), p.extraFlags ?? 0,
  ].join('|')
}
