// Splits a frame that a link cannot take in one write into type-0x20 fragments (bitchat-protocol.md §3):
// 13-byte header, chunks sized so each fragment frame fits the link, the original's sender, timestamp,
// TTL, recipient and route copied, version 2 only when a route is carried, never signed.
import type { CryptoProvider } from '../crypto/provider.js'
import { encodeFragment, FRAGMENT_HEADER_BYTES, FRAGMENT_ID_BYTES } from '../wire/fragment.js'
import { encodedPacketLength, encodePacket, TTL_AT, TYPE_AT } from '../wire/packet.js'
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
 * The fragment ID for `frame` cut into `chunk`-byte pieces: SHA-256 of the chunk size and the frame with
 * its TTL byte zeroed, first 8 bytes. The phones draw the ID at random, so every relay that has to split a
 * packet for a smaller link starts a stream of its own, and each stream floods the mesh as fragments: in a
 * half-iOS, half-Android mesh a 400-byte message cost `flood` 57 frames per node, against 16 when every
 * link is iOS-sized. Derived IDs make every relay that splits the same bytes the same way send the same
 * stream, which downstream fragment dedup merges. Only our own streams change; the phones' random IDs are
 * relayed as they come. The cost: anyone who saw the whole frame can predict the stream and plant a bad
 * fragment ahead of it — with random IDs they must first see fragment 0 on the air, 30 ms before the rest.
 */
export function fragmentIdFor (crypto: Pick<CryptoProvider, 'sha256'>, frame: Uint8Array, chunk: number): Uint8Array {
  const input = new Uint8Array(2 + frame.length)
  input[0] = chunk >>> 8
  input[1] = chunk & 0xff
  input.set(frame, 2)
  input[2 + TTL_AT] = 0
  return crypto.sha256(input).slice(0, FRAGMENT_ID_BYTES)
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
