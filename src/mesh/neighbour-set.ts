// The neighbours of one of our neighbours, read off the announces it relays, so no list goes on the air
// (bitchat's neighbour TLV would fragment our announce on an iPhone link, docs/policies.md): an announce
// that reaches us at TTL 6 over a neighbour's link left its origin at 7 and crossed exactly one link, so
// its origin is that neighbour's neighbour. A few IDs in one typed array, each with when it was last
// heard, allocated at the first: every node holds one set per link, and a simulation runs thousands.
import { u32At } from '../wire/reader.js'

/** A phone's 7 links plus one; when a neighbour's links churn, the least recently heard makes room. */
export const NEIGHBOUR_SET_CAPACITY = 8

/** Per place: the ID's two 32-bit words, then when it was heard (-Infinity: free). */
const STRIDE = 3

export class NeighbourSet {
  private places: Float64Array | null = null

  /** The 8-byte peer ID at `at` in `bytes` was heard at `now`. */
  note (bytes: Uint8Array, at: number, now: number): void {
    const hi = u32At(bytes, at)
    const lo = u32At(bytes, at + 4)
    const p = this.places ??= new Float64Array(STRIDE * NEIGHBOUR_SET_CAPACITY).fill(-Infinity)
    let oldest = 0
    for (let i = 0; i < p.length; i += STRIDE) {
      if (p[i] === hi && p[i + 1] === lo) { p[i + 2] = now; return }
      if (p[i + 2]! < p[oldest + 2]!) oldest = i
    }
    p[oldest] = hi
    p[oldest + 1] = lo
    p[oldest + 2] = now
  }

  /** Whether the ID whose words are `hi`, `lo` was heard at `since` or later. */
  has (hi: number, lo: number, since: number): boolean {
    const p = this.places
    if (p === null) return false
    for (let i = 0; i < p.length; i += STRIDE) {
      if (p[i] === hi && p[i + 1] === lo) return p[i + 2]! >= since
    }
    return false
  }

  clear (): void {
    this.places = null
  }
}
