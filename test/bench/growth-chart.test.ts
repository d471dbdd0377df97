import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { type GrowthPoint, growthChart, parseGrowth } from '../../bench/growth-chart.js'

const DOCS = join(import.meta.dirname, '../../docs')
const RUNS: GrowthPoint[] = [
  { nodes: 10_000, wallSeconds: 500, peakRssMb: 2_000, commit: 'c' },
  { nodes: 100, wallSeconds: 1, peakRssMb: 100, commit: 'a' },
  { nodes: 1_000, wallSeconds: 20, peakRssMb: 400, commit: 'b' },
]

/** [x, y] of each drawn point, panel after panel. */
function points (svg: string): Array<[number, number]> {
  return [...svg.matchAll(/<circle class="point" cx="([\d.]+)" cy="([\d.]+)"/g)].map(m => [Number(m[1]), Number(m[2])])
}

describe('growthChart', () => {
  test('growthChart — the checked-in docs/growth.svg is what docs/growth.json draws', () => {
    const data = parseGrowth(readFileSync(join(DOCS, 'growth.json'), 'utf8'))
    expect(readFileSync(join(DOCS, 'growth.svg'), 'utf8')).toBe(growthChart(data))
  })

  test('growthChart — each run is a point in both panels, in order of nodes, on logarithmic axes', () => {
    const p = points(growthChart(RUNS))
    expect(p).toHaveLength(6)
    // Nodes 100 → 10 000 over a 100 → 10 000 axis: evenly spaced, from the panel's left edge.
    const [a, b, c] = p.slice(0, 3).map(([x]) => x)
    expect(b! - a!).toBeCloseTo(c! - b!, 0)
    expect(b! - a!).toBeGreaterThan(50)
    // Wall time 1 → 20 → 500: rising on screen (y falls); 20× and 25× are near-equal steps on a log axis.
    const ys = p.slice(0, 3).map(([, y]) => y)
    expect(ys[0]! > ys[1]! && ys[1]! > ys[2]!).toBe(true)
    expect((ys[0]! - ys[1]!) / (ys[1]! - ys[2]!)).toBeCloseTo(Math.log(20) / Math.log(25), 1)
  })

  test('growthChart — the dashed line runs in proportion to the nodes from the 1 000-node run', () => {
    const svg = growthChart(RUNS)
    const line = /<line class="proportional" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/.exec(svg)!
    const [, x1, y1, x2] = line.map(Number)
    const [, thousand, tenThousand] = points(svg)
    expect([x1, y1]).toEqual(thousand)
    expect(x2).toBe(tenThousand![0])
    // 10× the nodes, 10× the 20 s: one decade above the 1 000-node point, where 500 s is 1.4 decades up.
    const y2 = Number(line[4])
    expect((y1! - y2) / (y1! - tenThousand![1])).toBeCloseTo(1 / Math.log10(25), 2)
    expect(svg).toContain('in proportion to the nodes from 1 000')
  })
})

describe('parseGrowth', () => {
  test.each([
    ['{}', /expected an array/],
    ['[{"nodes": 100, "wallSeconds": 1, "commit": "a"}]', /run 0: 'peakRssMb' must be a positive number/],
    ['[{"nodes": 0, "wallSeconds": 1, "peakRssMb": 1, "commit": "a"}]', /run 0: 'nodes' must be a positive number/],
    ['[{"nodes": 1, "wallSeconds": 1, "peakRssMb": 1}]', /run 0: 'commit' must be a string/],
  ])('parseGrowth — %s is refused: %s', (json, message) => {
    expect(() => parseGrowth(json)).toThrow(message)
  })
})
