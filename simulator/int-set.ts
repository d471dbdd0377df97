// A set of 30-bit non-negative integers in one typed array (open addressing, linear probing). The
// metrics ask "heard this frame before?" on every sampled reception; a JS Set answers the same question
// through a general hash table, which cost ~5 % of a small run's CPU.

/** Emptiest a table is allowed to get before it doubles: at most half its slots used. */
const MAX_LOAD = 0.5
const MIN_CAPACITY = 16
/** The largest key: the metrics' frame keys are 30-bit so V8 keeps them as small integers. */
export const INT_SET_MAX_KEY = 0x3fff_ffff

export class IntSet {
  /** key + 1 per used slot, 0 for an empty one. */
  private slots: Int32Array
  private used = 0

  constructor (capacity = MIN_CAPACITY) {
    let c = MIN_CAPACITY
    while (c < capacity) c *= 2
    this.slots = new Int32Array(c)
  }

  get size (): number {
    return this.used
  }

  has (key: number): boolean {
    return this.slots[this.slotOf(key)] !== 0
  }

  /** Adds `key` (0 ≤ key ≤ INT_SET_MAX_KEY, an integer); false when it was there already. */
  add (key: number): boolean {
    if (!(key >= 0 && key <= INT_SET_MAX_KEY && Number.isInteger(key))) throw new RangeError(`IntSet.add: ${key} is not an integer in [0, 2^30)`)
    if ((this.used + 1) > this.slots.length * MAX_LOAD) this.grow()
    const i = this.slotOf(key)
    if (this.slots[i] !== 0) return false
    this.slots[i] = key + 1
    this.used++
    return true
  }

  /** Empties the set and keeps its capacity (a window's set is refilled about as full). */
  clear (): void {
    this.slots.fill(0)
    this.used = 0
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private slotOf (key: number): number {
    const slots = this.slots
    const mask = slots.length - 1
    const stored = key + 1
    let i = key & mask
    while (slots[i] !== 0 && slots[i] !== stored) i = (i + 1) & mask
    return i
  }

  private grow (): void {
    const old = this.slots
    this.slots = new Int32Array(old.length * 2)
    for (const stored of old) if (stored !== 0) this.slots[this.slotOf(stored - 1)] = stored
  }
}
