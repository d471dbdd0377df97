// The checks both phones make before believing an announce (bitchat-protocol.md §5.1; [iOS]
// BLEAnnounceHandlingPolicy.swift, [AND] AnnouncementIdentityValidator.kt): the TLV decodes, the sender ID
// is the hash of the announced Noise key, and the signature verifies against the announced Ed25519 key.
// Those three make an announce self-consistent; whether to trust a *changed* key for a known peer (TOFU
// pinning, step 4) is the peer table's decision, not this function's.
import { equalBytes } from '@noble/ciphers/utils.js'
import { type Announce, decodeAnnounce } from '../wire/announce.js'
import { type Deflater, decompressPayload } from '../wire/compression.js'
import { DecodeError } from '../wire/decode-error.js'
import { MessageType, type Packet } from '../wire/packet-types.js'
import { peerIdFromNoiseKey } from './identity.js'
import type { CryptoProvider } from './provider.js'
import { verifyPacket } from './signing.js'

export type AnnounceRejection = 'decode' | 'peer-id' | 'signature' | 'unsigned'

export type AnnounceAcceptance =
  | { ok: true, announce: Announce, noisePublicKey: Uint8Array, signingPublicKey: Uint8Array }
  | { ok: false, reason: AnnounceRejection }

/**
 * Checks an announce packet in the phones' order: decode, peer-ID binding, signature. An announce whose
 * payload arrived compressed needs `inflater` (the signature covers the compressed bytes; the TLV is read
 * from the inflated ones); without one it is rejected as 'decode'. Passing a packet of another type is a
 * programmer error.
 */
export function acceptAnnounce (crypto: CryptoProvider, packet: Packet, inflater?: Deflater): AnnounceAcceptance {
  if (packet.type !== MessageType.announce) throw new Error(`acceptAnnounce given a packet of type 0x${packet.type.toString(16)}`)
  let announce: Announce
  try {
    if (packet.isCompressed && inflater === undefined) return { ok: false, reason: 'decode' }
    announce = decodeAnnounce(inflater === undefined ? packet.payload : decompressPayload(packet, inflater))
  } catch (error) {
    if (error instanceof DecodeError) return { ok: false, reason: 'decode' }
    throw error
  }
  // The sender ID on the frame is raw bytes the encoder zero-pads or truncates to 8; compare exactly 8.
  const expected = peerIdFromNoiseKey(crypto, announce.noisePublicKey)
  if (!equalBytes(expected, packet.senderId)) return { ok: false, reason: 'peer-id' }
  if (packet.signature === null) return { ok: false, reason: 'unsigned' }
  if (!verifyPacket(crypto, announce.signingPublicKey, packet)) return { ok: false, reason: 'signature' }
  return { ok: true, announce, noisePublicKey: announce.noisePublicKey, signingPublicKey: announce.signingPublicKey }
}
