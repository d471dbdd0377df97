import { describe, expect, test } from 'vitest'
import { Engine } from '../../simulator/engine.js'
import { Connection, type LinkObserver } from '../../simulator/sim-link.js'

interface World { engine: Engine, connection: Connection, sent: number[], received: Array<[number, number]> }

interface WorldOptions { lossProbability?: number, queueFrames?: number, chance?: () => number, anchorMs?: number, onClosed?: (reason: string) => void }

function world (options: WorldOptions = {}): World {
  const engine = new Engine()
  const sent: number[] = []
  const received: Array<[number, number]> = []
  const observer: LinkObserver = { sent: (from) => sent.push(from), received: (to, frame) => received.push([to, frame[0]!]) }
  const connection = new Connection(engine, 0, 1, 20, options.anchorMs ?? 0, 182, 4, options.queueFrames ?? 16, -70.4, options.lossProbability ?? 0,
    { next: options.chance ?? (() => 0.99) }, observer, false, (_, reason) => options.onClosed?.(reason))
  return { engine, connection, sent, received }
}

/** Handlers that record what an end hears. */
function listen (heard: string[], name: string, frames: number[] = []): { onFrame: (f: Uint8Array) => void, onDrain: () => void, onClose: (r: string) => void } {
  return { onFrame: f => frames.push(f[0]!), onDrain: () => heard.push(`${name} drain`), onClose: r => heard.push(`${name} close ${r}`) }
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

  test('SimLink — a sender refused before attach hears onDrain when it attaches, once', async () => {
    const { engine, connection } = world({ queueFrames: 4 })
    const [a, b] = connection.ends
    b.attach({ onFrame: () => {}, onDrain: () => {}, onClose: () => {} })
    expect(Array.from({ length: 5 }, (_, i) => a.send(new Uint8Array([i])))).toEqual([true, true, true, true, false])
    await engine.runUntil(20) // the frames leave while nobody listens at a
    let drains = 0
    a.attach({ onFrame: () => {}, onDrain: () => { drains++ }, onClose: () => {} })
    expect(drains).toBe(1)
    await engine.runUntil(100)
    expect(drains).toBe(1)
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

  test('SimLink — each end: its ID, role, the other node\'s address and the rounded RSSI; endOf finds it by node', () => {
    const { connection } = world()
    const [a, b] = connection.ends
    expect([a.id, a.info, b.id, b.info]).toEqual(['0>1', { role: 'central', address: 'sim-1', rssi: -70 }, '1>0', { role: 'peripheral', address: 'sim-0', rssi: -70 }])
    expect([connection.endOf(0), connection.endOf(1)]).toEqual([a, b])
    expect(a.mtu).toBe(182)
    expect(a.send(new Uint8Array(182))).toBe(true)
  })

  test.each([
    ['a send before the anchor waits for it', 7, 0, [7]],
    ['a send at a connection event waits for the next one', 7, 27, [47]],
    ['a send between events takes the next', 7, 30, [47]],
    ['a send intervals before the anchor still waits for it', 47, 0, [47]],
  ])('SimLink — connection events lie on anchor + k · interval: %s', async (_, anchorMs, at, expected) => {
    const { engine, connection } = world({ anchorMs })
    const [a, b] = connection.ends
    const arrivals: number[] = []
    b.attach({ onFrame: () => arrivals.push(engine.now), onDrain: () => {}, onClose: () => {} })
    engine.now = at
    a.send(new Uint8Array([1]))
    await engine.runUntil(200)
    expect(arrivals).toEqual(expected)
  })

  test('SimLink — the queue is a ring: frames sent after some left wrap round and still arrive in order', async () => {
    const { engine, connection } = world({ queueFrames: 8 })
    const [a, b] = connection.ends
    const got: number[] = []
    a.attach(listen([], 'a'))
    b.attach(listen([], 'b', got))
    for (let i = 0; i < 8; i++) a.send(new Uint8Array([i]))
    await engine.runUntil(20) // 4 leave
    for (let i = 8; i < 12; i++) expect(a.send(new Uint8Array([i]))).toBe(true)
    expect(a.send(new Uint8Array([99]))).toBe(false)
    await engine.runUntil(100)
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    expect(engine.events).toBe(3) // one delivery event per interval while frames wait, none after
    a.send(new Uint8Array([12]))
    await engine.runUntil(200)
    expect(got.at(-1)).toBe(12)
  })

  test('SimLink — onDrain: never for a link that did not fill, once for one that did', async () => {
    const { engine, connection } = world({ queueFrames: 8 })
    const [a, b] = connection.ends
    const heard: string[] = []
    a.attach(listen(heard, 'a'))
    b.attach(listen(heard, 'b'))
    for (let i = 0; i < 4; i++) b.send(new Uint8Array([i]))
    for (let i = 0; i < 9; i++) a.send(new Uint8Array([i])) // the ninth is refused: a is full
    await engine.runUntil(100)
    expect(heard).toEqual(['a drain'])
  })

  test('SimLink — attempts fail only below the loss probability', async () => {
    const { engine, connection } = world({ lossProbability: 0.5, chance: () => 0.5 })
    const [a, b] = connection.ends
    const got: number[] = []
    b.attach(listen([], 'b', got))
    a.send(new Uint8Array([1]))
    await engine.runUntil(20)
    expect(got).toEqual([1])
  })

  test.each([
    ['closed by one end: both hear it, once', -1, ['a close bye', 'b close bye']],
    ['a crash of node 0: only node 1 hears it', 0, ['b close bye']],
  ])('SimLink — a connection %s', async (_, silent, expected) => {
    const closed: string[] = []
    const { engine, connection } = world({ onClosed: r => closed.push(r) })
    const [a, b] = connection.ends
    const heard: string[] = []
    a.attach(listen(heard, 'a'))
    b.attach(listen(heard, 'b'))
    connection.close('bye', silent)
    connection.close('again')
    a.close('and again')
    await engine.runUntil(100)
    expect(heard).toEqual(expected)
    expect(closed).toEqual(['bye'])
  })

  test('SimLink — attaching twice is an error; frames that waited for a link that then closed are not handed over', async () => {
    const { engine, connection } = world()
    const [a, b] = connection.ends
    a.attach(listen([], 'a'))
    expect(() => a.attach(listen([], 'a'))).toThrow(/already attached/)
    a.send(new Uint8Array([7]))
    await engine.runUntil(30) // arrives at b, which has not attached
    connection.close('gone')
    const got: number[] = []
    b.attach(listen([], 'b', got))
    expect(got).toEqual([])
  })

  test('SimLink — a node that closes the link while taking its early frames gets no more of them', async () => {
    const { engine, connection } = world()
    const [a, b] = connection.ends
    a.send(new Uint8Array([1]))
    a.send(new Uint8Array([2]))
    await engine.runUntil(30)
    const got: number[] = []
    b.attach({ onFrame: f => { got.push(f[0]!); b.close('enough') }, onDrain: () => {}, onClose: () => {} })
    expect(got).toEqual([1])
  })
})
