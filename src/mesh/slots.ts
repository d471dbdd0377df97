// Two helpers of the tables kept in typed arrays (peer slots, pins).

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
