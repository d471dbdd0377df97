// A minimal announce-shaped frame (unsigned zero signature) for tests that only look at type, TTL and sender.
import { encodePacket } from '../../src/wire/packet.js'
import { MessageType, type Packet } from '../../src/wire/packet-types.js'

export function announceFrame (senderHex: string, ttl = 7, type: number = MessageType.announce, pad = false): Uint8Array {
  const packet: Packet = {
    version: 1, type, ttl, timestamp: 1_700_000_000_000n, senderId: Buffer.from(senderHex, 'hex'), recipientId: null,
    route: [], payload: new Uint8Array([1, 2, 3]), isCompressed: false, isRSR: false, signature: new Uint8Array(64),
  }
  return encodePacket(packet, { pad })
}
