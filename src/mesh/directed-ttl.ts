// How far the directed packets we originate travel. A directed packet floods everything within its TTL
// (except at the recipient's neighbours), so at TTL 7 it costs the whole reach wherever the recipient is.
// Among our own nodes it need only go the recipient's distance plus a margin (docs/policies.md, "Directed
// TTL"). The distance comes from the recipient's announce, whose TTL anyone relaying it can raise, so a cut
// TTL that the recipient does not answer is given up for a while, as iOS gives up a source route.
import { peerKey, type PeerTable } from './peers.js'
import { MAX_TTL } from './router.js'

/**
 * Links past the recipient's distance a cut TTL allows. Our choice: with 0 or 1 every private message still
 * arrived on the static scenarios, but in a walking crowd a margin of 1 left paths that had grown since the
 * recipient's announce to handshake timeouts and resends (private p95 1.1 → 13.3 s); 2 kept it at 1.3 s.
 */
export const DIRECTED_TTL_MARGIN = 2
/**
 * A cut TTL counts as failed when nothing from the recipient came back within this long ([iOS]
 * TransportConfig.bleSourceRouteConfirmationWindowSeconds, for routes). A handshake message retried
 * after its 10 s timeout therefore goes at TTL 7.
 */
export const DIRECTED_TTL_CONFIRM_MS = 10_000
/** After a failure the recipient gets TTL 7 for this long ([iOS] bleSourceRouteSuppressionSeconds). */
export const DIRECTED_TTL_SUPPRESS_MS = 60_000
/** Our bound on recipients followed at once (the Noise sessions' own bound); the least recently used goes. */
export const MAX_RECIPIENTS = 1024

interface Recipient {
  /** When the first cut-TTL packet not yet answered left; -1 when none is waiting. */
  since: number
  suppressedUntil: number
}

export class DirectedTtl {
  /**
   * Insertion order is use order: the first is the least recently used. A Map, not lru-cache: that
   * allocates its `max` slots up front, 22 KB a node, 220 MB at 10 000 simulated nodes that mostly never
   * send a private message.
   */
  private readonly recipients = new Map<string, Recipient>()

  constructor (private readonly peers: Pick<PeerTable, 'hops' | 'allFullFanout'>) {}

  /** Recipients whose cut TTL is being watched (≤ MAX_RECIPIENTS). */
  get size (): number {
    return this.recipients.size
  }

  /**
   * The TTL for a directed packet to `recipientId` leaving at `now`: 7, the phones' TTL, unless every peer
   * we hear announced full fanout (our own nodes: in a mesh of more than 10 peers Android relays a packet
   * whose TTL falls below 4 only with probability 0.4–0.85) and we know the recipient's distance; then that
   * distance plus DIRECTED_TTL_MARGIN, unless a cut TTL to it failed lately.
   */
  ttl (recipientId: Uint8Array, now: number): number {
    const key = peerKey(recipientId)
    const hops = this.peers.hops(key)
    if (hops === 0 || hops + DIRECTED_TTL_MARGIN >= MAX_TTL || !this.peers.allFullFanout()) return MAX_TTL
    const cut = hops + DIRECTED_TTL_MARGIN
    const r = this.recipients.get(key)
    if (r === undefined) {
      if (this.recipients.size >= MAX_RECIPIENTS) this.recipients.delete(this.recipients.keys().next().value!)
      this.recipients.set(key, { since: now, suppressedUntil: -Infinity })
      return cut
    }
    this.recipients.delete(key)
    this.recipients.set(key, r)
    // Checked when we next send, as iOS checks its routes.
    if (r.since >= 0 && now - r.since >= DIRECTED_TTL_CONFIRM_MS) {
      r.since = -1
      r.suppressedUntil = now + DIRECTED_TTL_SUPPRESS_MS
    }
    if (now < r.suppressedUntil) return MAX_TTL
    if (r.since < 0) r.since = now
    return cut
  }

  /**
   * A message from `senderId` decrypted under our session: what we sent it got there (the handshake, and
   * every receipt after). Only authenticated traffic counts, else anyone could keep a forged-short TTL in
   * use by sending under the recipient's ID (iOS counts any inbound packet for its routes). A suppression
   * runs its course (iOS: inbound traffic does not lift it).
   */
  answered (senderId: Uint8Array): void {
    const r = this.recipients.get(peerKey(senderId))
    if (r !== undefined) r.since = -1
  }
}
