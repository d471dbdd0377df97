import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { deleteAt, mixWords, widened } from '../../src/mesh/slots.js'

describe('slots', () => {
  test.each([
    ['Uint8Array', Uint8Array.from([1, 2, 3])],
    ['Int32Array', Int32Array.from([-1, 2, -3])],
    ['Uint32Array', Uint32Array.from([0xffffffff, 2, 3])],
    ['Float64Array', Float64Array.from([-Infinity, 0.5, 3])],
  ] as const)('widened — a %s keeps its elements, its type, and gets zeros after them', (_, array) => {
    const out = widened(array, 5)
    expect(out.constructor).toBe(array.constructor)
    expect(Array.from(out)).toEqual([...Array.from(array as ArrayLike<number>), 0, 0])
    expect(out.buffer).not.toBe(array.buffer)
  })

  test('mixWords — sequential IDs spread over a small power-of-two table', () => {
    const buckets = new Uint32Array(64)
    for (let n = 0; n < 6400; n++) buckets[mixWords(0, n) & 63]!++
    expect(Math.max(...buckets)).toBeLessThan(150)
    expect(Math.min(...buckets)).toBeGreaterThan(50)
    expect(mixWords(1, 2)).toBe(mixWords(1, 2))
    expect(mixWords(1, 2)).not.toBe(mixWords(2, 1))
  })

  /** A linear-probing table of `size` positions holding entries 1…n, entry e hashing to `homes[e - 1]`. */
  function probeTable (size: number, homes: readonly number[]): Int32Array {
    const table = new Int32Array(size)
    homes.forEach((home, i) => {
      let p = home
      while (table[p] !== 0) p = (p + 1) & (size - 1)
      table[p] = i + 1
    })
    return table
  }

  /** Where a lookup for `entry` from its home ends: its position, or -1 at the first empty one. */
  function lookup (table: Int32Array, home: number, entry: number): number {
    for (let p = home; table[p] !== 0; p = (p + 1) & (table.length - 1)) if (table[p] === entry) return p
    return -1
  }

  test.each([
    // [case, homes of entries 1…n, entry deleted, table after]
    ['last of its chain', [2, 2], 2, [0, 0, 1, 0, 0, 0, 0, 0]],
    ['head of a chain of one home: the next moves up', [2, 2, 2], 1, [0, 0, 2, 3, 0, 0, 0, 0]],
    ['an entry already at its home stays', [2, 2, 4], 1, [0, 0, 2, 0, 3, 0, 0, 0]],
    ['entries move up across the wrap-around', [7, 7, 7], 1, [3, 0, 0, 0, 0, 0, 0, 2]],
    ['a hole on nobody\'s probe path stays empty', [6, 7, 7, 7], 1, [3, 4, 0, 0, 0, 0, 0, 2]],
    ['an entry whose home is past the hole stays, one behind it moves', [6, 7, 6], 1, [0, 0, 0, 0, 0, 0, 3, 2]],
  ])('deleteAt — %s', (_, homes, entry, after) => {
    const table = probeTable(8, homes)
    deleteAt(table, 7, table.indexOf(entry), e => homes[e - 1]!)
    expect(Array.from(table)).toEqual(after)
  })

  test('deleteAt — every remaining entry is still found from its home after any deletions', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 12 }), (homes, picks) => {
      const table = probeTable(16, homes)
      const alive = new Set(homes.map((_, i) => i + 1))
      for (const pick of picks) {
        if (alive.size === 0) break
        const entry = [...alive][pick % alive.size]!
        deleteAt(table, 15, table.indexOf(entry), e => homes[e - 1]!)
        alive.delete(entry)
      }
      for (let e = 1; e <= homes.length; e++) expect(lookup(table, homes[e - 1]!, e) >= 0).toBe(alive.has(e))
      expect(table.filter(v => v !== 0).length).toBe(alive.size)
    }), { numRuns: 2_000 })
  })
})
