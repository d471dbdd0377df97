// What a frame on a link is for, read from its header without decoding it (the link model must stay cheap):
// the type byte, and for a fragment the original type inside its payload (bitchat-protocol.md §2.1, §3).
import { MessageType } from '../src/wire/packet-types.js'

const V1_HEADER_BYTES = 14
const V2_HEADER_BYTES = 16
const SENDER_BYTES = 8
const RECIPIENT_BYTES = 8
const HAS_RECIPIENT = 0x01
const HAS_ROUTE = 0x08
/** Offset of originalType in a fragment payload (8-byte ID, 2-byte index, 2-byte total). */
const FRAGMENT_ORIGINAL_TYPE_OFFSET = 12

/** The type a frame carries: its own type byte, or for a fragment (0x20) the original packet's type; -1 if unreadable. */
export function carriedType (frame: Uint8Array): number {
  if (frame.length < 2) return -1
  const type = frame[1]!
  if (type !== MessageType.fragment) return type
  const version = frame[0]
  if (frame.length < V2_HEADER_BYTES) return -1
  const flags = frame[11]!
  let offset = (version === 2 ? V2_HEADER_BYTES : V1_HEADER_BYTES) + SENDER_BYTES
  if ((flags & HAS_RECIPIENT) !== 0) offset += RECIPIENT_BYTES
  if (version === 2 && (flags & HAS_ROUTE) !== 0) {
    if (offset >= frame.length) return -1
    offset += 1 + SENDER_BYTES * frame[offset]!
  }
  offset += FRAGMENT_ORIGINAL_TYPE_OFFSET
  return offset < frame.length ? frame[offset]! : -1
}

/** Application payload rather than control: public and private messages, files, voice, courier envelopes. */
export function isApplicationType (type: number): boolean {
  return type === MessageType.message || type === MessageType.noiseEncrypted || type === MessageType.fileTransfer ||
    type === MessageType.voiceFrame || type === MessageType.courierEnvelope
}
