// PKCS#7 padding of whole frames to fixed buckets (bitchat-protocol.md §6.1), so an observer sees a few
// frame sizes instead of exact lengths. Both phones pad Noise frames on BLE and the signing preimage.

/** [iOS] BitFoundation/MessagePadding.swift `blockSizes`; [AND] protocol/MessagePadding.kt. */
export const PADDING_BUCKETS: readonly number[] = [256, 512, 1024, 2048]
/** Room the phones reserve above the frame when choosing a bucket ("+16 for encryption overhead"). */
export const PADDING_HEADROOM_BYTES = 16
/** PKCS#7 stores the pad length in one byte: more than this and the phones send the frame unpadded. */
export const MAX_PAD_BYTES = 255

/** The length `frame` would have after padFrame: the smallest bucket ≥ len+16, or len if padding is impossible. */
export function paddedLength (length: number): number {
  for (const bucket of PADDING_BUCKETS) {
    if (bucket >= length + PADDING_HEADROOM_BYTES) {
      const pad = bucket - length
      return pad <= MAX_PAD_BYTES ? bucket : length
    }
  }
  return length
}

/** Pads to the bucket; returns `frame` itself (not a copy) when the phones would send it unpadded. */
export function padFrame (frame: Uint8Array): Uint8Array {
  const target = paddedLength(frame.length)
  if (target === frame.length) return frame
  const out = new Uint8Array(target)
  out.set(frame)
  out.fill(target - frame.length, frame.length)
  return out
}

/**
 * The frame without its PKCS#7 tail, as a view; null when the tail is not valid padding (last byte N must
 * be 1..len and the last N bytes all N — the phones' check). A frame that merely ends in 0x01 "unpads" by
 * one byte: that is inherent to PKCS#7. `decodePacket` never needs it (it ignores trailing bytes); it is
 * `padFrame`'s inverse, for whatever must see the bytes a sender padded.
 */
export function unpadFrame (frame: Uint8Array): Uint8Array | null {
  const length = frame.length
  if (length === 0) return null
  const n = frame[length - 1]!
  if (n === 0 || n > length) return null
  for (let i = length - n; i < length - 1; i++) if (frame[i] !== n) return null
  return frame.subarray(0, length - n)
}
