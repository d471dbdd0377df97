// The relay decision as a small pluggable object: the router enforces the hard rules (TTL ≤ 1, sync,
// own and addressed-to-us packets, never back on the ingress link) and asks the policy the rest — the
// new TTL, how long to wait, when to give up because others already relayed, and which links to use.
import type { Random } from '../../clock.js'
import type { Link } from '../link.js'

/**
 * How long a peer counts as a newcomer (RelayContext.towardsNewcomers). The phones answer a new peer with
 * an announce of their own (reciprocal, bitchat-protocol.md §5.1), 0.4 s after it appears, but a node whose
 * triggered announces back off (src/node.ts, up to 16 s apart) answers up to 16 s later; such an answer
 * still crosses 7 hops in about a second. Our choice: 16 s plus that second plus some slack.
 */
export const NEWCOMER_WINDOW_MS = 20_000

/** What the policy may look at. The router reuses one object: read it during `decide`, never keep it. */
export interface RelayContext {
  /** Wire type of the packet (0x20 for a fragment). */
  readonly type: number
  /** For a fragment the type it carries, otherwise `type`. */
  readonly carriedType: number
  /** TTL as received, clamped to 7; always ≥ 2 here (the router never relays at ≤ 1). */
  readonly ttl: number
  /** Addressed to one peer (not us) rather than broadcast. */
  readonly directed: boolean
  /** Connected links, the ingress one included: the node's degree. */
  readonly degree: number
  /**
   * Candidate links: every open link except the one the packet came on — or, for a directed packet whose
   * recipient is a neighbour bound by its direct announce, just that neighbour's link.
   */
  readonly links: readonly Link[]
  /**
   * For an announce: how much newer it is (sender's timestamps) than the last announce of the same sender
   * this node relayed — Infinity when none was relayed since the sender appeared, or for a better copy of
   * that same announce. Infinity for every other type.
   */
  readonly announceRelayGapMs: number
  /**
   * For an announce whose gap is finite: the candidate links that came up after this node last relayed an
   * announce of the same sender, whose neighbours may not have heard of the sender at all (a newcomer).
   * Otherwise `links` itself.
   */
  readonly freshLinks: readonly Link[]
  /**
   * For an announce whose gap is finite: `freshLinks` and the candidate links on which a peer appeared
   * here within NEWCOMER_WINDOW_MS (its announce came that way, so that is the way back to it). Otherwise
   * `links`.
   */
  readonly towardsNewcomers: readonly Link[]
  /** How long ago a peer last appeared at this node (Infinity if none ever did). */
  readonly peerArrivalAgeMs: number
  /** Peers known from verified announces: the node's network-size estimate. */
  readonly knownPeers: number
  /** 32-bit number fixed per packet (from its dedup key), for choices that must agree across calls. */
  readonly seed: number
  readonly random: Random
}

export interface RelayDecision {
  /** TTL the relayed copy carries (≥ 1, < the received TTL). */
  ttl: number
  /** Wait this long before sending (jitter); 0 sends at once. */
  delayMs: number
  /**
   * Cancel the waiting relay once this many further copies were heard; Infinity never cancels. Only
   * meaningful with a delay.
   */
  cancelAfterDuplicates: number
  /** The subset of `RelayContext.links` to send on (may be that very array). */
  links: readonly Link[]
  /**
   * Also skip a link whose neighbour a full-fanout neighbour already served (the router's two-hop skip,
   * router.ts step 11). Ignored for directed packets. Absent: false.
   */
  twoHopSkip?: boolean
}

export interface RelayPolicy {
  readonly name: string
  /**
   * Every relay goes to all candidate links but those the router skips: the node announces so
   * (PeerCapability.fullFanout) and its neighbours may count on it. Absent: false.
   */
  readonly fullFanout?: boolean
  /** null: do not relay. */
  decide (context: RelayContext): RelayDecision | null
}

/** Uniform in [min, max]. */
export function jitter (random: Random, minMs: number, maxMs: number): number {
  return minMs + random.next() * (maxMs - minMs)
}
