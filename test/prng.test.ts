import { describe, expect, test } from 'vitest'
import { SeededRandom } from '../src/prng.js'

describe('SeededRandom', () => {
  test('SeededRandom — same seed gives the same stream', () => {
    const a = new SeededRandom(42)
    const b = new SeededRandom(42)
    const xs = Array.from({ length: 100 }, () => a.u32())
    const ys = Array.from({ length: 100 }, () => b.u32())
    expect(xs).toEqual(ys)
  })

  test('SeededRandom — different seeds and forks give different streams', () => {
    const a = new SeededRandom(1)
    const b = new SeededRandom(2)
    expect(a.u32()).not.toBe(b.u32())
    const root = new SeededRandom(7)
    expect(root.fork('radio').u32()).not.toBe(root.fork('radio').u32())
  })

  test('SeededRandom — next and int stay in range and spread evenly', () => {
    const r = new SeededRandom('spread')
    const buckets = new Array<number>(10).fill(0)
    for (let i = 0; i < 100_000; i++) {
      const x = r.next()
      expect(x >= 0 && x < 1).toBe(true)
      buckets[r.int(10)]!++
    }
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500)
  })

  test('SeededRandom — bytes has the requested length for every remainder', () => {
    const r = new SeededRandom(3)
    for (const n of [0, 1, 2, 3, 4, 5, 31, 32, 33]) expect(r.bytes(n).length).toBe(n)
  })
})
