import { describe, expect, test } from 'vitest'
import { Engine, EventKind } from '../../simulator/engine.js'

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

describe('Engine — edges', () => {
  test('Engine — time never runs backwards: events for the past fire now; a horizon behind now leaves it', async () => {
    const engine = new Engine()
    const log: string[] = []
    engine.call(10, EventKind.custom, 0, () => {
      engine.at(3, { kind: EventKind.custom, node: 0, cancelled: false, fire: () => log.push(`past@${engine.now}`) })
      engine.call(-5, EventKind.custom, 0, () => log.push(`negative@${engine.now}`))
    })
    engine.call(40, EventKind.custom, 0, () => log.push(`later@${engine.now}`))
    await engine.runUntil(20)
    expect([log, engine.now]).toEqual([['past@10', 'negative@10'], 20])
    await engine.runUntil(5)
    expect(engine.now).toBe(20)
    await engine.runUntil(Infinity)
    expect([log.at(-1), engine.now]).toEqual(['later@40', 40])
  })

  test.each([
    ['every 3 events', 7, -1, [3, 6]],
    ['and after an event that asks for a drain', 7, 1, [2, 5]],
  ])('Engine — runUntil yields %s', async (_, count, drainAt, expected) => {
    const engine = new Engine()
    for (let i = 0; i < count; i++) engine.call(i, EventKind.custom, 0, () => { if (i === drainAt) engine.requestDrain() })
    const yields: number[] = []
    await engine.runUntil(100, () => yields.push(engine.events), 3)
    expect(yields).toEqual(expected)
  })

  test('Engine — the trace hash covers the whole time: events 2³² µs apart hash apart', async () => {
    const hashAt = async (ms: number): Promise<string> => {
      const engine = new Engine()
      engine.call(ms, EventKind.custom, 1, () => {})
      await engine.runUntil(Infinity)
      return engine.traceHash
    }
    expect(await hashAt(1)).not.toBe(await hashAt(1 + 4_294_967.296))
    expect(await hashAt(1)).toMatch(/^[0-9a-f]{8}$/)
  })
})
