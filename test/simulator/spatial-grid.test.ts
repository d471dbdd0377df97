import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { SpatialGrid } from '../../simulator/spatial-grid.js'

/** Every (j, distance) a brute-force scan finds within `radius` of node i, in index order. */
function bruteNear (i: number, xs: Float64Array, ys: Float64Array, radius: number, include: (j: number) => boolean): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let j = 0; j < xs.length; j++) {
    if (j === i || !include(j)) continue
    const dx = xs[j]! - xs[i]!
    const dy = ys[j]! - ys[i]!
    if (dx * dx + dy * dy <= radius * radius) out.push([j, Math.hypot(dx, dy)])
  }
  return out
}

function gridNear (grid: SpatialGrid, i: number, xs: Float64Array, ys: Float64Array, radius: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  grid.forEachNear(i, xs, ys, radius, (j, d) => { out.push([j, d]) })
  return out.sort((a, b) => a[0] - b[0])
}

describe('SpatialGrid', () => {
  test('SpatialGrid — finds exactly the nodes a brute-force scan finds, for any radius, cell size and positions', () => {
    // Millimetres: positions are metres in practice, and subnormal differences would only test float underflow.
    const coordinate = fc.integer({ min: -500_000, max: 500_000 }).map(mm => mm / 1000)
    fc.assert(fc.property(
      fc.array(fc.tuple(coordinate, coordinate), { minLength: 1, maxLength: 60 }),
      // Radii up to 6 cells (a query reads at most 13 × 13 cells), and cells under a metre too.
      fc.double({ min: 0.5, max: 200, noNaN: true }), fc.double({ min: 0, max: 6, noNaN: true }), fc.integer({ min: 0, max: 3 }),
      (points, cellSize, cells, skip) => {
        const radius = cellSize * cells
        const xs = Float64Array.from(points, p => p[0])
        const ys = Float64Array.from(points, p => p[1])
        // Nodes whose index is a multiple of `skip` + 1 (skip 0: none) are left out of the grid.
        const include = (j: number): boolean => skip === 0 || j % (skip + 1) !== 0
        const grid = new SpatialGrid(cellSize)
        grid.rebuild(xs, ys, include)
        for (let i = 0; i < xs.length; i++) {
          const got = gridNear(grid, i, xs, ys, radius)
          const want = bruteNear(i, xs, ys, radius, include)
          expect(got.map(([j]) => j)).toEqual(want.map(([j]) => j))
          got.forEach(([, d], k) => { expect(d).toBeCloseTo(want[k]![1], 9) })
        }
      }), { numRuns: 300, ...(process.env.BLEMESH_SEED === undefined ? {} : { seed: Number(process.env.BLEMESH_SEED) }) })
  })

  test('SpatialGrid — a node exactly at the radius is in, one just past it is out; the node itself never is', () => {
    const xs = Float64Array.from([0, 30, 30.000001, 0])
    const ys = Float64Array.from([0, 0, 0, 0])
    const grid = new SpatialGrid(30)
    grid.rebuild(xs, ys)
    expect(gridNear(grid, 0, xs, ys, 30)).toEqual([[1, 30], [3, 0]])
  })

  test('SpatialGrid — a rebuild forgets the old positions', () => {
    const grid = new SpatialGrid(10)
    grid.rebuild(Float64Array.from([0, 5, 6]), Float64Array.from([0, 0, 0]))
    // Node 1 moved within its cell, node 2 is left out now: each is seen once or not at all.
    const xs = Float64Array.from([0, 8, 6])
    const ys = Float64Array.from([0, 0, 0])
    grid.rebuild(xs, ys, j => j !== 2)
    expect(gridNear(grid, 0, xs, ys, 10)).toEqual([[1, 8]])
  })

  test.each([0, -1, Number.NaN])('SpatialGrid — a cell size of %s is refused', (size) => {
    expect(() => new SpatialGrid(size)).toThrow(/cellSize must be positive/)
  })
})
