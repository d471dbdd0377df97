// Bitchat packet model (../shared/research/bitchat-protocol.md §2). Shared by the codec, signing and router.

export const MessageType = {
  announce: 0x01,
  message: 0x02,
  leave: 0x03,
  courierEnvelope: 0x04,
  noiseHandshake: 0x10,
  noiseEncrypted: 0x11,
  fragment: 0x20,
  requestSync: 0x21,
  fileTransfer: 0x22,
  voiceFrame: 0x29,
} as const

export const PacketFlag = {
  hasRecipient: 0x01,
  hasSignature: 0x02,
  isCompressed: 0x04,
  hasRoute: 0x08,
  isRSR: 0x10,
} as const

export const PEER_ID_BYTES = 8
export const SIGNATURE_BYTES = 64
/** Recipient FF×8: Android addresses public messages to it; iOS leaves the recipient out. */
export const BROADCAST_RECIPIENT = new Uint8Array(8).fill(0xff)

export interface Packet {
  version: 1 | 2
  type: number
  ttl: number
  /** Milliseconds since the Unix epoch, UInt64 on the wire. */
  timestamp: bigint
  senderId: Uint8Array
  recipientId: Uint8Array | null
  /** v2 only: intermediate hops, 8 bytes each. */
  route: Uint8Array[]
  /** Bytes as on the wire: when compressed, the original-size prefix followed by the DEFLATE bytes. */
  payload: Uint8Array
  isCompressed: boolean
  isRSR: boolean
  signature: Uint8Array | null
  /**
   * Flag bits this codec does not interpret (0x20..0x80), and 0x08 on v1 frames or with an empty route,
   * kept so a relayed frame re-encodes byte for byte.
   */
  extraFlags?: number
}
