// Relayed frames are copies of the received bytes with the TTL byte changed: one per packet a node relays,
// and in a start-up storm hundreds of thousands wait in send queues at once. A Uint8Array with a buffer of
// its own costs an ArrayBuffer object, a backing-store record and a malloc block besides its bytes; views
// into a shared slab cost only the view. A slab is freed by the garbage collector once no frame in it is
// alive, and relays leave in the order they were made, so slabs empty in order too.

/** Bytes per slab: a few dozen announce-sized frames, so a slab kept alive by one late frame wastes little. */
export const SLAB_BYTES = 4096
/** Frames above this get a buffer of their own (a large one would leave much of a slab unused). */
const MAX_SLAB_FRAME_BYTES = SLAB_BYTES / 8

export class FrameSlab {
  /** Starts full, so the first copy opens a slab. */
  private buffer = new ArrayBuffer(0)
  private offset = SLAB_BYTES

  /** A copy of the first `length` bytes of `source`. */
  copy (source: Uint8Array, length: number): Uint8Array {
    if (length > MAX_SLAB_FRAME_BYTES) return source.slice(0, length)
    if (this.offset + length > SLAB_BYTES) {
      this.buffer = new ArrayBuffer(SLAB_BYTES)
      this.offset = 0
    }
    const out = new Uint8Array(this.buffer, this.offset, length)
    out.set(length === source.length ? source : source.subarray(0, length))
    this.offset += length
    return out
  }
}
