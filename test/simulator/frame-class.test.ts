import { describe, expect, test } from 'vitest'
import { carriedType, isApplicationType } from '../../simulator/frame-class.js'
import { encodeFragment } from '../../src/wire/fragment.js'
import { encodePacket } from '../../src/wire/packet.js'
import { MessageType, type Packet } from '../../src/wire/packet-types.js'

function packet (over: Partial<Packet>): Packet {
  return { version: 1, type: MessageType.message, ttl: 7, timestamp: 1n, senderId: new Uint8Array(8).fill(1), recipientId: null, route: [], payload: new Uint8Array([1, 2, 3]), isCompressed: false, isRSR: false, signature: null, ...over }
}

function fragmentOf (originalType: number, over: Partial<Packet> = {}): Uint8Array {
  const payload = encodeFragment({ fragmentId: new Uint8Array(8).fill(9), index: 0, total: 2, originalType, data: new Uint8Array([5, 5, 5]) })
  return encodePacket(packet({ type: MessageType.fragment, payload, ...over }))
}

describe('carriedType', () => {
  test.each([
    ['plain message', encodePacket(packet({})), MessageType.message],
    ['announce', encodePacket(packet({ type: MessageType.announce })), MessageType.announce],
    ['v1 fragment of a message', fragmentOf(MessageType.message), MessageType.message],
    ['fragment with recipient', fragmentOf(MessageType.noiseEncrypted, { recipientId: new Uint8Array(8).fill(2) }), MessageType.noiseEncrypted],
    ['v2 routed fragment', fragmentOf(MessageType.fileTransfer, { version: 2, recipientId: new Uint8Array(8).fill(2), route: [new Uint8Array(8).fill(3), new Uint8Array(8).fill(4)] }), MessageType.fileTransfer],
    ['truncated', new Uint8Array([1]), -1],
  ])('carriedType — %s', (_name, frame, type) => {
    expect(carriedType(frame)).toBe(type)
  })

  test('isApplicationType — messages, private and file traffic are application; announces and sync are control', () => {
    expect([MessageType.message, MessageType.noiseEncrypted, MessageType.fileTransfer].every(isApplicationType)).toBe(true)
    expect([MessageType.announce, MessageType.leave, MessageType.noiseHandshake, MessageType.requestSync].some(isApplicationType)).toBe(false)
  })
})
