import { describe, expect, test } from 'vitest'
import { NEIGHBOUR_SET_CAPACITY, NeighbourSet } from '../../src/mesh/neighbour-set.js'
import { u32At } from '../../src/wire/reader.js'

const id = (n: number): Uint8Array => Uint8Array.of(0xa0, 0, 0, n >> 8, 0, 0, 0, n & 0xff)
const has = (set: NeighbourSet, n: number, since = 0): boolean => set.has(u32At(id(n), 0), u32At(id(n), 4), since)

describe('NeighbourSet', () => {
  test('neighbour set — an ID is held from when it was heard; IDs that differ in either word are not', () => {
    const set = new NeighbourSet()
    set.note(id(1), 0, 100)
    expect(has(set, 1, 100)).toBe(true)
    expect(has(set, 1, 101)).toBe(false)
    expect(has(set, 2)).toBe(false)
    expect(set.has(u32At(id(1), 0), 0, 0)).toBe(false)
    expect(set.has(0, u32At(id(1), 4), 0)).toBe(false)
  })

  test('neighbour set — hearing an ID again refreshes it rather than taking a second place', () => {
    const set = new NeighbourSet()
    for (let n = 1; n <= NEIGHBOUR_SET_CAPACITY; n++) set.note(id(n), 0, n)
    set.note(id(3), 0, 100) // refreshed: now the newest, and 1 is still the least recently heard
    set.note(id(99), 0, 101) // pushes out 1
    expect(has(set, 1)).toBe(false)
    expect(has(set, 3, 100)).toBe(true)
    expect(has(set, 99)).toBe(true)
    for (let n = 2; n <= NEIGHBOUR_SET_CAPACITY; n++) expect(has(set, n)).toBe(true)
  })

  test('neighbour set — IDs that share one word are told apart when noted, not only when asked', () => {
    const set = new NeighbourSet()
    const a = Uint8Array.of(1, 1, 1, 1, 9, 9, 9, 9)
    const b = Uint8Array.of(2, 2, 2, 2, 9, 9, 9, 9) // same low word
    const c = Uint8Array.of(1, 1, 1, 1, 8, 8, 8, 8) // same high word
    set.note(a, 0, 10)
    set.note(b, 0, 20)
    set.note(c, 0, 30)
    expect([a, b, c].map(x => set.has(u32At(x, 0), u32At(x, 4), 0))).toEqual([true, true, true])
    expect([a, b, c].map(x => set.has(u32At(x, 0), u32At(x, 4), 15))).toEqual([false, true, true])
  })

  test('neighbour set — reads the ID at an offset, and clear forgets every ID', () => {
    const set = new NeighbourSet()
    const frame = new Uint8Array(20)
    frame.set(id(7), 11)
    set.note(frame, 11, 5)
    expect(has(set, 7)).toBe(true)
    set.clear()
    expect(has(set, 7, -Infinity)).toBe(false)
  })
})
