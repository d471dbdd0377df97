// Which peer is on the other end of a link, learned the way iOS does it: an announce that arrives with
// TTL 7 was sent by the neighbour itself ([iOS] BLEAnnounceHandler `isDirectAnnounce = packet.ttl ==
// messageTTL`, bitchat-protocol.md §4.1). The transport peeks at inbound frames until it knows, so it can
// collapse double links even when the node does not tell it. A verifier (signature and key binding) may
// be supplied; without one the sender ID is taken as claimed, which can at worst close the claimant's link.
import { DecodeError } from '../src/wire/decode-error.js'
import { decodePacket } from '../src/wire/packet.js'
import { MessageType, type Packet } from '../src/wire/packet-types.js'

/** [iOS] TransportConfig `messageTTLDefault`: the TTL an announce leaves its sender with. */
export const DIRECT_ANNOUNCE_TTL = 7

export type AnnounceVerifier = (packet: Packet) => boolean

/** The sender's peer ID (16 lowercase hex) when the frame is a direct announce that passes `verify`. */
export function directAnnounceSender (frame: Uint8Array, verify?: AnnounceVerifier): string | null {
  let packet: Packet
  try {
    packet = decodePacket(frame)
  } catch (error) {
    if (error instanceof DecodeError) return null
    throw error
  }
  if (packet.type !== MessageType.announce || packet.ttl !== DIRECT_ANNOUNCE_TTL) return null
  if (verify !== undefined && !verify(packet)) return null
  return Buffer.from(packet.senderId).toString('hex')
}
