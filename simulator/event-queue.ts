// A binary min-heap of scheduled events ordered by (time, sequence number). Keys live in typed arrays
// beside the items so a sift compares plain doubles instead of chasing object fields: the simulator spends
// most of its time here and in the router (flooding-and-simulation.md §4.3: ≈ 3.5 M events/s is the plain
// Node ceiling for a heap DES).

const INITIAL_CAPACITY = 1024

export class EventQueue<T> {
  private times = new Float64Array(INITIAL_CAPACITY)
  private seqs = new Float64Array(INITIAL_CAPACITY)
  private items: Array<T | undefined> = new Array<T | undefined>(INITIAL_CAPACITY)
  private count = 0
  private nextSeq = 0
  /** Time of the item the last `pop` returned. */
  lastPoppedTime = 0

  get size (): number {
    return this.count
  }

  /** Time of the earliest item; Infinity when empty. */
  peekTime (): number {
    return this.count === 0 ? Infinity : this.times[0]!
  }

  /** Adds an item; among equal times, items come out in the order they were pushed. */
  push (time: number, item: T): void {
    if (Number.isNaN(time)) throw new Error('EventQueue.push: time is NaN')
    if (this.count === this.times.length) this.grow()
    const seq = this.nextSeq++
    let i = this.count++
    const times = this.times
    const seqs = this.seqs
    const items = this.items
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pt = times[parent]!
      if (pt < time || (pt === time && seqs[parent]! < seq)) break
      times[i] = pt
      seqs[i] = seqs[parent]!
      items[i] = items[parent]
      i = parent
    }
    times[i] = time
    seqs[i] = seq
    items[i] = item
  }

  /** Removes and returns the earliest item (undefined when empty). */
  pop (): T | undefined {
    if (this.count === 0) return undefined
    const items = this.items
    const top = items[0]
    this.lastPoppedTime = this.times[0]!
    const last = --this.count
    if (last === 0) { items[0] = undefined; return top }
    const times = this.times
    const seqs = this.seqs
    const time = times[last]!
    const seq = seqs[last]!
    const item = items[last]
    items[last] = undefined
    let i = 0
    const half = last >> 1
    while (i < half) {
      let child = 2 * i + 1
      let ct = times[child]!
      let cs = seqs[child]!
      const right = child + 1
      if (right < last) {
        const rt = times[right]!
        if (rt < ct || (rt === ct && seqs[right]! < cs)) { child = right; ct = rt; cs = seqs[right]! }
      }
      if (time < ct || (time === ct && seq < cs)) break
      times[i] = ct
      seqs[i] = cs
      items[i] = items[child]
      i = child
    }
    times[i] = time
    seqs[i] = seq
    items[i] = item
    return top
  }

  private grow (): void {
    const capacity = this.times.length * 2
    const times = new Float64Array(capacity)
    times.set(this.times)
    const seqs = new Float64Array(capacity)
    seqs.set(this.seqs)
    this.times = times
    this.seqs = seqs
    this.items.length = capacity
  }
}
