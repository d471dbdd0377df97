// Raw DEFLATE payload compression (bitchat-protocol.md §6.2). The codec itself lives behind `Deflater` so
// src/ stays pure; node-deflater.ts is the node:zlib implementation. Inflating untrusted bytes is bounded
// before any work: declared size, ratio, and the inflater's own output cap.
import { DecodeError } from './decode-error.js'
import { MAX_COMPRESSION_RATIO, MAX_PAYLOAD_BYTES } from './limits.js'
import type { Packet } from './packet-types.js'
import { u32At } from './reader.js'

export interface Deflater {
  /** Raw DEFLATE (RFC 1951, no zlib header), as both phones send. */
  deflateRaw (data: Uint8Array): Uint8Array
  /** Inflates raw DEFLATE; must never produce more than `maxOutputLength` bytes (throw instead). */
  inflateRaw (data: Uint8Array, maxOutputLength: number): Uint8Array
}

/** [iOS] Constants.compressionThresholdBytes; [AND] CompressionUtil.kt: smaller payloads are sent as is. */
export const COMPRESSION_THRESHOLD_BYTES = 100
/** [iOS] CompressionUtil.shouldCompress: distinct bytes / min(len, 256) at or above this looks pre-compressed. */
export const MAX_DISTINCT_BYTE_RATIO = 0.9
/** [iOS] CompressionUtil.shouldCompress samples at most this many positions for the ratio's denominator. */
const DISTINCT_SAMPLE_BYTES = 256

/** The phones' test: ≥ 100 bytes and (distinct byte values anywhere) / min(len, 256) < 0.9. */
export function shouldCompress (payload: Uint8Array): boolean {
  if (payload.length < COMPRESSION_THRESHOLD_BYTES) return false
  const seen = new Uint8Array(256)
  let distinct = 0
  for (let i = 0; i < payload.length; i++) {
    const b = payload[i]!
    if (seen[b] === 0) { seen[b] = 1; distinct++ }
  }
  return distinct / Math.min(payload.length, DISTINCT_SAMPLE_BYTES) < MAX_DISTINCT_BYTE_RATIO
}

function sizePrefixBytes (version: 1 | 2): number {
  return version === 2 ? 4 : 2
}

/**
 * Rejects a compressed payload whose declared size or ratio no phone would inflate (§2.1): size 0
 * ([AND] rejects ≤ 0), above the payload ceiling, an empty DEFLATE body, or a ratio DEFLATE cannot reach.
 */
export function checkCompressedBounds (originalSize: number, compressedSize: number): void {
  if (originalSize === 0) throw new DecodeError('originalSize', 'declared size is zero')
  if (originalSize > MAX_PAYLOAD_BYTES) throw new DecodeError('originalSize', `${originalSize} exceeds ${MAX_PAYLOAD_BYTES}`)
  if (compressedSize === 0) throw new DecodeError('compressedPayload', 'empty DEFLATE body')
  if (originalSize > compressedSize * MAX_COMPRESSION_RATIO) {
    throw new DecodeError('originalSize', `ratio ${Math.round(originalSize / compressedSize)}:1 exceeds ${MAX_COMPRESSION_RATIO}:1`)
  }
}

/** The declared original size of a compressed packet's payload, or null when it is not compressed. */
export function compressedOriginalSize (packet: Packet): number | null {
  if (!packet.isCompressed) return null
  const p = packet.payload
  if (packet.version === 2) {
    if (p.length < 4) return null
    return u32At(p, 0)
  }
  if (p.length < 2) return null
  return (p[0]! << 8) | p[1]!
}

export interface CompressedPayload {
  /** Wire payload: original-size prefix then DEFLATE bytes, or the input itself when not worth it. */
  payload: Uint8Array
  isCompressed: boolean
}

/**
 * Compresses like the phones' encoder would (threshold, distinct-byte test, only if smaller). Not used for
 * frames we originate by default: iOS re-compresses with Apple's encoder before verifying a signature, so
 * our DEFLATE bytes would fail there (§5.3).
 */
export function compressPayload (payload: Uint8Array, version: 1 | 2, deflater: Deflater): CompressedPayload {
  const prefix = sizePrefixBytes(version)
  if (!shouldCompress(payload) || payload.length > (version === 2 ? MAX_PAYLOAD_BYTES : 0xffff)) {
    return { payload, isCompressed: false }
  }
  const body = deflater.deflateRaw(payload)
  if (body.length === 0 || body.length >= payload.length) return { payload, isCompressed: false }
  const out = new Uint8Array(prefix + body.length)
  const n = payload.length
  if (prefix === 4) { out[0] = n >>> 24; out[1] = n >>> 16; out[2] = n >>> 8; out[3] = n } else { out[0] = n >>> 8; out[1] = n }
  out.set(body, prefix)
  return { payload: out, isCompressed: true }
}

/**
 * The original payload of a packet: its payload as is when uncompressed, else inflated with every bound
 * checked before inflating and the exact declared size required after. Any failure is a DecodeError.
 */
export function decompressPayload (packet: Packet, inflater: Deflater): Uint8Array {
  if (!packet.isCompressed) return packet.payload
  const prefix = sizePrefixBytes(packet.version)
  const originalSize = compressedOriginalSize(packet)
  if (originalSize === null) throw new DecodeError('originalSize', 'compressed payload shorter than its size prefix')
  const body = packet.payload.subarray(prefix)
  checkCompressedBounds(originalSize, body.length)
  let out: Uint8Array
  try {
    out = inflater.inflateRaw(body, originalSize)
  } catch {
    throw new DecodeError('compressedPayload', 'DEFLATE stream invalid or larger than declared')
  }
  if (out.length !== originalSize) {
    throw new DecodeError('compressedPayload', `inflated to ${out.length} bytes, declared ${originalSize}`)
  }
  return out
}
