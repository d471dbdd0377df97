import { describe, expect, test } from 'vitest'
import { Engine, EventKind } from '../../simulator/engine.js'
import { VirtualClock, SIM_EPOCH_MS } from '../../simulator/virtual-clock.js'

function script (engine: Engine, log: string[]): void {
  engine.call(10, EventKind.custom, 1, () => log.push(`a@${engine.now}`))
  engine.call(5, EventKind.custom, 2, () => {
    log.push(`b@${engine.now}`)
    engine.call(5, EventKind.custom, 3, () => log.push(`c@${engine.now}`))
  })
  const cancelled = engine.call(7, EventKind.custom, 4, () => log.push('never'))
  cancelled.cancelled = true
}

describe('Engine', () => {
  test('Engine — fires in time order, same-time events in scheduling order, skips cancelled', async () => {
    const engine = new Engine()
    const log: string[] = []
    script(engine, log)
    await engine.runUntil(100)
    expect(log).toEqual(['b@5', 'a@10', 'c@10'])
    expect(engine.events).toBe(3)
    expect(engine.now).toBe(100)
  })

  test('Engine — stops at the horizon and leaves later events pending', async () => {
    const engine = new Engine()
    const log: string[] = []
    script(engine, log)
    await engine.runUntil(9)
    expect(log).toEqual(['b@5'])
    expect(engine.pending).toBe(2)
  })

  test('Engine — the trace hash is a function of the fired sequence', async () => {
    const hashOf = async (delay: number): Promise<string> => {
      const engine = new Engine()
      engine.call(delay, EventKind.custom, 1, () => {})
      engine.call(3, EventKind.scan, 2, () => {})
      await engine.runUntil(50)
      return engine.traceHash
    }
    expect(await hashOf(4)).toBe(await hashOf(4))
    expect(await hashOf(4)).not.toBe(await hashOf(5))
  })

  test('Engine — requestDrain lets promise continuations run at the same virtual time', async () => {
    const engine = new Engine()
    const seen: number[] = []
    engine.call(10, EventKind.custom, 0, () => {
      engine.requestDrain()
      void (async () => { await Promise.resolve(); await Promise.resolve(); seen.push(engine.now) })()
    })
    engine.call(20, EventKind.custom, 0, () => seen.push(engine.now))
    await engine.runUntil(30)
    expect(seen).toEqual([10, 20])
  })
})

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
    await engine.runUntil(10)
    expect(fired).toEqual([])
  })
})
