// The packet ID gossip sync compares (bitchat-protocol.md §7.3; [iOS] Sync/PacketIdUtil.swift, [AND]
// sync/PacketIdUtil.kt): the first 16 bytes of SHA-256(type || senderID || timestamp (u64 BE) || payload).
// TTL, route, recipient, flags and signature are left out, so every relayed copy of a packet has one ID.
import type { CryptoProvider } from '../crypto/provider.js'

export const PACKET_ID_BYTES = 16

export function packetId (crypto: CryptoProvider, type: number, senderId: Uint8Array, timestamp: bigint, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new Error('type: must be a byte')
  // Decoded packets always carry 8; another length would hash to an ID no phone computes.
  if (senderId.length !== 8) throw new Error('senderId: must be 8 bytes')
  if (timestamp < 0n || timestamp > 0xffff_ffff_ffff_ffffn) throw new Error('timestamp: must fit 64 bits')
  const preimage = new Uint8Array(17 + payload.length)
  preimage[0] = type
  preimage.set(senderId, 1)
  new DataView(preimage.buffer).setBigUint64(9, timestamp)
  preimage.set(payload, 17)
  return crypto.sha256(preimage).slice(0, PACKET_ID_BYTES)
}
