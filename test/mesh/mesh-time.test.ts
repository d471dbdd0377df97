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
    ['a node with one link follows it forward (a Pi at the edge, linked to one phone)', [['a', 2 * DAY]], 2 * DAY],
    ['one link behind is not followed (a laptop whose one neighbour is a Pi without a real-time clock)', [['a', -2 * DAY]], 0],
    ['neighbours within the step of our clock leave it alone', [['a', 5_000], ['b', -CLOCK_STEP_MS], ['c', CLOCK_STEP_MS]], 0],
    ['a majority behind is not followed back (Pis that have not corrected yet)', [['a', 0], ['b', -DAY], ['c', -DAY]], 0],
    ['a clock ahead of all its neighbours stays ahead: they are never followed back', [['a', -2 * DAY], ['b', -2 * DAY]], 0],
    ['two links that disagree: the later clock (the middle of a chain of Pis)', [['b', 0], ['a', 2 * DAY]], 2 * DAY],
    ['one link behind among two leaves the clock', [['a', 0], ['b', -DAY]], 0],
    ['with no majority, the latest clock', [['a', 0], ['b', DAY], ['c', 2 * DAY], ['d', 3 * DAY]], 3 * DAY],
    ['two against two is no majority: the latest clock', [['a', 0], ['b', 0], ['c', DAY], ['d', DAY]], DAY],
    ['a majority moves it to its median, not to the latest clock', [['x', 0], ['y', 0], ['z', 0], ['x', 2 * DAY], ['y', 2 * DAY + 20_000]], 2 * DAY],
    ['votes within CLOCK_AGREE_MS of the median agree', [['x', 0], ['y', 0], ['z', 0], ['x', DAY], ['y', DAY + CLOCK_AGREE_MS]], DAY],
    ['votes further apart are no majority: the latest clock', [['x', 0], ['y', 0], ['z', 0], ['x', DAY], ['y', DAY + CLOCK_AGREE_MS + 1]], DAY + CLOCK_AGREE_MS + 1],
    ['a link votes once: its latest announce', [['a', 0], ['c', 0], ['b', DAY], ['b', DAY]], 0],
    ['votes older than CLOCK_VOTE_MAX_AGE_MS no longer count', [['old', 0], ['older', 0], ['x', 0, CLOCK_VOTE_MAX_AGE_MS + 1], ['a', DAY]], DAY],
    ['votes within CLOCK_VOTE_MAX_AGE_MS still do', [['old', 0], ['older', 0], ['x', 0, CLOCK_VOTE_MAX_AGE_MS], ['a', DAY]], 0],
    ['moved once, it comes back when the neighbours say our clock is right again', [['a', 2 * DAY], ['b', 2 * DAY], ['a', 0, 1_000], ['b', 0]], 0],
    ['coming back, it takes its own clock exactly, not the neighbours\' median', [['a', 2 * DAY], ['a', 20_000, 1_000]], 0],
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
    expect(time.vote(a, NOW + DAY)).toBe(true) // one link, ahead: followed
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
    const [a, b, c] = [{}, {}, {}]
    time.vote(a, NOW)
    time.vote(b, NOW)
    time.forget(a)
    time.forget(b)
    time.vote(c, NOW + DAY)
    expect(time.offsetMs).toBe(DAY)
    const kept = new MeshTime(clock)
    kept.vote(a, NOW)
    kept.vote(b, NOW)
    kept.vote(c, NOW + DAY) // two of three say our clock is right
    expect(kept.offsetMs).toBe(0)
  })
})
