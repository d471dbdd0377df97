import { describe, expect, test } from 'vitest'
import { Engine } from '../../simulator/engine.js'
import { VirtualClock, SIM_EPOCH_MS } from '../../simulator/virtual-clock.js'

describe('VirtualClock', () => {
  test('VirtualClock — now is whole epoch milliseconds; timers fire and clear', async () => {
    const engine = new Engine()
    const clock = new VirtualClock(engine, 0)
    const fired: number[] = []
    clock.setTimer(2.5, () => fired.push(clock.now()))
    const t = clock.setTimer(3, () => fired.push(-1))
    clock.clearTimer(t)
    await engine.runUntil(10)
    expect(fired).toEqual([SIM_EPOCH_MS + 2])
    expect(clock.now()).toBe(SIM_EPOCH_MS + 10)
  })

  test('VirtualClock — kill silences pending and future timers', async () => {
    const engine = new Engine()
    const clock = new VirtualClock(engine, 0)
    const fired: string[] = []
    clock.setTimer(5, () => fired.push('pending'))
    clock.kill()
    clock.setTimer(1, () => fired.push('after'))
    expect(engine.pending).toBe(1) // a dead node's new timers are not even queued
    await engine.runUntil(10)
    expect(fired).toEqual([])
  })
})
