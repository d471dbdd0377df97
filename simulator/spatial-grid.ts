// Uniform grid over node positions so "who is within r metres" costs the neighbourhood, not N
// (flooding-and-simulation.md §4.2: cost must scale with links, not N²).

export class SpatialGrid {
  private readonly cells = new Map<number, number[]>()

  /** `cellSize` should be the largest query radius, so a query reads at most 3 × 3 cells. */
  constructor (private readonly cellSize: number) {
    if (!(cellSize > 0)) throw new Error('SpatialGrid: cellSize must be positive')
  }

  /** Rebuilds the grid from scratch (positions are read, not kept). */
  rebuild (xs: Float64Array, ys: Float64Array, include: (i: number) => boolean = () => true): void {
    this.cells.clear()
    for (let i = 0; i < xs.length; i++) {
      if (!include(i)) continue
      const key = this.key(Math.floor(xs[i]! / this.cellSize), Math.floor(ys[i]! / this.cellSize))
      let cell = this.cells.get(key)
      if (cell === undefined) { cell = []; this.cells.set(key, cell) }
      cell.push(i)
    }
  }

  /** Calls `visit(j, distance)` for every node j ≠ i within `radius` of node i, in index order per cell. */
  forEachNear (i: number, xs: Float64Array, ys: Float64Array, radius: number, visit: (j: number, distance: number) => void): void {
    const x = xs[i]!
    const y = ys[i]!
    const cx = Math.floor(x / this.cellSize)
    const cy = Math.floor(y / this.cellSize)
    const span = Math.max(1, Math.ceil(radius / this.cellSize))
    const r2 = radius * radius
    for (let gx = cx - span; gx <= cx + span; gx++) {
      for (let gy = cy - span; gy <= cy + span; gy++) {
        const cell = this.cells.get(this.key(gx, gy))
        if (cell === undefined) continue
        for (const j of cell) {
          if (j === i) continue
          const dx = xs[j]! - x
          const dy = ys[j]! - y
          const d2 = dx * dx + dy * dy
          if (d2 <= r2) visit(j, Math.sqrt(d2))
        }
      }
    }
  }

  private key (gx: number, gy: number): number {
    // Cells are addressed in a 2^21 × 2^21 space: ±1 million cells each way is far beyond any scenario.
    return (gx + 1_048_576) * 2_097_152 + (gy + 1_048_576)
  }
}
