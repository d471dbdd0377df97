// The outer Bitchat frame, v1 and v2 (bitchat-protocol.md §2.1). Byte-exact both ways: a decoded frame
// re-encodes to the same bytes (up to trailing bytes and padding), because relays and signature checks
// depend on it. Payloads are carried as on the wire (compressed bytes stay compressed); the payload
// formats have their own codecs.
import { DecodeError } from './decode-error.js'
import { checkCompressedBounds } from './compression.js'
import { MAX_PAYLOAD_BYTES } from './limits.js'
import { paddedLength } from './padding.js'
import { FRAGMENT_ORIGINAL_TYPE_AT } from './fragment.js'
import { MessageType, PEER_ID_BYTES, PacketFlag, SIGNATURE_BYTES, type Packet } from './packet-types.js'
import { ByteReader, ByteWriter, u32At } from './reader.js'

/** version(1) type(1) ttl(1) timestamp(8) flags(1): the part both versions share. [iOS] BinaryProtocol.swift. */
const COMMON_HEADER_BYTES = 12
/** Where the type byte sits in every frame: queues and relays read it without decoding. */
export const TYPE_AT = 1
/** Where the TTL byte sits in every frame: relays rewrite it in place, the only byte a relay changes. */
export const TTL_AT = 2
const FLAGS_AT = 11
/** v1 carries payloadLength (and a compressed payload's original size) in 2 bytes, v2 in 4 (§2.3). */
const V1_LENGTH_BYTES = 2
const V2_LENGTH_BYTES = 4
/** A route's count is one byte (§2.1). */
export const MAX_ROUTE_HOPS = 255
/** Flag bits whose meaning this codec does not depend on for layout; they ride along in `extraFlags`. */
const UNKNOWN_FLAG_BITS = 0xe0

export interface EncodeOptions {
  /** PKCS#7-pad to the 256/512/1024/2048 bucket (§6.1). Default false: the caller decides per type and link. */
  pad?: boolean
  /**
   * Encode into this buffer when it is long enough: the result is then a view of it, valid until the
   * caller reuses it. Otherwise a new buffer, as without it.
   */
  into?: Uint8Array
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn

function isByte (n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xff
}

function lengthBytes (version: 1 | 2): number {
  return version === 2 ? V2_LENGTH_BYTES : V1_LENGTH_BYTES
}

/** Length of the unpadded frame `encodePacket` would produce. */
export function encodedPacketLength (packet: Packet): number {
  const version = packet.version
  let size = COMMON_HEADER_BYTES + lengthBytes(version) + PEER_ID_BYTES + packet.payload.length
  if (packet.recipientId !== null) size += PEER_ID_BYTES
  if (version === 2 && (packet.route.length > 0 || ((packet.extraFlags ?? 0) & PacketFlag.hasRoute) !== 0)) {
    size += 1 + packet.route.length * PEER_ID_BYTES
  }
  if (packet.signature !== null) size += SIGNATURE_BYTES
  return size
}

/**
 * Encodes exactly what `packet` says (never compresses: `payload` is already the wire bytes). Peer IDs
 * are zero-padded or truncated to 8 bytes as both phones do. Values that cannot be represented
 * (v1 with a route or a payload over 65 535 bytes, a 65-byte signature…) are programmer errors and throw.
 */
export function encodePacket (packet: Packet, options?: EncodeOptions): Uint8Array {
  const { version, payload, route, signature, recipientId } = packet
  if (version !== 1 && version !== 2) throw new Error(`packet version must be 1 or 2, got ${String(version)}`)
  if (!isByte(packet.type)) throw new Error(`type must be a byte, got ${packet.type}`)
  if (!isByte(packet.ttl)) throw new Error(`ttl must be a byte, got ${packet.ttl}`)
  if (packet.timestamp < 0n || packet.timestamp > MAX_U64) throw new Error('timestamp must fit 64 unsigned bits')
  if (version === 1 && route.length > 0) throw new Error('a route needs a v2 packet')
  if (route.length > MAX_ROUTE_HOPS) throw new Error(`route has ${route.length} hops, max ${MAX_ROUTE_HOPS}`)
  const maxPayload = version === 2 ? 0xffff_ffff : 0xffff
  if (payload.length > maxPayload) throw new Error(`payload of ${payload.length} bytes does not fit a v${version} length`)
  if (signature !== null && signature.length !== SIGNATURE_BYTES) throw new Error(`signature must be ${SIGNATURE_BYTES} bytes`)
  if (packet.isCompressed && payload.length < lengthBytes(version)) throw new Error('compressed payload lacks its original-size prefix')
  const extra = packet.extraFlags ?? 0
  if ((extra & ~(UNKNOWN_FLAG_BITS | PacketFlag.hasRoute)) !== 0) throw new Error(`extraFlags 0x${extra.toString(16)} overlaps interpreted flags`)

  let flags = extra
  if (recipientId !== null) flags |= PacketFlag.hasRecipient
  if (signature !== null) flags |= PacketFlag.hasSignature
  if (packet.isCompressed) flags |= PacketFlag.isCompressed
  if (route.length > 0) flags |= PacketFlag.hasRoute
  if (packet.isRSR) flags |= PacketFlag.isRSR

  // Padded frames are written straight into their bucket: one allocation, no copy (the signing
  // preimage of every verified packet is padded, so this is on the receive path too).
  const length = encodedPacketLength(packet)
  const target = options?.pad === true ? paddedLength(length) : length
  const w = new ByteWriter(length, target, options?.into)
  w.u8(version)
  w.u8(packet.type)
  w.u8(packet.ttl)
  w.u64(packet.timestamp)
  w.u8(flags)
  if (version === 2) w.u32(payload.length)
  else w.u16(payload.length)
  w.writeFixed(packet.senderId, PEER_ID_BYTES)
  if (recipientId !== null) w.writeFixed(recipientId, PEER_ID_BYTES)
  if (version === 2 && (flags & PacketFlag.hasRoute) !== 0) {
    w.u8(route.length)
    for (const hop of route) w.writeFixed(hop, PEER_ID_BYTES)
  }
  w.write(payload)
  if (signature !== null) w.write(signature)
  const frame = w.finish()
  if (target > length) frame.fill(target - length, length)
  return frame
}

/** Where a frame's fields lie, as `peekHeader` read them. Reused between calls: it allocates nothing. */
export interface FrameHeader {
  type: number
  ttl: number
  flags: number
  /** The 64-bit timestamp in two 32-bit halves (no BigInt on this path). */
  timestampHi: number
  timestampLo: number
  /** Offset of the 8-byte sender ID. */
  senderAt: number
  payloadAt: number
  payloadLength: number
}

export function emptyFrameHeader (): FrameHeader {
  return { type: 0, ttl: 0, flags: 0, timestampHi: 0, timestampLo: 0, senderAt: 0, payloadAt: 0, payloadLength: 0 }
}

/**
 * Reads a frame's header into `out` without decoding the frame: true only when `decodePacket` would
 * decode these raw bytes, with these fields, to the end of the signature. False when it would not, or
 * might not (a compressed payload, whose size prefix needs checks): decode such a frame in full. The
 * router uses it to drop the copies it has already seen (most receptions in a dense mesh) unallocated.
 */
export function peekHeader (frame: Uint8Array, out: FrameHeader): boolean {
  const at = payloadOffset(frame)
  if (at < 0) return false
  const version = frame[0] as 1 | 2
  const flags = frame[FLAGS_AT]!
  if ((flags & PacketFlag.isCompressed) !== 0) return false
  const lengthAt = COMMON_HEADER_BYTES
  const payloadLength = version === 2
    ? u32At(frame, lengthAt)
    : (frame[lengthAt]! << 8) | frame[lengthAt + 1]!
  if (payloadLength > MAX_PAYLOAD_BYTES) return false
  let end = at + payloadLength
  if ((flags & PacketFlag.hasSignature) !== 0) end += SIGNATURE_BYTES
  if (end > frame.length) return false
  out.senderAt = lengthAt + lengthBytes(version)
  out.payloadAt = at
  out.type = frame[TYPE_AT]!
  out.ttl = frame[TTL_AT]!
  out.flags = flags
  out.timestampHi = u32At(frame, 3)
  out.timestampLo = u32At(frame, 7)
  out.payloadLength = payloadLength
  return true
}

/**
 * Where a frame's payload starts, from its version, flags and route count alone (sender, then the
 * recipient and route when flagged, §2); -1 for an unknown version or when the bytes end before a field
 * it reads (through the route count: the route itself and the payload are the caller's to bound).
 */
export function payloadOffset (frame: Uint8Array): number {
  const version = frame[0]
  if (version !== 1 && version !== 2) return -1
  let at = COMMON_HEADER_BYTES + lengthBytes(version) + PEER_ID_BYTES
  if (frame.length < at) return -1
  const flags = frame[FLAGS_AT]!
  if ((flags & PacketFlag.hasRecipient) !== 0) at += PEER_ID_BYTES
  if (version === 2 && (flags & PacketFlag.hasRoute) !== 0) {
    if (at >= frame.length) return -1
    at += 1 + frame[at]! * PEER_ID_BYTES
  }
  return at
}

/**
 * The type a frame carries, read without decoding it: its own type byte, or for a fragment the original
 * packet's type inside the fragment header (§3); -1 when the bytes end first. Send queues and the
 * simulator's link counters class every frame they pass by it.
 */
export function carriedType (frame: Uint8Array): number {
  if (frame.length < 2) return -1
  const type = frame[TYPE_AT]!
  if (type !== MessageType.fragment) return type
  const at = payloadOffset(frame)
  if (at < 0) return -1
  const typeAt = at + FRAGMENT_ORIGINAL_TYPE_AT
  return typeAt < frame.length ? frame[typeAt]! : -1
}

/**
 * Decodes one frame; bytes after the signature (PKCS#7 padding, or anything else) are ignored. Byte fields
 * of the result are views into `frame` (no copies) — copy them before reusing the buffer. Throws
 * DecodeError naming the failing field; nothing else.
 *
 * Both phones try the frame with its padding stripped as well as raw. That second attempt cannot change
 * the outcome, so it is not made: decoding reads a prefix of the frame and ignores what follows, and the
 * unpadded frame is a prefix of the raw one, so it decodes (to the same packet) only if the raw one does.
 */
export function decodePacket (frame: Uint8Array): Packet {
  const r = new ByteReader(frame)
  const version = r.u8('version')
  if (version !== 1 && version !== 2) throw new DecodeError('version', `unsupported version ${version}`)
  const type = r.u8('type')
  const ttl = r.u8('ttl')
  const timestamp = r.u64('timestamp')
  const flags = r.u8('flags')
  const payloadLength = version === 2 ? r.u32('payloadLength') : r.u16('payloadLength')
  if (payloadLength > MAX_PAYLOAD_BYTES) throw new DecodeError('payloadLength', `${payloadLength} exceeds ${MAX_PAYLOAD_BYTES}`)
  const senderId = r.bytes(PEER_ID_BYTES, 'senderId')
  const recipientId = (flags & PacketFlag.hasRecipient) !== 0 ? r.bytes(PEER_ID_BYTES, 'recipientId') : null

  let extraFlags = flags & UNKNOWN_FLAG_BITS
  let route: Uint8Array[] = []
  if ((flags & PacketFlag.hasRoute) !== 0) {
    if (version === 2) {
      const count = r.u8('routeCount')
      // A zero count is "no route" on both phones; remember the flag so the frame re-encodes as received.
      if (count === 0) extraFlags |= PacketFlag.hasRoute
      else {
        route = new Array<Uint8Array>(count)
        for (let i = 0; i < count; i++) route[i] = r.bytes(PEER_ID_BYTES, 'route')
      }
    } else {
      extraFlags |= PacketFlag.hasRoute // meaningless on v1: the phones ignore it, so do we (§2.1)
    }
  }

  const isCompressed = (flags & PacketFlag.isCompressed) !== 0
  const payload = r.bytes(payloadLength, 'payload')
  if (isCompressed) {
    const prefix = lengthBytes(version)
    if (payloadLength < prefix) throw new DecodeError('originalSize', 'compressed payload shorter than its size prefix')
    const originalSize = prefix === 2
      ? (payload[0]! << 8) | payload[1]!
      : u32At(payload, 0)
    checkCompressedBounds(originalSize, payloadLength - prefix)
  }
  const signature = (flags & PacketFlag.hasSignature) !== 0 ? r.bytes(SIGNATURE_BYTES, 'signature') : null

  const packet: Packet = {
    version,
    type,
    ttl,
    timestamp,
    senderId,
    recipientId,
    route,
    payload,
    isCompressed,
    isRSR: (flags & PacketFlag.isRSR) !== 0,
    signature,
  }
  if (extraFlags !== 0) packet.extraFlags = extraFlags
  return packet
}
