import { expect, test } from 'vitest'
import type { Random } from '../../../src/clock.js'
import { jitter } from '../../../src/mesh/policy/relay-policy.js'

/** A Random whose every draw is `value`. */
function fixed (value: number): Random {
  return { next: () => value, int: (max) => Math.floor(value * max), bytes: (n) => new Uint8Array(n) }
}

test.each([
  [0, 10],
  [0.5, 20],
  [0.999, 29.98],
])('relay-policy — jitter with a draw of %s over 10..30 ms is %s ms', (draw, want) => {
  expect(jitter(fixed(draw), 10, 30)).toBeCloseTo(want, 9)
})
