// Where the nodes stand at the start of a run.
import type { SeededRandom } from '../src/prng.js'
import { effectiveCoverageArea, rangeAtDbm, type RadioParams } from './radio.js'
import type { TopologySpec } from './scenario.js'

/** Default neighbour spacing on line and grid as a fraction of the gate range: ≈ 8 dB of margin at n = 2.7. */
export const LATTICE_SPACING_OF_RANGE = 0.5
/** Default mean radio degree for random and clusters when the scenario gives neither degree nor area. */
export const DEFAULT_MEAN_DEGREE = 10
/** Default nodes per cluster when the scenario does not say how many clusters. */
export const NODES_PER_CLUSTER = 20

export interface Placement {
  xs: Float64Array
  ys: Float64Array
  /** Side of the bounding square in metres (mobility keeps nodes inside it). */
  areaMetres: number
  /** The square's lower-left corner: 0, 0 except for positions from a file, which keep their own coordinates. */
  originX: number
  originY: number
}

/** Side of the square in which `nodes` uniform nodes have `meanDegree` radio neighbours on average. */
export function sideForMeanDegree (radio: RadioParams, nodes: number, meanDegree: number): number {
  return Math.sqrt(nodes * effectiveCoverageArea(radio) / meanDegree)
}

export function placeNodes (spec: TopologySpec, radio: RadioParams, random: SeededRandom): Placement {
  const n = spec.nodes
  const xs = new Float64Array(n)
  const ys = new Float64Array(n)
  const spacing = spec.spacingMetres ?? rangeAtDbm(radio, radio.gateDbm) * LATTICE_SPACING_OF_RANGE
  switch (spec.kind) {
    case 'line': {
      for (let i = 0; i < n; i++) { xs[i] = i * spacing; ys[i] = 0 }
      return { xs, ys, areaMetres: Math.max(spacing, (n - 1) * spacing), originX: 0, originY: 0 }
    }
    case 'grid': {
      const cols = Math.ceil(Math.sqrt(n))
      for (let i = 0; i < n; i++) { xs[i] = (i % cols) * spacing; ys[i] = Math.floor(i / cols) * spacing }
      return { xs, ys, areaMetres: Math.max(spacing, (cols - 1) * spacing), originX: 0, originY: 0 }
    }
    case 'random': {
      const side = spec.areaMetres ?? sideForMeanDegree(radio, n, spec.meanDegree ?? DEFAULT_MEAN_DEGREE)
      for (let i = 0; i < n; i++) { xs[i] = random.next() * side; ys[i] = random.next() * side }
      return { xs, ys, areaMetres: side, originX: 0, originY: 0 }
    }
    case 'clusters': {
      const k = spec.clusters ?? Math.max(1, Math.round(n / NODES_PER_CLUSTER))
      const spread = spec.clusterRadiusMetres ?? rangeAtDbm(radio, radio.gateDbm) * 0.5
      const side = spec.areaMetres ?? sideForMeanDegree(radio, n, spec.meanDegree ?? DEFAULT_MEAN_DEGREE)
      const cx = Array.from({ length: k }, () => random.next() * side)
      const cy = Array.from({ length: k }, () => random.next() * side)
      for (let i = 0; i < n; i++) {
        const c = i % k
        const [gx, gy] = gaussianPair(random)
        xs[i] = clamp(cx[c]! + gx * spread, 0, side)
        ys[i] = clamp(cy[c]! + gy * spread, 0, side)
      }
      return { xs, ys, areaMetres: side, originX: 0, originY: 0 }
    }
    case 'file': {
      const positions = spec.positions ?? []
      let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity
      positions.forEach((p, i) => {
        xs[i] = p.x; ys[i] = p.y
        minX = Math.min(minX, p.x); minY = Math.min(minY, p.y); maxX = Math.max(maxX, p.x); maxY = Math.max(maxY, p.y)
      })
      return { xs, ys, areaMetres: Math.max(1, maxX - minX, maxY - minY), originX: minX, originY: minY }
    }
  }
}

function clamp (v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v
}

function gaussianPair (random: SeededRandom): [number, number] {
  const u1 = random.next() || Number.MIN_VALUE
  const u2 = random.next()
  const r = Math.sqrt(-2 * Math.log(u1))
  return [r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2)]
}
