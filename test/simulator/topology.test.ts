import { describe, expect, test } from 'vitest'
import { DEFAULT_RADIO, LINK_GATE_DBM, pairRssiDbm, rangeAtDbm } from '../../simulator/radio.js'
import { placeNodes } from '../../simulator/topology.js'
import { SeededRandom } from '../../src/prng.js'

function meanRadioDegree (xs: Float64Array, ys: Float64Array, seed: number): number {
  let heard = 0
  for (let i = 0; i < xs.length; i++) {
    for (let j = 0; j < xs.length; j++) {
      if (i === j) continue
      const d = Math.hypot(xs[i]! - xs[j]!, ys[i]! - ys[j]!)
      if (pairRssiDbm(DEFAULT_RADIO, seed, i, j, d) >= LINK_GATE_DBM) heard++
    }
  }
  return heard / xs.length
}

describe('placeNodes', () => {
  test('placeNodes — random: the square is sized so nodes hear about the requested number of neighbours', () => {
    for (const degree of [6, 10, 20]) {
      const p = placeNodes({ kind: 'random', nodes: 1500, meanDegree: degree }, DEFAULT_RADIO, new SeededRandom(degree))
      // Nodes near the edge hear fewer; a large square keeps that under ~15 %.
      const measured = meanRadioDegree(p.xs, p.ys, 5)
      expect(measured).toBeGreaterThan(degree * 0.8)
      expect(measured).toBeLessThan(degree * 1.05)
    }
  })

  test('placeNodes — line and grid use half the gate range by default', () => {
    const step = rangeAtDbm(DEFAULT_RADIO, DEFAULT_RADIO.gateDbm) / 2
    const line = placeNodes({ kind: 'line', nodes: 4 }, DEFAULT_RADIO, new SeededRandom(1))
    expect(Array.from(line.xs)).toEqual([0, step, 2 * step, 3 * step])
    const grid = placeNodes({ kind: 'grid', nodes: 9, spacingMetres: 10 }, DEFAULT_RADIO, new SeededRandom(1))
    expect(Array.from(grid.xs)).toEqual([0, 10, 20, 0, 10, 20, 0, 10, 20])
    expect(Array.from(grid.ys)).toEqual([0, 0, 0, 10, 10, 10, 20, 20, 20])
  })

  test('placeNodes — clusters stay inside the area; file keeps the given positions, the square starting at their corner', () => {
    const c = placeNodes({ kind: 'clusters', nodes: 200, clusters: 4, areaMetres: 100 }, DEFAULT_RADIO, new SeededRandom(2))
    for (let i = 0; i < 200; i++) expect(c.xs[i]! >= 0 && c.xs[i]! <= 100 && c.ys[i]! >= 0 && c.ys[i]! <= 100).toBe(true)
    expect([c.originX, c.originY]).toEqual([0, 0])
    const f = placeNodes({ kind: 'file', nodes: 2, positions: [{ x: 1, y: 2 }, { x: 30, y: 4 }] }, DEFAULT_RADIO, new SeededRandom(3))
    expect([...f.xs, ...f.ys]).toEqual([1, 30, 2, 4])
    expect(f.areaMetres).toBe(29)
    expect([f.originX, f.originY]).toEqual([1, 2])
  })

  test('placeNodes — same seed, same places', () => {
    const a = placeNodes({ kind: 'random', nodes: 50 }, DEFAULT_RADIO, new SeededRandom(9))
    const b = placeNodes({ kind: 'random', nodes: 50 }, DEFAULT_RADIO, new SeededRandom(9))
    expect(a).toEqual(b)
  })
})
