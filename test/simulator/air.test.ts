import { describe, expect, test } from 'vitest'
import { Air } from '../../simulator/air.js'
import { type BleProfile, PROFILES } from '../../simulator/ble-profile.js'
import { Engine } from '../../simulator/engine.js'
import { DEFAULT_RADIO, LINK_BREAK_AFTER_MS } from '../../simulator/radio.js'
import type { Link } from '../../src/mesh/link.js'
import { SeededRandom } from '../../src/prng.js'

function air (xs: number[], ys: number[], maxLinks = 7, profile: BleProfile = PROFILES.phone!): { engine: Engine, air: Air, links: Link[][], x: Float64Array } {
  const engine = new Engine()
  const r = new SeededRandom('air')
  const x = Float64Array.from(xs)
  const a = new Air({
    engine, radio: { ...DEFAULT_RADIO, shadowingSigmaDb: 0 }, shadowSeed: 1, profiles: xs.map(() => ({ ...profile, maxLinks })),
    xs: x, ys: Float64Array.from(ys), discoveryRandom: r.fork('d'), connectRandom: r.fork('c'), lossRandom: r.fork('l'),
    observer: { sent: () => {}, received: () => {} },
  })
  const links: Link[][] = xs.map(() => [])
  xs.forEach((_, i) => a.activate(i, (l) => { links[i]!.push(l); l.attach({ onFrame: () => {}, onDrain: () => {}, onClose: () => {} }) }))
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

  test('Air — a link breaks once its ends have been apart for LINK_BREAK_AFTER_MS', async () => {
    const { engine, air: a, x } = air([0, 5], [0, 0])
    await engine.runUntil(16_000)
    expect(a.connections.size).toBe(1)
    x[1] = 200
    a.positionsChanged()
    a.checkLinks()
    expect(a.connections.size).toBe(1)
    await engine.runUntil(16_000 + LINK_BREAK_AFTER_MS)
    a.checkLinks()
    expect(a.connections.size).toBe(0)
    expect(a.broken).toBe(1)
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
})
