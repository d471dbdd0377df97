// Helpers of the tables kept in typed arrays (dedup entries, peer slots, pins).

/** A copy of `array` with room for `length` elements, the new ones zero: how the growable tables grow. */
export function widened<T extends Uint8Array | Int32Array | Uint32Array | Float64Array> (array: T, length: number): T {
  const out = new (array.constructor as new (length: number) => T)(length)
  out.set(array as ArrayLike<number>)
  return out
}

/** Two 32-bit words mixed into a probe position. Fed with IDs and keys, which are hash output already. */
export function mixWords (hi: number, lo: number): number {
  const h = Math.imul(hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b)
  return (h ^ (h >>> 15)) >>> 0
}

/**
 * Empties position `at` of an open-addressing table with linear probing (0 = empty) by backward-shift
 * deletion: later entries of the probe chain move up into the hole, so chains stay unbroken without
 * tombstones and lookups stay short. `homeOf(entry)` is the position an entry's hash points to.
 */
export function deleteAt (table: Uint16Array | Uint32Array | Int32Array, mask: number, at: number, homeOf: (entry: number) => number): void {
  let hole = at
  for (let q = (hole + 1) & mask; table[q] !== 0; q = (q + 1) & mask) {
    const home = homeOf(table[q]!)
    // q's entry stays unless the hole lies on its probe path, i.e. its home is not cyclically in (hole, q].
    const stays = hole <= q ? (home > hole && home <= q) : (home > hole || home <= q)
    if (stays) continue
    table[hole] = table[q]!
    hole = q
  }
  table[hole] = 0
}
