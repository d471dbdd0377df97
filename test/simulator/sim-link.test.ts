import { describe, expect, test } from 'vitest'
import { Engine } from '../../simulator/engine.js'
import { Connection, type LinkObserver } from '../../simulator/sim-link.js'

interface World { engine: Engine, connection: Connection, sent: number[], received: Array<[number, number]> }

function world (options: { lossProbability?: number, queueFrames?: number, chance?: () => number } = {}): World {
  const engine = new Engine()
  const sent: number[] = []
  const received: Array<[number, number]> = []
  const observer: LinkObserver = { sent: (from) => sent.push(from), received: (to, frame) => received.push([to, frame[0]!]) }
  const connection = new Connection(engine, 0, 1, 20, 0, 182, 4, options.queueFrames ?? 16, -70, options.lossProbability ?? 0,
    { next: options.chance ?? (() => 0.99) }, observer, false, () => {})
  return { engine, connection, sent, received }
}

describe('SimLink', () => {
  test('SimLink — frames wait for the next connection event, at most 4 per event per direction', async () => {
    const { engine, connection } = world()
    const [a, b] = connection.ends
    const arrivals: Array<[number, number]> = []
    b.attach({ onFrame: (f) => arrivals.push([engine.now, f[0]!]), onDrain: () => {}, onClose: () => {} })
    a.attach({ onFrame: () => {}, onDrain: () => {}, onClose: () => {} })
    engine.now = 5
    for (let i = 0; i < 6; i++) expect(a.send(new Uint8Array([i]))).toBe(true)
    await engine.runUntil(100)
    expect(arrivals).toEqual([[20, 0], [20, 1], [20, 2], [20, 3], [40, 4], [40, 5]])
  })

  test('SimLink — send says full at the queue bound and onDrain follows once frames leave', async () => {
    const { engine, connection } = world({ queueFrames: 8 })
    const [a, b] = connection.ends
    let drains = 0
    a.attach({ onFrame: () => {}, onDrain: () => { drains++ }, onClose: () => {} })
    b.attach({ onFrame: () => {}, onDrain: () => {}, onClose: () => {} })
    for (let i = 0; i < 8; i++) expect(a.send(new Uint8Array([i]))).toBe(true)
    expect(a.send(new Uint8Array([9]))).toBe(false)
    expect(a.queued).toBe(8)
    expect(drains).toBe(0)
    await engine.runUntil(20)
    expect(drains).toBe(1)
    expect(a.queued).toBe(4)
    expect(a.send(new Uint8Array([10]))).toBe(true)
  })

  test('SimLink — a failed attempt is retried in a later slot, in order', async () => {
    // Fail every other attempt.
    let k = 0
    const { engine, connection } = world({ lossProbability: 0.5, chance: () => (k++ % 2 === 0 ? 0 : 0.99) })
    const [a, b] = connection.ends
    const got: number[] = []
    b.attach({ onFrame: (f) => got.push(f[0]!), onDrain: () => {}, onClose: () => {} })
    for (let i = 0; i < 4; i++) a.send(new Uint8Array([i]))
    await engine.runUntil(20)
    expect(got).toEqual([0, 1])
    await engine.runUntil(40)
    expect(got).toEqual([0, 1, 2, 3])
  })

  test('SimLink — frames larger than the MTU are a programmer error; closed links refuse quietly', async () => {
    const { engine, connection } = world()
    const [a, b] = connection.ends
    const closes: string[] = []
    a.attach({ onFrame: () => {}, onDrain: () => {}, onClose: (r) => closes.push(`a:${r}`) })
    b.attach({ onFrame: () => { throw new Error('nothing should arrive') }, onDrain: () => {}, onClose: (r) => closes.push(`b:${r}`) })
    expect(() => a.send(new Uint8Array(183))).toThrow(/MTU/)
    a.send(new Uint8Array(10))
    a.close('bye')
    expect(a.closed && b.closed).toBe(true)
    expect(a.send(new Uint8Array(1))).toBe(false)
    expect(closes).toEqual([])
    await engine.runUntil(100)
    expect(closes).toEqual(['a:bye', 'b:bye'])
  })

  test('SimLink — frames that arrive before attach are handed over on attach', async () => {
    const { engine, connection, sent, received } = world()
    const [a, b] = connection.ends
    a.send(new Uint8Array([7]))
    await engine.runUntil(30)
    const got: number[] = []
    b.attach({ onFrame: (f) => got.push(f[0]!), onDrain: () => {}, onClose: () => {} })
    expect(got).toEqual([7])
    expect(sent).toEqual([0])
    expect(received).toEqual([[1, 7]])
  })
})
