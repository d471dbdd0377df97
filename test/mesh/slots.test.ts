import { describe, expect, test } from 'vitest'
import { mixWords, widened } from '../../src/mesh/slots.js'

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
})
