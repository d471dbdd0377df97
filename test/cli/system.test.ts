import { describe, expect, test } from 'vitest'
import { systemClock, systemRandom } from '../../cli/system.js'

describe('system', () => {
  test('systemRandom — next, int and bytes stay in range', () => {
    for (let i = 0; i < 10_000; i++) {
      const x = systemRandom.next()
      expect(x >= 0 && x < 1).toBe(true)
      const n = systemRandom.int(7)
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true)
    }
    expect(systemRandom.bytes(33)).toHaveLength(33)
  })

  test('systemClock — fires a timer and forgets a cleared one', async () => {
    const fired: string[] = []
    const cleared = systemClock.setTimer(1, () => fired.push('cleared'))
    systemClock.clearTimer(cleared)
    await new Promise<void>(resolve => systemClock.setTimer(5, () => { fired.push('kept'); resolve() }))
    expect(fired).toEqual(['kept'])
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000)
  })
})
