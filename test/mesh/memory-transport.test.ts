import { describe, expect, test } from 'vitest'
import { MemoryNetwork, type MemoryPipe, type MemoryTransport, type PipeOptions } from '../../src/mesh/memory-transport.js'
import type { Link } from '../../src/mesh/link.js'
import { SeededRandom } from '../../src/prng.js'
import { ManualClock } from '../helpers/manual-clock.js'

interface End { links: Link[], frames: Array<[string, number[]]>, drains: number, closes: string[] }

async function world (seed = 1): Promise<{ clock: ManualClock, net: MemoryNetwork, start: (t: MemoryTransport) => Promise<End> }> {
  const clock = new ManualClock()
  const net = new MemoryNetwork(clock, new SeededRandom(seed))
  const start = async (t: MemoryTransport): Promise<End> => {
    const end: End = { links: [], frames: [], drains: 0, closes: [] }
    await t.start({
      onLink: link => {
        end.links.push(link)
        link.attach({
          onFrame: f => end.frames.push([link.id, [...f]]),
          onDrain: () => { end.drains++ },
          onClose: r => end.closes.push(r),
        })
      },
    })
    return end
  }
  return { clock, net, start }
}

/** Transports a and b joined by one pipe, both started: the set-up most tests share. */
async function pair (options: PipeOptions = {}, seed = 1): Promise<{ clock: ManualClock, net: MemoryNetwork, a: MemoryTransport, b: MemoryTransport, pipe: MemoryPipe, ea: End, eb: End, start: (t: MemoryTransport) => Promise<End> }> {
  const { clock, net, start } = await world(seed)
  const a = net.createTransport('a')
  const b = net.createTransport('b')
  const pipe = net.connect(a, b, options)
  const ea = await start(a)
  const eb = await start(b)
  return { clock, net, a, b, pipe, ea, eb, start }
}

/** Steps the clock 1 ms at a time for `ms`, noting when each frame reached `end` (ms after the start). */
function arrivalTimes (clock: ManualClock, end: End, ms: number): number[] {
  const arrivals: number[] = []
  const t0 = clock.now()
  for (let t = 0; t < ms; t++) {
    clock.advance(1)
    while (arrivals.length < end.frames.length) arrivals.push(clock.now() - t0)
  }
  return arrivals
}

describe('MemoryTransport', () => {
  test('memory-transport — frames arrive after the latency, in order, copied', async () => {
    const { clock, ea, eb } = await pair({ latencyMs: 20 })
    const frame = Uint8Array.of(1, 2, 3)
    expect(ea.links[0]!.send(frame)).toBe(true)
    frame[0] = 9 // the sender reusing its buffer must not change the frame in flight
    expect(ea.links[0]!.send(Uint8Array.of(4))).toBe(true)
    clock.advance(19)
    expect(eb.frames).toEqual([])
    clock.advance(1)
    expect(eb.frames.map(f => f[1])).toEqual([[1, 2, 3], [4]])
  })

  test('memory-transport — a full pipe refuses frames and calls onDrain when it empties', async () => {
    const { clock, ea } = await pair({ inFlightFrames: 2, framesPerSecond: 100 })
    const link = ea.links[0]!
    expect(link.send(Uint8Array.of(1))).toBe(true)
    expect(link.send(Uint8Array.of(2))).toBe(true)
    expect(link.send(Uint8Array.of(3))).toBe(false)
    expect(ea.drains).toBe(0)
    clock.advance(100)
    expect(ea.drains).toBe(1)
    expect(link.send(Uint8Array.of(3))).toBe(true)
  })

  test('memory-transport — the rate limit spaces frames by their serialisation time', async () => {
    const { clock, ea, eb } = await pair({ latencyMs: 0, bytesPerSecond: 1000, inFlightFrames: 10 })
    ea.links[0]!.send(new Uint8Array(100))
    ea.links[0]!.send(new Uint8Array(100))
    clock.advance(100)
    expect(eb.frames.length).toBe(1)
    clock.advance(100)
    expect(eb.frames.length).toBe(2)
  })

  test('memory-transport — loss drops about the configured share, from the seed', async () => {
    const { clock, ea, eb } = await pair({ lossProbability: 0.3, inFlightFrames: 10_000 }, 7)
    for (let i = 0; i < 1000; i++) ea.links[0]!.send(Uint8Array.of(i & 0xff))
    clock.advance(1000)
    expect(eb.frames.length).toBeGreaterThan(600)
    expect(eb.frames.length).toBeLessThan(800)
  })

  test('memory-transport — a frame over the MTU is a programmer error', async () => {
    const { ea } = await pair({ mtu: 20 })
    expect(() => ea.links[0]!.send(new Uint8Array(21))).toThrow(/MTU/)
  })

  test('memory-transport — dropped pipes close both ends; restore brings fresh links', async () => {
    const { pipe, ea, eb } = await pair()
    const first = ea.links[0]!
    pipe.drop()
    expect(first.closed).toBe(true)
    expect(eb.links[0]!.closed).toBe(true)
    expect(ea.closes).toEqual(['link dropped'])
    expect(first.send(Uint8Array.of(1))).toBe(false)
    pipe.restore()
    expect(ea.links.length).toBe(2)
    expect(ea.links[1]!.closed).toBe(false)
    expect(ea.links[1]!.id).not.toBe(first.id)
  })

  test('memory-transport — stop delivers frames in flight, then closes; restart reconnects', async () => {
    const { clock, a, ea, eb, start } = await pair({ latencyMs: 10 })
    ea.links[0]!.send(Uint8Array.of(42))
    await a.stop()
    expect(eb.links[0]!.closed).toBe(false)
    clock.advance(10)
    expect(eb.frames.map(f => f[1])).toEqual([[42]])
    expect(eb.links[0]!.closed).toBe(true)
    const again = await start(a)
    expect(again.links.length).toBe(1)
    expect(eb.links.length).toBe(2)
  })

  test('memory-transport — the tap sees every delivered frame with its ends', async () => {
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b)
    const seen: string[] = []
    net.setTap((from, to, f) => seen.push(`${from}>${to}:${f.length}`))
    const ea = await start(a)
    const eb = await start(b)
    ea.links[0]!.send(new Uint8Array(3))
    eb.links[0]!.send(new Uint8Array(5))
    clock.advance(50)
    expect(seen.sort()).toEqual(['a>b:3', 'b>a:5'])
  })

  test.each<[string, (net: MemoryNetwork, a: MemoryTransport, start: (t: MemoryTransport) => Promise<End>) => Promise<unknown>, RegExp]>([
    ['a transport joined to itself', async (net, a) => net.connect(a, a), /to itself/],
    ['a transport started twice', async (_, a, start) => { await start(a); await start(a) }, /already started/],
    ['a link attached twice', async (net, a, start) => {
      const b = net.createTransport('b')
      net.connect(a, b)
      const ea = await start(a)
      await start(b)
      ea.links[0]!.attach({ onFrame: () => {}, onDrain: () => {}, onClose: () => {} })
    }, /attached twice/],
  ])('memory-transport — misuse is refused: %s', async (_, act, error) => {
    const { net, start } = await world()
    await expect(act(net, net.createTransport('a'), start)).rejects.toThrow(error)
  })

  test('memory-transport — each end knows its role, the other side\'s name and, when given, the RSSI', async () => {
    const { net, start } = await world()
    const [a, b, c] = ['a', 'b', 'c'].map(n => net.createTransport(n)) as [MemoryTransport, MemoryTransport, MemoryTransport]
    net.connect(a, b, { rssi: -70 })
    net.connect(a, c)
    const ea = await start(a)
    const eb = await start(b)
    const ec = await start(c)
    expect([...ea.links, ...eb.links, ...ec.links].map(l => l.info)).toStrictEqual([
      { role: 'central', address: 'b', rssi: -70 },
      { role: 'central', address: 'c' },
      { role: 'peripheral', address: 'a', rssi: -70 },
      { role: 'peripheral', address: 'a' },
    ])
  })

  test('memory-transport — a frames-per-second limit spaces frames by 1/rate', async () => {
    const { clock, ea, eb } = await pair({ latencyMs: 0, framesPerSecond: 100 })
    for (let i = 0; i < 3; i++) ea.links[0]!.send(Uint8Array.of(i))
    expect(arrivalTimes(clock, eb, 50)).toEqual([10, 20, 30])
  })

  test('memory-transport — jitter above the frame spacing delays each frame by up to its width, and reorders', async () => {
    const { clock, ea, eb } = await pair({ latencyMs: 10, jitterMs: 50, inFlightFrames: 100 }, 3)
    for (let i = 0; i < 40; i++) ea.links[0]!.send(Uint8Array.of(i))
    const arrivals = arrivalTimes(clock, eb, 80)
    expect(arrivals.length).toBe(40)
    expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(10)
    expect(Math.max(...arrivals)).toBeLessThanOrEqual(60)
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(30)
    const order = eb.frames.map(f => f[1][0]!)
    expect(order).not.toEqual([...order].sort((x, y) => x - y))
  })

  test('memory-transport — a sender refused before attach hears onDrain when it attaches, once', async () => {
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { inFlightFrames: 1 })
    await start(b)
    let aLink: Link | undefined
    await a.start({ onLink: link => { aLink = link } })
    expect([aLink!.send(Uint8Array.of(1)), aLink!.send(Uint8Array.of(2))]).toEqual([true, false])
    clock.advance(100) // the frame lands while nobody listens at a
    let drains = 0
    aLink!.attach({ onFrame: () => {}, onDrain: () => { drains++ }, onClose: () => {} })
    expect(drains).toBe(1)
    clock.advance(100)
    expect(drains).toBe(1)
  })

  test('memory-transport — a link that never filled never hears onDrain', async () => {
    const { clock, ea } = await pair({ inFlightFrames: 4 })
    for (let i = 0; i < 4; i++) ea.links[0]!.send(Uint8Array.of(i))
    clock.advance(100)
    expect(ea.drains).toBe(0)
  })

  test('memory-transport — frames that arrive before the node attaches wait for it', async () => {
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b)
    const ea = await start(a)
    let bLink: Link | undefined
    await b.start({ onLink: link => { bLink = link } })
    ea.links[0]!.send(Uint8Array.of(7))
    ea.links[0]!.send(Uint8Array.of(8))
    clock.advance(50)
    const got: number[] = []
    bLink!.attach({ onFrame: f => got.push(f[0]!), onDrain: () => {}, onClose: () => {} })
    expect(got).toEqual([7, 8])
    bLink!.close()
    bLink!.close() // closing twice is harmless
    expect(ea.closes).toEqual(['closed'])
    // A link the node never attached still closes cleanly.
    const c = net.createTransport('c')
    const ac = net.connect(a, c)
    let cLink: Link | undefined
    await c.start({ onLink: link => { cLink = link } })
    ac.drop()
    expect(cLink!.closed).toBe(true)
  })

  test('memory-transport — a stopping transport: its peer hears the reason, and frames to it are not delivered', async () => {
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { latencyMs: 10 })
    const seen: string[] = []
    net.setTap((from, to) => seen.push(`${from}>${to}`))
    const ea = await start(a)
    const eb = await start(b)
    ea.links[0]!.send(Uint8Array.of(1)) // keeps b's end open until it lands
    eb.links[0]!.send(Uint8Array.of(2)) // lands on a's closed end
    await a.stop()
    clock.advance(20)
    expect(seen).toEqual(['a>b'])
    expect(ea.frames).toEqual([])
    expect(eb.closes).toEqual(['transport stopped'])
  })

  test('memory-transport — closing a link is abrupt: the other end closes at once, frames in flight are lost', async () => {
    const { clock, ea, eb } = await pair({ latencyMs: 10 })
    ea.links[0]!.send(Uint8Array.of(1))
    ea.links[0]!.close('bye')
    expect(eb.links[0]!.closed).toBe(true)
    expect(eb.closes).toEqual(['bye'])
    clock.advance(20)
    expect(eb.frames).toEqual([])
  })

  test('memory-transport — a pipe is up only while its links are; a dropped one stays down across restarts, a cut one for good', async () => {
    const { clock, net, start } = await world()
    const [a, b, c] = ['a', 'b', 'c'].map(n => net.createTransport(n)) as [MemoryTransport, MemoryTransport, MemoryTransport]
    const ab = net.connect(a, b, { latencyMs: 10 })
    const ac = net.connect(a, c)
    ac.drop() // before anything started: nothing to close
    expect(ab.up).toBe(false)
    const ea = await start(a)
    expect(ab.up).toBe(false) // b not started yet
    await start(b)
    await start(c)
    expect([ab.up, ac.up]).toEqual([true, false])
    // a restarts while its last frame is still in flight: b's old end closes later and must not take the new link with it.
    ea.links[0]!.send(Uint8Array.of(1))
    await a.stop()
    const again = await start(a)
    clock.advance(20)
    expect(ab.up).toBe(true)
    expect(again.links.map(l => l.info.address)).toEqual(['b'])
    ab.restore() // already up: no second pair of links
    expect(again.links.length).toBe(1)
    ab.cut()
    expect(ab.up).toBe(false)
    expect(again.closes).toEqual(['pipe cut'])
    ab.restore()
    expect(ab.up).toBe(false)
    await a.stop()
    await start(a)
    expect([ab.up, ac.up]).toEqual([false, false])
    ac.restore()
    expect(ac.up).toBe(true)
  })
})
