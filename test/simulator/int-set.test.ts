import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { IntSet, INT_SET_MAX_KEY } from '../../simulator/int-set.js'
import { fcOptions } from '../crypto/helpers.js'

describe('IntSet', () => {
  test.each([
    { name: 'zero', key: 0 },
    { name: 'the largest key', key: INT_SET_MAX_KEY },
    { name: 'a key whose slot is the last', key: 15 },
  ])('IntSet — holds $name', ({ key }) => {
    const set = new IntSet()
    expect(set.has(key)).toBe(false)
    expect(set.add(key)).toBe(true)
    expect(set.add(key)).toBe(false)
    expect(set.has(key)).toBe(true)
    expect(set.size).toBe(1)
  })

  test.each([-1, INT_SET_MAX_KEY + 1, 1.5, NaN])('IntSet — refuses %s', key => {
    expect(() => new IntSet().add(key)).toThrow(RangeError)
  })

  test('IntSet — keys that share a home slot are all found, across growth', () => {
    const set = new IntSet(16)
    // Every key has home slot 3 in a 16-slot table; the table grows past 8 of them.
    const keys = Array.from({ length: 40 }, (_, i) => 3 + 16 * i * 1024)
    for (const k of keys) expect(set.add(k)).toBe(true)
    for (const k of keys) expect(set.has(k)).toBe(true)
    expect(set.has(3 + 16)).toBe(false)
    expect(set.size).toBe(40)
  })

  test('IntSet — clear empties the set and it fills again', () => {
    const set = new IntSet()
    for (let k = 0; k < 100; k++) set.add(k * 7)
    set.clear()
    expect(set.size).toBe(0)
    for (let k = 0; k < 100; k++) expect(set.has(k * 7)).toBe(false)
    expect(set.add(14)).toBe(true)
    expect(set.has(14)).toBe(true)
  })

  test('IntSet — answers as a Set does for any sequence of adds, lookups and clears', () => {
    const key = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: INT_SET_MAX_KEY }))
    const op = fc.oneof(
      { weight: 10, arbitrary: fc.record({ kind: fc.constant('add' as const), key }) },
      { weight: 10, arbitrary: fc.record({ kind: fc.constant('has' as const), key }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 600 }), ops => {
      const set = new IntSet()
      const model = new Set<number>()
      for (const o of ops) {
        if (o.kind === 'add') {
          expect(set.add(o.key)).toBe(!model.has(o.key))
          model.add(o.key)
        } else if (o.kind === 'has') {
          expect(set.has(o.key)).toBe(model.has(o.key))
        } else {
          set.clear()
          model.clear()
        }
        expect(set.size).toBe(model.size)
      }
    }), fcOptions(300))
  })
})
