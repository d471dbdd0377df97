import { describe, expect, test } from 'vitest'
import { type BleProfile, PROFILES } from '../../simulator/ble-profile.js'
import { Engine } from '../../simulator/engine.js'
import { DEFAULT_RADIO, LINK_BREAK_AFTER_MS, meanRssiDbm } from '../../simulator/radio.js'
import { Air, GRACEFUL_CLOSE_MS } from '../../simulator/air.js'
import type { Link } from '../../src/mesh/link.js'
import { SeededRandom } from '../../src/prng.js'

/** An Air over `profiles` at (xs, ys), without shadowing; nodes are not activated. */
function bare (profiles: BleProfile[], xs: Float64Array, ys: Float64Array, seed = 'air', copyFrames = false): { engine: Engine, air: Air } {
  const engine = new Engine()
  const r = new SeededRandom(seed)
  const a = new Air({
    engine, radio: { ...DEFAULT_RADIO, shadowingSigmaDb: 0 }, shadowSeed: 1, profiles, xs, ys,
    discoveryRandom: r.fork('d'), connectRandom: r.fork('c'), lossRandom: r.fork('l'), observer: { sent: () => {}, received: () => {} }, copyFrames,
  })
  return { engine, air: a }
}

const quiet = { onFrame: () => {}, onDrain: () => {}, onClose: () => {} }

function air (xs: number[], ys: number[], maxLinks = 7, profile: BleProfile = PROFILES.phone!): { engine: Engine, air: Air, links: Link[][], x: Float64Array } {
  const x = Float64Array.from(xs)
  const { engine, air: a } = bare(xs.map(() => ({ ...profile, maxLinks })), x, Float64Array.from(ys))
  const links: Link[][] = xs.map(() => [])
  xs.forEach((_, i) => a.activate(i, (l) => { links[i]!.push(l); l.attach(quiet) }))
  return { engine, air: a, links, x }
}

describe('Air', () => {
  test('Air — neighbours within the gate connect, never beyond the link cap, with the profile MTU', async () => {
    const n = 12
    const { engine, air: a, links } = air(Array.from({ length: n }, (_, i) => i * 0.3), new Array(n).fill(0), 3)
    await engine.runUntil(30_000)
    for (let i = 0; i < n; i++) {
      expect(a.degree(i)).toBeLessThanOrEqual(3)
      expect(a.degree(i)).toBeGreaterThan(0)
    }
    expect(a.connections.size).toBeGreaterThanOrEqual(n)
    expect(links[0]![0]!.mtu).toBe(PROFILES.phone!.attMtu - 3)
  })

  test('Air — nodes out of range never connect', async () => {
    const { engine, air: a } = air([0, 100], [0, 0])
    await engine.runUntil(60_000)
    expect(a.connections.size).toBe(0)
  })

  test('Air — a link breaks once its ends have been apart for LINK_BREAK_AFTER_MS without a break', async () => {
    const x = Float64Array.of(0, 5)
    const { engine, air: a } = bare([PROFILES.phone!, PROFILES.phone!], x, new Float64Array(2))
    const closes: string[] = []
    for (const i of [0, 1]) a.activate(i, l => l.attach({ onFrame: () => {}, onDrain: () => {}, onClose: reason => closes.push(reason) }))
    await engine.runUntil(16_000)
    expect([a.connections.size, a.opened]).toEqual([1, 1])
    const apart = (far: boolean): void => { x[1] = far ? 200 : 5; a.positionsChanged(); a.checkLinks() }
    apart(true) // below the gate from 16 s
    await engine.runUntil(16_000 + LINK_BREAK_AFTER_MS - 1)
    apart(false) // back just in time: the clock restarts
    apart(true) // and away again
    await engine.runUntil(16_000 + 2 * LINK_BREAK_AFTER_MS - 2)
    a.checkLinks()
    expect(a.connections.size).toBe(1)
    await engine.runUntil(16_000 + 2 * LINK_BREAK_AFTER_MS - 1)
    a.checkLinks()
    expect([a.connections.size, a.broken]).toEqual([0, 1])
    await engine.runUntil(16_000 + 2 * LINK_BREAK_AFTER_MS)
    expect(closes).toEqual(['out of range', 'out of range'])
  })

  test.each([
    // [profile, frames every second on every link, earliest and latest time from the move to the new link]
    ['our nodes scan without pause', PROFILES.pi!, false, 0, 5_700],
    ['iPhones with 3 quiet links scan 5 s in 15', PROFILES.phone!, false, 8_000, 15_700],
    ['iPhones that heard a frame in the last 10 s keep scanning', PROFILES.phone!, true, 0, 5_700],
  ] as Array<[string, BleProfile, boolean, number, number]>)('Air — %s: a node that walks up is found at the next scan window', async (_, profile, traffic, earliest, latest) => {
    // Two clusters of four, 100 m apart; every node links to its cluster (3 links).
    const xs = [0, 0.5, 1, 1.5, 100, 100.5, 101, 101.5]
    const { engine, air: a, links, x } = air(xs, new Array(8).fill(0), 7, profile)
    const chatter = (): void => { for (const l of links.flat()) l.send(new Uint8Array([1, 7, 0])) }
    for (let t = 1_000; t < 26_000; t += 1_000) {
      await engine.runUntil(t)
      if (traffic) chatter()
    }
    await engine.runUntil(26_000)
    for (let i = 0; i < 8; i++) expect(a.degree(i)).toBe(3)
    x[4] = 2
    a.positionsChanged()
    const linked = (): boolean => [0, 1, 2, 3].some(j => a.nodes[4]!.connections.has(j))
    let at = -1
    for (let t = 26_000; t <= 45_000 && at < 0; t += 100) {
      await engine.runUntil(t)
      if (traffic && t % 1_000 === 0) chatter()
      if (linked()) at = t - 26_000
    }
    expect(at).toBeGreaterThanOrEqual(earliest)
    expect(at).toBeLessThanOrEqual(latest)
  })

  test('Air — hopDistances follows the link graph', async () => {
    const step = 8
    const { engine, air: a } = air([0, step, 2 * step, 3 * step, 500], [0, 0, 0, 0, 0])
    await engine.runUntil(60_000)
    const out = new Uint8Array(5)
    a.hopDistances(0, out)
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 0])
  })

  test('Air — RSSI follows the straight-line distance, both axes counted', () => {
    const { air: a } = bare([PROFILES.phone!, PROFILES.phone!], Float64Array.of(1, 4), Float64Array.of(-2, 2), 'rssi')
    expect(a.rssi(0, 1)).toBeCloseTo(meanRssiDbm(DEFAULT_RADIO, 5), 12)
  })

  test('Air — two profiles meet on what both allow: the smaller MTU, packets per event and queue; copyFrames reaches the link', async () => {
    const small: BleProfile = { ...PROFILES.phone!, attMtu: 185, packetsPerEvent: 4, queueFrames: 64, connectionIntervalMinMs: 15, connectionIntervalMaxMs: 30 }
    const large: BleProfile = { ...PROFILES.android!, attMtu: 512, packetsPerEvent: 2, queueFrames: 32, connectionIntervalMinMs: 20, connectionIntervalMaxMs: 50 }
    const received: Uint8Array[] = []
    const { engine, air: a } = bare([small, large], Float64Array.of(0, 2), Float64Array.of(0, 0), 'negotiate', true)
    const links: Link[][] = [[], []]
    for (const i of [0, 1]) a.activate(i, l => { links[i]!.push(l); l.attach({ onFrame: f => received.push(f), onDrain: () => {}, onClose: () => {} }) })
    await engine.runUntil(20_000)
    expect(links.map(l => l.length)).toEqual([1, 1]) // each end handed to its node
    expect(links.map(l => l[0]!.mtu)).toEqual([182, 182])
    const [c] = [...a.connections]
    expect(c!.packetsPerEvent).toBe(2)
    const sent = new Uint8Array([1, 2, 3])
    let accepted = 0
    while (links[0]![0]!.send(sent)) accepted++
    expect(accepted).toBe(32)
    await engine.runUntil(21_000)
    expect(received[0]).toEqual(sent)
    expect(received[0]).not.toBe(sent) // copyFrames reaches the connection
  })

  test('Air — a graceful stop keeps links 250 ms for what is queued; a crash drops them at once; a restart links afresh', async () => {
    const { engine, air: a, links } = air([0, 2, 4], [0, 0, 0])
    await engine.runUntil(20_000)
    expect([a.degree(0), a.degree(1), a.degree(2)]).toEqual([2, 2, 2])
    a.deactivate(0, 'leaving')
    a.deactivate(0, 'twice is nothing')
    await engine.runUntil(20_000 + GRACEFUL_CLOSE_MS - 1)
    expect(a.degree(0)).toBe(2)
    await engine.runUntil(20_000 + GRACEFUL_CLOSE_MS)
    expect([a.degree(0), a.degree(1), a.isActive(0)]).toEqual([0, 1, false])
    a.deactivate(1, 'crash', true)
    expect([a.degree(1), a.degree(2)]).toEqual([0, 0])
    expect(() => a.activate(2, () => {})).toThrow(/already active/)
    const before = links[0]!.length
    a.activate(0, l => { links[0]!.push(l); l.attach(quiet) })
    await engine.runUntil(40_000)
    expect(links[0]!.length).toBe(before + 1) // to node 2; node 1 is down
    expect(a.linkPairs().map(p => [...p].sort().join('-'))).toEqual(['0-2'])
  })

  test('Air — a restart while a graceful stop is still flushing ends the old links first', async () => {
    const { engine, air: a, links } = air([0, 2], [0, 0])
    await engine.runUntil(20_000)
    const old = links[0]![0]!
    a.deactivate(0, 'leaving')
    a.activate(0, l => { links[0]!.push(l); l.attach(quiet) })
    expect(old.closed).toBe(true)
    expect(a.degree(0)).toBe(0)
    await engine.runUntil(40_000)
    expect(a.degree(0)).toBe(1)
  })

  test('Air — hop distances over current links: 1 for the origin, 0 outside its component or when it is down', async () => {
    // 10 m apart: each node hears only the next (−86 dBm at 10 m, −94 at 20 m, gate −90).
    const { engine, air: a } = air([0, 10, 20, 30, 200], [0, 0, 0, 0, 0])
    await engine.runUntil(30_000)
    const out = new Uint8Array(5)
    a.hopDistances(1, out)
    expect([...out]).toEqual([2, 1, 2, 3, 0])
    a.deactivate(1, 'crash', true)
    a.hopDistances(1, out)
    expect([...out]).toEqual([0, 0, 0, 0, 0])
  })

  test('Air — the interval two profiles agree on lies in both ranges, on the 1.25 ms grid, over many connections', async () => {
    const pairs = 12
    const profiles = Array.from({ length: 2 * pairs }, (_, i): BleProfile => i % 2 === 0
      ? { ...PROFILES.pi!, connectionIntervalMinMs: 15, connectionIntervalMaxMs: 30 }
      : { ...PROFILES.pi!, connectionIntervalMinMs: 20, connectionIntervalMaxMs: 50 })
    const { engine, air: a } = bare(profiles, Float64Array.from(profiles, (_, i) => Math.floor(i / 2) * 100 + (i % 2) * 2), new Float64Array(2 * pairs), 'intervals')
    for (let i = 0; i < 2 * pairs; i++) a.activate(i, l => l.attach(quiet))
    await engine.runUntil(10_000)
    const intervals = [...a.connections].map(c => c.intervalMs)
    expect(intervals.length).toBe(pairs)
    for (const t of intervals) {
      expect(t).toBeGreaterThanOrEqual(20)
      expect(t).toBeLessThanOrEqual(30)
      expect(t / 1.25).toBe(Math.round(t / 1.25))
    }
    expect(new Set(intervals).size).toBeGreaterThan(3)
  })

  test('Air — hop distances past 254 hops stay at 255, never wrap to "unreachable"', async () => {
    const n = 300
    const { engine, air: a } = air(Array.from({ length: n }, (_, i) => i * 10), new Array(n).fill(0), 2, PROFILES.pi!)
    await engine.runUntil(15_000)
    const out = new Uint8Array(n)
    a.hopDistances(0, out)
    expect([out[0], out[1], out[253], out[254], out[299]]).toEqual([1, 2, 254, 255, 255])
  })
})
