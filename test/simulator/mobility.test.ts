import { describe, expect, test } from 'vitest'
import { RandomWaypoint } from '../../simulator/mobility.js'
import { SeededRandom } from '../../src/prng.js'

const TICK_MS = 1_000
const SPEED = 2

/** `n` walkers starting at the square's centre, stepped `ticks` times; the largest step seen. */
function walk (n: number, side: number, originX: number, originY: number, seed: number, ticks: number): { xs: Float64Array, ys: Float64Array, longestStep: number, inside: boolean } {
  const xs = new Float64Array(n).fill(originX + side / 2)
  const ys = new Float64Array(n).fill(originY + side / 2)
  const walker = new RandomWaypoint(xs, ys, side, SPEED, 5_000, new SeededRandom(seed), originX, originY)
  let longestStep = 0
  let inside = true
  for (let t = 0; t < ticks; t++) {
    const px = xs.slice()
    const py = ys.slice()
    walker.step(t * TICK_MS, TICK_MS)
    for (let i = 0; i < n; i++) {
      longestStep = Math.max(longestStep, Math.hypot(xs[i]! - px[i]!, ys[i]! - py[i]!))
      inside &&= xs[i]! >= originX && xs[i]! <= originX + side && ys[i]! >= originY && ys[i]! <= originY + side
    }
  }
  return { xs, ys, longestStep, inside }
}

describe('RandomWaypoint', () => {
  test.each([
    ['at the origin', 0, 0],
    // Positions from a file keep their own coordinates: walkers must stay where the nodes are.
    ['away from the origin', 1_000, -250],
  ])('RandomWaypoint — walkers stay inside the square %s', (_, originX, originY) => {
    const { inside, xs, ys } = walk(40, 60, originX, originY, 7, 600)
    expect(inside).toBe(true)
    // They do walk: after ten minutes nobody is still at the centre, and the whole square is used.
    expect(xs.every(x => x !== originX + 30)).toBe(true)
    expect([xs.some(x => x > originX + 45), ys.some(y => y > originY + 45), xs.some(x => x < originX + 15)]).toEqual([true, true, true])
  })

  test('RandomWaypoint — no step is longer than 1.5 × the mean speed over a tick', () => {
    const { longestStep } = walk(40, 200, 0, 0, 3, 300)
    expect(longestStep).toBeGreaterThan(SPEED * 0.5 * TICK_MS / 1000)
    expect(longestStep).toBeLessThanOrEqual(SPEED * 1.5 * TICK_MS / 1000 + 1e-9)
  })

  test('RandomWaypoint — same seed, same walk; another seed, another walk', () => {
    const a = walk(10, 80, 0, 0, 11, 100)
    const b = walk(10, 80, 0, 0, 11, 100)
    const c = walk(10, 80, 0, 0, 12, 100)
    expect([...a.xs, ...a.ys]).toEqual([...b.xs, ...b.ys])
    expect([...a.xs]).not.toEqual([...c.xs])
  })

  test('RandomWaypoint — between waypoints a walker goes straight at a constant speed', () => {
    const xs = Float64Array.of(500)
    const ys = Float64Array.of(500)
    const walker = new RandomWaypoint(xs, ys, 1_000, SPEED, 0, new SeededRandom(21))
    const track: Array<[number, number]> = [[500, 500]]
    for (let t = 0; t < 5; t++) { walker.step(t * TICK_MS, TICK_MS); track.push([xs[0]!, ys[0]!]) }
    const steps = track.slice(1).map(([x, y], i) => [x - track[i]![0], y - track[i]![1]] as const)
    for (const [dx, dy] of steps.slice(1)) {
      expect(dx).toBeCloseTo(steps[0]![0], 9) // the same vector every tick: same heading, same speed
      expect(dy).toBeCloseTo(steps[0]![1], 9)
    }
    const speed = Math.hypot(...steps[0]!) / (TICK_MS / 1000)
    expect(speed).toBeGreaterThanOrEqual(SPEED * 0.5)
    expect(speed).toBeLessThan(SPEED * 1.5)
  })

  test.each([
    ['a pause longer than the run: every walker stops for good at its first waypoint', 1e12, true],
    ['no pause: walkers keep going', 0, false],
  ])('RandomWaypoint — %s', (_, pauseMs, still) => {
    const xs = new Float64Array(20).fill(30)
    const ys = new Float64Array(20).fill(30)
    const walker = new RandomWaypoint(xs, ys, 60, SPEED, pauseMs, new SeededRandom(22))
    for (let t = 0; t < 200; t++) walker.step(t * TICK_MS, TICK_MS) // 400 m of walking: every first waypoint reached
    const before = [...xs, ...ys]
    for (let t = 200; t < 210; t++) walker.step(t * TICK_MS, TICK_MS)
    expect([...xs, ...ys].every((v, i) => v === before[i])).toBe(still)
  })
})
