// The plaintext of a Noise transport message: one type byte, then that type's data (bitchat-protocol.md §5.2).
import { DecodeError } from './decode-error.js'

/** [iOS] Protocols/BitchatProtocol.swift NoisePayloadType; [AND] model/NoiseEncrypted.kt. */
export const NoisePayloadType = {
  privateMessage: 0x01,
  readReceipt: 0x02,
  delivered: 0x03,
  groupInvite: 0x06,
  groupKeyUpdate: 0x07,
  voiceFrame: 0x08,
  verifyChallenge: 0x10,
  verifyResponse: 0x11,
  vouch: 0x12,
  privateFile: 0x20,
  authenticatedPeerState: 0x21,
} as const

/** Prerelease code for privateFile; both phones still read it ([AND] ClientRewriteWireContractTest: 09 → 20). */
export const PRIVATE_FILE_PRERELEASE_TYPE = 0x09

export interface NoisePayload {
  /** Unknown types are kept as numbers (the phones ignore them; a caller may too). */
  type: number
  /** View into the decoded bytes. */
  data: Uint8Array
}

export function encodeNoisePayload (payload: NoisePayload): Uint8Array {
  if (!Number.isInteger(payload.type) || payload.type < 0 || payload.type > 0xff) throw new Error(`type: ${payload.type} is not a byte`)
  const out = new Uint8Array(1 + payload.data.length)
  out[0] = payload.type
  out.set(payload.data, 1)
  return out
}

/** Decodes the type byte; 0x09 is read as privateFile (0x20), so it re-encodes as 0x20 like the phones. */
export function decodeNoisePayload (plaintext: Uint8Array): NoisePayload {
  if (plaintext.length === 0) throw new DecodeError('type', 'empty Noise payload')
  const raw = plaintext[0]!
  return { type: raw === PRIVATE_FILE_PRERELEASE_TYPE ? NoisePayloadType.privateFile : raw, data: plaintext.subarray(1) }
}
