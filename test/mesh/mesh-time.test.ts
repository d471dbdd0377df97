import { describe, expect, test } from 'vitest'
import { CLOCK_AGREE_MS, CLOCK_STEP_MS, CLOCK_VOTE_MAX_AGE_MS, MeshTime } from '../../src/mesh/mesh-time.js'
import { ManualClock } from '../helpers/manual-clock.js'

const DAY = 86_400_000
const NOW = 1_700_000_000_000

/** A vote: link name, how far ahead of our clock its announce was stamped, and ms to wait before it. */
type Step = [link: string, skewMs: number, waitMs?: number]

describe('MeshTime', () => {
  test.each<[string, Step[], number]>([
    ['two neighbours two days ahead (a Pi booted from its last saved time)', [['a', 2 * DAY], ['b', 2 * DAY + 3_000]], 2 * DAY],
    ['a node with one link follows it (a Pi at the edge, linked to one phone)', [['a', 2 * DAY]], 2 * DAY],
    ['a second link that disagrees moves nothing', [['b', 0], ['a', 2 * DAY]], 0],
    ['neighbours within the step of our clock leave it alone', [['a', 5_000], ['b', -CLOCK_STEP_MS], ['c', CLOCK_STEP_MS]], 0],
    ['one of two links far off is no majority', [['honest', 1_000], ['hostile', DAY]], 0],
    ['two of five that agree are no majority', [['a', 0], ['d', 2 * DAY], ['e', 3 * DAY], ['b', DAY], ['c', DAY]], 0],
    ['two of three links agree', [['a', 0], ['b', 2 * DAY], ['c', 2 * DAY + 20_000]], 2 * DAY],
    ['three of four links far off, but each elsewhere, are no majority', [['a', 0], ['b', DAY], ['c', 2 * DAY], ['d', 3 * DAY]], 0],
    ['votes within CLOCK_AGREE_MS of the median agree', [['x', 0], ['a', DAY], ['b', DAY + CLOCK_AGREE_MS]], DAY],
    ['votes further than CLOCK_AGREE_MS do not', [['x', 0], ['a', DAY], ['b', DAY + CLOCK_AGREE_MS + 1]], 0],
    ['a link votes once: its latest announce', [['a', 0], ['b', DAY], ['b', DAY]], 0],
    ['votes older than CLOCK_VOTE_MAX_AGE_MS no longer count', [['old', 0], ['older', 0], ['a', DAY, CLOCK_VOTE_MAX_AGE_MS + 1], ['b', DAY]], DAY],
    ['votes within CLOCK_VOTE_MAX_AGE_MS still do', [['old', 0], ['older', 0], ['a', DAY, CLOCK_VOTE_MAX_AGE_MS], ['b', DAY]], 0],
    ['moved once, it comes back when the neighbours say our clock is right again', [['a', 2 * DAY], ['b', 2 * DAY], ['a', 0, 1_000], ['b', 0]], 0],
    ['coming back, it takes its own clock exactly, not the neighbours\' median', [['a', 2 * DAY], ['a', 20_000, 1_000]], 0],
    ['moving, it takes the median', [['a', 0], ['b', 2 * DAY + 20_000], ['c', 2 * DAY]], 2 * DAY],
  ])('mesh time — %s', (_, steps, offset) => {
    const clock = new ManualClock(NOW)
    const time = new MeshTime(clock)
    const links = new Map<string, object>()
    for (const [name, skew, wait = 0] of steps) {
      clock.advance(wait)
      if (!links.has(name)) links.set(name, { name })
      time.vote(links.get(name)!, clock.now() + skew)
    }
    expect(time.offsetMs).toBe(offset)
    expect(time.now()).toBe(clock.now() + offset)
  })

  test('mesh time — vote says whether the offset moved', () => {
    const clock = new ManualClock(NOW)
    const time = new MeshTime(clock)
    const [a, b, c] = [{}, {}, {}]
    expect(time.vote(a, NOW + DAY)).toBe(true) // one link: followed
    expect(time.vote(b, NOW + DAY)).toBe(false) // agrees: nothing to move
    expect(time.vote(a, NOW + DAY + 10_000)).toBe(false) // within the step of the offset
    expect(time.vote(c, NOW)).toBe(false) // one of three
    expect(time.offsetMs).toBe(DAY)
  })

  test('mesh time — a timestamp past 2^53 ms is no vote', () => {
    const clock = new ManualClock(NOW)
    const time = new MeshTime(clock)
    expect(time.vote({}, 2 ** 64 - 1)).toBe(false)
    expect(time.vote({}, Number.MAX_SAFE_INTEGER + 1)).toBe(false)
    expect(time.offsetMs).toBe(0)
    expect(time.vote({}, Number.MAX_SAFE_INTEGER)).toBe(true) // one link, far off but still a clock
  })

  test('mesh time — a closed link\'s vote is forgotten', () => {
    const clock = new ManualClock(NOW)
    const time = new MeshTime(clock)
    const [honest, hostile, third] = [{}, {}, {}]
    time.vote(honest, NOW)
    time.vote(hostile, NOW + DAY)
    time.forget(honest)
    time.vote(third, NOW + DAY)
    expect(time.offsetMs).toBe(DAY)
    const pair = new MeshTime(clock)
    pair.vote(honest, NOW)
    pair.vote(hostile, NOW + DAY) // no majority while the honest vote stands
    expect(pair.offsetMs).toBe(0)
  })
})
