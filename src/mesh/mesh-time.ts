// The mesh's time, as our neighbours stamp it. Packets are stamped with the wall clock and judged by it
// (±120 s, as the phones judge them), and a Raspberry Pi has no real-time clock: booted during an outage,
// with no network to set it, it starts from the time it last saved. It then drops every packet as stale
// and stamps its own so that the phones drop them: a relay that relays nothing. So the node keeps an
// offset from its clock to its neighbours'. Each link has one vote, the skew of the latest direct
// announce that came over it (it left the neighbour at TTL 7 and nobody relayed it, so it carries the
// neighbour's own clock). A fresh identity costs nothing, but a link costs a radio connection, and the
// node has at most a handful.
//
// The mesh's time only moves forward, or back to our own clock. A clock without a real-time clock
// behind it starts from a time already past, so it runs behind, never ahead. A first version followed a
// majority either way and a lone link always, and in a simulated line of eight nodes, three quarters of
// them days off, nodes with right clocks were pulled back to a wrong one that others had followed first
// (three seeds of five; delivery 44–52 %). Forward it follows a majority of its links (at least two, or
// its only one), or, with no majority, the latest clock among them: the middle of a chain of Pis has two
// links, and the one nearer the phones is ahead.
import type { Clock } from '../clock.js'

/** Half the phones' ±120 s window: a clock closer than this to the mesh's is left alone. */
export const CLOCK_STEP_MS = 60_000
/** Votes within this of their median agree with it: announces may wait a few seconds in queues. */
export const CLOCK_AGREE_MS = 30_000
/** A link's vote counts for this long (neighbours announce every 15–30 s on iOS, 30 s on Android). */
export const CLOCK_VOTE_MAX_AGE_MS = 600_000

interface Vote { skewMs: number, at: number }

export class MeshTime {
  private offset = 0
  private readonly votes = new Map<object, Vote>()

  constructor (private readonly clock: Clock) {}

  /** What to stamp our packets with and judge others' by: our clock plus the offset. */
  now (): number {
    return this.clock.now() + this.offset
  }

  /** How far (ms) the mesh's time is ahead of our clock, as last decided. */
  get offsetMs (): number {
    return this.offset
  }

  /**
   * A neighbour's direct announce stamped `timestamp` came over `link`: that link's vote. When it is more
   * than CLOCK_STEP_MS from the offset, the links that voted within CLOCK_VOTE_MAX_AGE_MS decide. A strict
   * majority agreeing (CLOCK_AGREE_MS) with their median moves the offset to 0 when the median is within
   * CLOCK_STEP_MS of our own clock (it was set), or to the median when that is ahead of the offset; with
   * no majority, the offset moves to the latest vote when that is ahead. Never back, except to our own
   * clock. Returns whether it moved.
   */
  vote (link: object, timestamp: number): boolean {
    // A uint64 on the wire: past 2^53 ms (285 000 years) it is no clock, and following it would stamp our
    // packets with timestamps that no longer round-trip.
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) return false
    const now = this.clock.now()
    const skewMs = timestamp - now
    // Every neighbour announces every 15–30 s: its vote is rewritten in place, not made anew.
    const mine = this.votes.get(link)
    if (mine === undefined) this.votes.set(link, { skewMs, at: now })
    else { mine.skewMs = skewMs; mine.at = now }
    if (Math.abs(skewMs - this.offset) <= CLOCK_STEP_MS) return false
    const skews: number[] = []
    for (const v of this.votes.values()) if (now - v.at <= CLOCK_VOTE_MAX_AGE_MS) skews.push(v.skewMs)
    skews.sort((a, b) => a - b)
    const median = skews[(skews.length - 1) >> 1]!
    let agreeing = 0
    for (const s of skews) if (Math.abs(s - median) <= CLOCK_AGREE_MS) agreeing++
    // A strict majority: of two links or more, at least two; of one, that one.
    const majority = agreeing * 2 > skews.length
    const target = !majority ? skews[skews.length - 1]! : Math.abs(median) <= CLOCK_STEP_MS ? 0 : median
    if (target !== 0 && target - this.offset <= CLOCK_STEP_MS) return false
    if (target === this.offset) return false
    this.offset = target
    return true
  }

  /** The link closed: its vote goes with it. */
  forget (link: object): void {
    this.votes.delete(link)
  }
}
