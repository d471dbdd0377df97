// The node:zlib Deflater (the only src/ file allowed to import node:zlib; the core receives it injected).
import { constants, deflateRawSync, inflateRawSync, inflateSync } from 'node:zlib'
import type { Deflater } from './compression.js'

/** First byte of a zlib-wrapped stream with a 32 KiB window (RFC 1950 CMF 0x78). */
const ZLIB_CMF_BYTE = 0x78

function toUint8 (b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length)
}

export const nodeDeflater: Deflater = {
  deflateRaw (data: Uint8Array): Uint8Array {
    // Level 6 is zlib's default, the same as Android's Deflater(DEFAULT_COMPRESSION, nowrap=true).
    return toUint8(deflateRawSync(data, { level: constants.Z_DEFAULT_COMPRESSION }))
  },
  inflateRaw (data: Uint8Array, maxOutputLength: number): Uint8Array {
    // maxOutputLength is zlib's own cap, so a bomb stops at the declared size instead of after the work.
    try {
      return toUint8(inflateRawSync(data, { maxOutputLength: Math.max(1, maxOutputLength) }))
    } catch (rawError) {
      // [AND] CompressionUtil.kt also accepts zlib-wrapped streams; keep that tolerance.
      if (data[0] !== ZLIB_CMF_BYTE) throw rawError
      return toUint8(inflateSync(data, { maxOutputLength: Math.max(1, maxOutputLength) }))
    }
  },
}
