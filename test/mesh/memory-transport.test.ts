import { describe, expect, test } from 'vitest'
import { MemoryNetwork, type MemoryTransport } from '../../src/mesh/memory-transport.js'
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

describe('MemoryTransport', () => {
  test('memory-transport — frames arrive after the latency, in order, copied', async () => {
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { latencyMs: 20 })
    const ea = await start(a)
    const eb = await start(b)
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
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { inFlightFrames: 2, framesPerSecond: 100 })
    const ea = await start(a)
    await start(b)
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
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { latencyMs: 0, bytesPerSecond: 1000, inFlightFrames: 10 })
    const ea = await start(a)
    const eb = await start(b)
    ea.links[0]!.send(new Uint8Array(100))
    ea.links[0]!.send(new Uint8Array(100))
    clock.advance(100)
    expect(eb.frames.length).toBe(1)
    clock.advance(100)
    expect(eb.frames.length).toBe(2)
  })

  test('memory-transport — loss drops about the configured share, from the seed', async () => {
    const { clock, net, start } = await world(7)
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { lossProbability: 0.3, inFlightFrames: 10_000 })
    const ea = await start(a)
    const eb = await start(b)
    for (let i = 0; i < 1000; i++) ea.links[0]!.send(Uint8Array.of(i & 0xff))
    clock.advance(1000)
    expect(eb.frames.length).toBeGreaterThan(600)
    expect(eb.frames.length).toBeLessThan(800)
  })

  test('memory-transport — a frame over the MTU is a programmer error', async () => {
    const { net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { mtu: 20 })
    const ea = await start(a)
    await start(b)
    expect(() => ea.links[0]!.send(new Uint8Array(21))).toThrow(/MTU/)
  })

  test('memory-transport — dropped pipes close both ends; restore brings fresh links', async () => {
    const { net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    const pipe = net.connect(a, b)
    const ea = await start(a)
    const eb = await start(b)
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
    const { clock, net, start } = await world()
    const a = net.createTransport('a')
    const b = net.createTransport('b')
    net.connect(a, b, { latencyMs: 10 })
    const ea = await start(a)
    const eb = await start(b)
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
})
