import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { sha256 } from '@noble/hashes/sha2.js'
import { fragmentFrame, fragmentIdFor, frameLimit, chunkSize, ANDROID_MAX_FRAME_BYTES, MIN_CHUNK_BYTES } from '../../src/mesh/fragmenter.js'
import { Reassembler } from '../../src/mesh/reassembler.js'
import { decodeFragment } from '../../src/wire/fragment.js'
import { decodePacket, encodePacket, TTL_AT } from '../../src/wire/packet.js'
import { MessageType, type Packet } from '../../src/wire/packet-types.js'
import { fcOptions } from '../wire/fc.js'

function original (payloadLength: number, over: Partial<Packet> = {}): Packet {
  return {
    version: 1, type: MessageType.message, ttl: 6, timestamp: 1_700_000_000_123n, senderId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
    recipientId: null, route: [], payload: Uint8Array.from({ length: payloadLength }, (_, i) => i & 0xff),
    isCompressed: false, isRSR: false, signature: new Uint8Array(64).fill(7), ...over,
  }
}

describe('fragmenter', () => {
  const base = encodePacket(original(300))
  const edited = (edit: (g: Uint8Array) => void): Uint8Array => { const g = base.slice(); edit(g); return g }
  test.each<[string, Uint8Array, number, boolean]>([
    ['the same frame', base, 150, true],
    ['the frame at another TTL', edited(g => { g[TTL_AT] = 2 }), 150, true],
    ['the frame cut into other chunks', base, 151, false],
    ['another byte of payload', edited(g => { g[g.length - 1]! ^= 1 }), 150, false],
    ['another sender', encodePacket(original(300, { senderId: new Uint8Array(8).fill(4) })), 150, false],
  ])('fragmentIdFor — %s: same ID %s', (_, frame, chunk, same) => {
    const crypto = { sha256: (d: Uint8Array) => sha256(d) }
    const id = fragmentIdFor(crypto, base, 150)
    expect(id.length).toBe(8)
    expect(Buffer.from(fragmentIdFor(crypto, frame, chunk)).equals(Buffer.from(id))).toBe(same)
  })

  test('fragmenter — the frame limit is the MTU, never above Android\'s 512', () => {
    expect(frameLimit(185)).toBe(185)
    expect(frameLimit(514)).toBe(ANDROID_MAX_FRAME_BYTES)
  })

  test('fragmenter — every fragment fits the limit, copies the header fields and reassembles to the frame', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 60, max: 600 }), fc.boolean(), fc.boolean(),
      (n, mtu, withRecipient, withRoute) => {
        const p = original(n, {
          recipientId: withRecipient ? new Uint8Array(8).fill(9) : null,
          version: withRoute ? 2 : 1,
          route: withRoute ? [new Uint8Array(8).fill(3), new Uint8Array(8).fill(4)] : [],
        })
        fc.pre(withRoute || n <= 0xffff)
        const frame = encodePacket(p)
        const limit = frameLimit(mtu)
        const fragments = fragmentFrame(frame, p, limit, new Uint8Array(8).fill(0xaa))
        if (fragments === null) {
          const chunk = chunkSize(p, limit)
          expect(chunk < MIN_CHUNK_BYTES || Math.ceil(frame.length / chunk) > 256).toBe(true)
          return
        }
        const r = new Reassembler()
        let out: Uint8Array | null | string = null
        for (const f of fragments) {
          expect(f.length).toBeLessThanOrEqual(limit)
          const fp = decodePacket(f)
          expect(fp.type).toBe(MessageType.fragment)
          expect(fp.version).toBe(withRoute ? 2 : 1)
          expect([fp.ttl, fp.timestamp, [...fp.senderId]]).toEqual([p.ttl, p.timestamp, [...p.senderId]])
          expect(fp.recipientId === null ? null : [...fp.recipientId]).toEqual(p.recipientId === null ? null : [...p.recipientId])
          expect(fp.route.map(h => [...h])).toEqual(p.route.map(h => [...h]))
          expect(fp.signature).toBeNull()
          const header = decodeFragment(fp.payload)
          expect(header.originalType).toBe(MessageType.message)
          out = r.add('s', header, 0)
        }
        expect(out).toEqual(frame)
      }), fcOptions(150))
  })

  test('fragmenter — refuses when more than 256 fragments would be needed or the MTU is too small', () => {
    const p = original(60_000)
    expect(fragmentFrame(encodePacket(p), p, 200, new Uint8Array(8))).toBeNull()
    const small = original(100)
    expect(fragmentFrame(encodePacket(small), small, 40, new Uint8Array(8))).toBeNull()
  })
})
