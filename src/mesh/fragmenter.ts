// Splits a frame that a link cannot take in one write into type-0x20 fragments (bitchat-protocol.md §3):
// 13-byte header, chunks sized so each fragment frame fits the link, the original's sender, timestamp,
// TTL, recipient and route copied, version 2 only when a route is carried, never signed.
import { encodeFragment, FRAGMENT_HEADER_BYTES } from '../wire/fragment.js'
import { encodedPacketLength, encodePacket, TYPE_AT } from '../wire/packet.js'
import { MessageType, type Packet } from '../wire/packet-types.js'
import { MAX_FRAGMENTS } from './reassembler.js'

/**
 * [AND] AppConstants.Fragmentation.FRAGMENT_SIZE_THRESHOLD: Android fragments anything above 512 bytes and
 * ignores the negotiated MTU, so we never send it a larger frame either.
 */
export const ANDROID_MAX_FRAME_BYTES = 512
/** Our floor: below this a chunk carries less than its own headers and a link that small is useless. */
export const MIN_CHUNK_BYTES = 16

/** The largest frame we put on a link: its MTU, and never above what Android receivers take. */
export function frameLimit (mtu: number): number {
  return Math.min(mtu, ANDROID_MAX_FRAME_BYTES)
}

const EMPTY = new Uint8Array(0)

/** The fragment packet's header fields, taken from the packet whose frame is being split. */
function fragmentShell (original: Packet): Packet {
  return {
    version: original.route.length > 0 ? 2 : 1,
    type: MessageType.fragment,
    ttl: original.ttl,
    timestamp: original.timestamp,
    senderId: original.senderId,
    recipientId: original.recipientId,
    route: original.route,
    payload: EMPTY,
    isCompressed: false,
    isRSR: false,
    signature: null,
  }
}

/** Chunk bytes per fragment so every fragment frame of `original` is ≤ `limit`; ≤ 0 when impossible. */
export function chunkSize (original: Packet, limit: number): number {
  return limit - encodedPacketLength(fragmentShell(original)) - FRAGMENT_HEADER_BYTES
}

/**
 * The fragment frames for `frame` (the encoded `original`, padded or not, with its TTL as it should
 * leave), or null when it cannot be split within MAX_FRAGMENTS at this limit.
 */
export function fragmentFrame (frame: Uint8Array, original: Packet, limit: number, fragmentId: Uint8Array, maxFragments = MAX_FRAGMENTS): Uint8Array[] | null {
  const chunk = chunkSize(original, limit)
  if (chunk < MIN_CHUNK_BYTES) return null
  const total = Math.ceil(frame.length / chunk)
  if (total > maxFragments) return null
  const shell = fragmentShell(original)
  const originalType = frame[TYPE_AT]!
  const out = new Array<Uint8Array>(total)
  for (let index = 0; index < total; index++) {
    const data = frame.subarray(index * chunk, Math.min(frame.length, (index + 1) * chunk))
    shell.payload = encodeFragment({ fragmentId, index, total, originalType, data })
    out[index] = encodePacket(shell)
  }
  return out
}
