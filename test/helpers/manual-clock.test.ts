import { expect, test } from 'vitest'
import { ManualClock } from './manual-clock.js'

test('ManualClock — fires timers in time then insertion order, skips cleared ones', () => {
  const clock = new ManualClock(0)
  const seen: string[] = []
  clock.setTimer(20, () => seen.push('b'))
  clock.setTimer(10, () => { seen.push('a'); clock.setTimer(5, () => seen.push('a+5')) })
  clock.setTimer(20, () => seen.push('c'))
  const cleared = clock.setTimer(15, () => seen.push('never'))
  clock.clearTimer(cleared)
  clock.advance(19)
  expect(seen).toEqual(['a', 'a+5'])
  expect(clock.now()).toBe(19)
  clock.advance(1)
  expect(seen).toEqual(['a', 'a+5', 'b', 'c'])
  expect(clock.pending()).toBe(0)
})
