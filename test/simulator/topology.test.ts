import { describe, expect, test } from 'vitest'
import { DEFAULT_RADIO, LINK_GATE_DBM, pairRssiDbm, rangeAtDbm } from '../../simulator/radio.js'
import { placeNodes } from '../../simulator/topology.js'
import type { TopologySpec } from '../../simulator/scenario.js'
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

  test.each([
    ['a line of 4 at 10 m', { kind: 'line', nodes: 4, spacingMetres: 10 }, 30],
    ['a line of 1: one spacing', { kind: 'line', nodes: 1, spacingMetres: 10 }, 10],
    ['a grid of 10 (4 columns) at 5 m', { kind: 'grid', nodes: 10, spacingMetres: 5 }, 15],
    ['positions taller than wide', { kind: 'file', nodes: 3, positions: [{ x: 5, y: -10 }, { x: 8, y: 30 }, { x: 6, y: 0 }] }, 40],
    ['a single position: at least 1 m', { kind: 'file', nodes: 1, positions: [{ x: 5, y: 5 }] }, 1],
  ] as Array<[string, TopologySpec, number]>)('placeNodes — the square\'s side for %s', (_, spec, side) => {
    expect(placeNodes(spec, DEFAULT_RADIO, new SeededRandom(1)).areaMetres).toBe(side)
  })

  test('placeNodes — clusters: members gather within about the cluster radius of their centre', () => {
    const k = 4
    const c = placeNodes({ kind: 'clusters', nodes: 400, clusters: k, areaMetres: 10_000, clusterRadiusMetres: 20 }, DEFAULT_RADIO, new SeededRandom(4))
    for (let cluster = 0; cluster < k; cluster++) {
      const members = Array.from({ length: 400 / k }, (_, m) => m * k + cluster)
      const mx = members.reduce((sum, i) => sum + c.xs[i]!, 0) / members.length
      const my = members.reduce((sum, i) => sum + c.ys[i]!, 0) / members.length
      const rms = Math.sqrt(members.reduce((sum, i) => sum + (c.xs[i]! - mx) ** 2 + (c.ys[i]! - my) ** 2, 0) / members.length)
      expect(rms).toBeGreaterThan(20 * Math.SQRT2 * 0.8) // two Gaussian axes of σ = 20 m
      expect(rms).toBeLessThan(20 * Math.SQRT2 * 1.2)
    }
  })

  test('placeNodes — clusters wider than the area are pressed against its edges, not beyond', () => {
    const c = placeNodes({ kind: 'clusters', nodes: 200, clusters: 2, areaMetres: 10, clusterRadiusMetres: 100 }, DEFAULT_RADIO, new SeededRandom(6))
    expect([Math.min(...c.xs, ...c.ys), Math.max(...c.xs, ...c.ys)]).toEqual([0, 10])
    expect(c.xs.some(x => x > 0 && x < 10)).toBe(true)
  })
})
