import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { EventQueue } from '../../simulator/event-queue.js'

const seed = process.env.BLEMESH_SEED === undefined ? undefined : Number(process.env.BLEMESH_SEED)

describe('EventQueue', () => {
  test('EventQueue — pops in (time, insertion) order for any pushes', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
      const q = new EventQueue<number>()
      times.forEach((t, i) => q.push(t, i))
      const out: Array<[number, number]> = []
      for (let item = q.pop(); item !== undefined; item = q.pop()) out.push([q.lastPoppedTime, item])
      const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
      expect(out).toEqual(expected)
    }), { seed })
  })

  test('EventQueue — interleaved pushes and pops keep the order and the size', () => {
    const q = new EventQueue<string>()
    q.push(5, 'a'); q.push(1, 'b'); q.push(5, 'c')
    expect(q.pop()).toBe('b')
    q.push(3, 'd'); q.push(5, 'e')
    expect(q.size).toBe(4)
    expect([q.pop(), q.pop(), q.pop(), q.pop(), q.pop()]).toEqual(['d', 'a', 'c', 'e', undefined])
    expect(q.peekTime()).toBe(Infinity)
  })

  test('EventQueue — grows past its initial capacity', () => {
    const q = new EventQueue<number>()
    for (let i = 5000; i > 0; i--) q.push(i, i)
    for (let i = 1; i <= 5000; i++) expect(q.pop()).toBe(i)
  })

  test('EventQueue — rejects NaN times', () => {
    expect(() => new EventQueue<number>().push(Number.NaN, 1)).toThrow(/NaN/)
  })
})
