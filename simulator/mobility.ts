// Random waypoint: each node walks to a uniformly chosen point in the area at its own speed, pauses, and
// picks the next. Positions advance in fixed ticks so link checks see every node at the same instant.
import type { SeededRandom } from '../src/prng.js'

/** How often positions advance and links are re-checked (our choice: 1 s, well under LINK_BREAK_AFTER_MS). */
export const MOBILITY_TICK_MS = 1_000
/** Walking pace when the scenario gives none (m/s). */
export const DEFAULT_SPEED_MPS = 1.4

export class RandomWaypoint {
  private readonly tx: Float64Array
  private readonly ty: Float64Array
  private readonly speed: Float64Array
  private readonly pausedUntil: Float64Array

  constructor (
    private readonly xs: Float64Array,
    private readonly ys: Float64Array,
    private readonly side: number,
    private readonly meanSpeed: number,
    private readonly pauseMs: number,
    private readonly random: SeededRandom,
    /** The area's lower-left corner (positions from a file keep their own coordinates). */
    private readonly originX = 0,
    private readonly originY = 0,
  ) {
    const n = xs.length
    this.tx = new Float64Array(n)
    this.ty = new Float64Array(n)
    this.speed = new Float64Array(n)
    this.pausedUntil = new Float64Array(n)
    for (let i = 0; i < n; i++) this.pick(i)
  }

  /** Advances every node by `dtMs` of walking at virtual time `now`. */
  step (now: number, dtMs: number): void {
    for (let i = 0; i < this.xs.length; i++) {
      if (now < this.pausedUntil[i]!) continue
      const dx = this.tx[i]! - this.xs[i]!
      const dy = this.ty[i]! - this.ys[i]!
      const dist = Math.sqrt(dx * dx + dy * dy)
      const move = this.speed[i]! * dtMs / 1000
      if (move >= dist) {
        this.xs[i] = this.tx[i]!
        this.ys[i] = this.ty[i]!
        this.pausedUntil[i] = now + this.random.next() * this.pauseMs
        this.pick(i)
      } else {
        this.xs[i] = this.xs[i]! + dx / dist * move
        this.ys[i] = this.ys[i]! + dy / dist * move
      }
    }
  }

  private pick (i: number): void {
    this.tx[i] = this.originX + this.random.next() * this.side
    this.ty[i] = this.originY + this.random.next() * this.side
    this.speed[i] = this.meanSpeed * (0.5 + this.random.next())
  }
}
