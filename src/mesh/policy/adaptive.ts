// Our own relay policy, designed from the research (flooding-and-simulation.md §2.2, §3) and tuned in the
// simulator (docs/policies.md has the runs and the variants that lost):
//  - wait, and let the router skip every link a copy arrived on meanwhile (that neighbour has it): on a
//    connection mesh that is exact suppression, so broadcast messages are never cancelled on a count
//    (MESSAGE_COUNT_CANCEL). Counter-based suppression (Ni et al., research §3.1, threshold ⌈log₂ degree⌉
//    as Tseng et al.'s adaptive counter, never at ≤ SPARSE_DEGREE links) remains as an option: before the
//    router skipped links it was the only suppression we had; with it, it only loses delivery;
//  - an RSSI-weighted contention window in the spirit of Meshtastic's SNR-weighted one (§2.2): a node whose
//    farthest neighbour is heard weakly draws its delay from a small window and relays first, because its
//    copy reaches furthest; a node with only close neighbours draws from a wide one and usually cancels;
//  - every relay waits at least MIN_DELAY_MS, so each extra hop costs time and the first copy a node hears
//    is mostly the one that came the fewest hops. That matters because the router relays the first copy's
//    TTL only: under flooding with no wait, copies racing along longer but faster paths arrive first with
//    less TTL and the edge of the TTL horizon starves (docs/policies.md, "Why flood stays under 99 %");
//  - full fanout and no TTL caps: every subset or cap we tried lost more delivery than it saved;
//  - announces are governed too (a doubled window, and the router's link skip), but never cancelled on a
//    count: a cancelled announce relay left nodes at the TTL edge without the sender's key, and so without
//    its messages (ANNOUNCE_THRESHOLD). What we do limit is how often: a sender's periodic announces are
//    relayed about once a minute (ANNOUNCE_RELAY_INTERVAL_MS), its first one and better copies of a relayed
//    one always. Its direct neighbours still hear every announce; presence further out lasts 3 minutes.
//    For 5 s after a peer appears they all go everywhere, and for 15 s more the way the newcomer came, so
//    that the answers it needs reach it (RECIPROCAL_WINDOW_MS, TOWARDS_NEWCOMERS_MS).
import type { Link } from '../link.js'
import { MessageType } from '../../wire/packet-types.js'
import { NEWCOMER_WINDOW_MS, type RelayContext, type RelayDecision, type RelayPolicy } from './relay-policy.js'

/** At or below this many links a node never cancels a broadcast: it is probably a bridge (research §3.4). */
export const SPARSE_DEGREE = 2
/**
 * Further copies to hear before cancelling a broadcast: ⌈log₂ degree⌉ − THRESHOLD_OFFSET, at least
 * MIN_THRESHOLD — 2 at 3–4 links, 3 at 5–8. Ni et al. find a 4th copy adds < 5 % coverage (research §3.1,
 * C = 3–4 counting the first). Our measurement (docs/policies.md, city-block and sparse-random, seeds
 * 1–3): offset 1 sent 18–30 % fewer message frames but fell below flood's delivery in sparse meshes.
 */
export const THRESHOLD_OFFSET = 0
export const MIN_THRESHOLD = 1
/**
 * Announces cancel after this many further copies (above SPARSE_DEGREE): never. Before the router skipped
 * links, 1 cut control frames 13–19 %; with the skip, our measurement (120 s, seed 1, cheap crypto) found
 * that cancelling costs peer discovery at the TTL edge and so delivery: sparse random 98.1 % → 100 %,
 * line 99.2 → 100 %, city block 99.2 → 100 % without it (flood: 100 % in all three), for 12–17 % more
 * control frames (city block 881 → 1004 per node per minute; flood 1803).
 */
export const ANNOUNCE_THRESHOLD = Infinity
/**
 * Cancel broadcast messages (and fragments) on a count of further copies. Off: with the router skipping
 * links that sent us a copy, our measurement (docs/policies.md, "With the router changes", seeds 1–3)
 * found counting only loses delivery (city block 98.5–99.5 % with it, 100 % without, for +4–6 % frames).
 */
export const MESSAGE_COUNT_CANCEL = false
/** Fragments cancel one copy later than whole packets: losing one loses the whole message. */
export const FRAGMENT_THRESHOLD_EXTRA = 1
/**
 * RSSI range mapped onto the contention window: at or below FAR (the −90 dBm link gate of Bitchat iOS,
 * issue "Simulator") the smallest window, at or above NEAR (≈ 5 m at −59 dBm@1 m and exponent 2.7) the
 * widest. A link without an RSSI counts as the middle.
 */
export const RSSI_FAR_DBM = -90
export const RSSI_NEAR_DBM = -65
/**
 * Delay = MIN_DELAY_MS + U(0, window), the window from FAR_WINDOW_MS (weakest link) to NEAR_WINDOW_MS
 * (strongest). Our measurement (docs/policies.md, "Variants that lost", seeds 1–3): the floor adds 2–6
 * points of delivery (city block 94.1/97.1/95.0 → 97.7/99.3/98.1 %); the RSSI weighting 0.7–2.7 points
 * and 9 ms less per hop than a flat 50 ms window. Per-hop latency ≈ 33 ms p50, a third of bitchat-ios's.
 */
export const MIN_DELAY_MS = 20
export const FAR_WINDOW_MS = 20
export const NEAR_WINDOW_MS = 80
/**
 * A sender's announce is relayed only if it is at least this much newer (by the sender's timestamps) than
 * the last of its announces we relayed. Announces are 95–99 % of link frames at scale (bench:sim), yet a
 * peer's keys are pinned by the first one and presence holds for PEER_STALE_MS (180 s): relaying every
 * periodic announce (15–38 s apart, [iOS] bleConnectedAnnounce*) only refreshes presence more often than
 * anyone needs. 60 s relays every second (dense) or fourth (sparse) announce and still gives three chances
 * within the stale window. Measured in docs/policies.md ("Announces: relay interval and triggered-announce
 * backoff").
 */
export const ANNOUNCE_RELAY_INTERVAL_MS = 60_000
/**
 * The interval applies once a node knows this many peers. A node that joins learns far peers from their
 * relayed announces, and the reciprocal announces the phones send a newcomer ([iOS]/[AND], bitchat-protocol.md
 * §5.1) are indistinguishable from periodic ones; in a small mesh we keep relaying them all, so a newcomer
 * knows everyone within a second (test "node — restart"). Above it, the reciprocal window below lets those
 * answers through. Our choice: below 64 peers announce traffic is small (line, 30 nodes: 124–168 control
 * frames per node per minute).
 */
export const ANNOUNCE_GOVERN_MIN_PEERS = 64
/**
 * ...and not for this long after a peer appeared here: the phones answer a new peer with an announce of
 * their own (reciprocal, bitchat-protocol.md §5.1), and those must reach the newcomer, which knows nobody.
 * A reciprocal leaves 0.4 s after the newcomer's announce arrives and crosses 7 hops in about a second.
 */
export const RECIPROCAL_WINDOW_MS = 5_000
/**
 * After that window and up to this long after a peer appeared, a governed announce still goes the way the
 * newcomers came (RelayContext.towardsNewcomers), not everywhere: the triggered-announce backoff holds
 * some answers back for up to 16 s, and only the newcomer needs them. Nodes that join a running mesh got
 * 99.21–99.57 % of the messages they should without it and 100 % with it, for 1–15 % more control frames
 * (docs/policies.md, "Where people keep arriving").
 */
export const TOWARDS_NEWCOMERS_MS = NEWCOMER_WINDOW_MS
/** Announces are not urgent: twice the window lets more copies be heard before each relay. */
export const ANNOUNCE_WINDOW_SCALE = 2
/** Fragments and voice: short waits, as [iOS] bleFragmentRelayMin/MaxDelayMs (8–25 ms). */
export const FRAGMENT_DELAY_MS: readonly [number, number] = [8, 25]
/**
 * Directed packets and handshakes: 10–40 ms, inside [iOS] RelayController's 10–60 ms, and never cancelled
 * by a count. iOS cancels them on the first further copy above SPARSE_DEGREE, as if one copy anywhere
 * reached the recipient; on a connection mesh it does not. City block with private traffic (0.2 per phone
 * per minute, seed 1): cancelled so, 58 % of private messages were shown (76 % with unconfirmed messages
 * sent again); relayed like broadcasts (skipping only neighbours that sent us as good a copy), 100 %, at
 * 0.68× flood's frames (docs/policies.md, "Private messages").
 */
export const DIRECTED_DELAY_MS: readonly [number, number] = [10, 40]
/**
 * Let the router skip a link whose neighbour a full-fanout neighbour already served (router.ts step 11).
 * It is what takes `adaptive` under flood's cost goal (docs/policies.md, "Two-hop skip"): dense mesh,
 * seed 1, 2.47 → 1.82 message frames per node per message at 100 % delivery.
 */
export const TWO_HOP_SKIP = true

/** The knobs the simulator comparisons turned; the defaults are the constants above. */
export interface AdaptiveOptions {
  messageCountCancel: boolean
  sparseDegree: number
  thresholdOffset: number
  announceThreshold: number
  minDelayMs: number
  farWindowMs: number
  nearWindowMs: number
  announceRelayIntervalMs: number
  announceGovernMinPeers: number
  reciprocalWindowMs: number
  /** Up to NEWCOMER_WINDOW_MS (the router's list covers no more); 0 turns it off. */
  towardsNewcomersMs: number
  twoHopSkip: boolean
}

export const ADAPTIVE_DEFAULTS: Readonly<AdaptiveOptions> = {
  messageCountCancel: MESSAGE_COUNT_CANCEL,
  sparseDegree: SPARSE_DEGREE,
  thresholdOffset: THRESHOLD_OFFSET,
  announceThreshold: ANNOUNCE_THRESHOLD,
  minDelayMs: MIN_DELAY_MS,
  farWindowMs: FAR_WINDOW_MS,
  nearWindowMs: NEAR_WINDOW_MS,
  announceRelayIntervalMs: ANNOUNCE_RELAY_INTERVAL_MS,
  announceGovernMinPeers: ANNOUNCE_GOVERN_MIN_PEERS,
  reciprocalWindowMs: RECIPROCAL_WINDOW_MS,
  towardsNewcomersMs: TOWARDS_NEWCOMERS_MS,
  twoHopSkip: TWO_HOP_SKIP,
}

/** ⌈log₂ n⌉ for n ≥ 1. */
function ceilLog2 (n: number): number {
  let bits = 0
  while (2 ** bits < n) bits++
  return bits
}

/** Further copies of a broadcast to hear before cancelling, for a node with `degree` links. */
export function cancelThreshold (degree: number, o: Readonly<AdaptiveOptions> = ADAPTIVE_DEFAULTS): number {
  if (degree <= o.sparseDegree) return Infinity
  return Math.max(MIN_THRESHOLD, ceilLog2(degree) - o.thresholdOffset)
}

/** Where the weakest candidate link sits between RSSI_FAR_DBM (0) and RSSI_NEAR_DBM (1). */
export function linkStrength (links: readonly Link[]): number {
  let weakest = Infinity
  for (const link of links) {
    const rssi = link.info.rssi ?? (RSSI_FAR_DBM + RSSI_NEAR_DBM) / 2
    if (rssi < weakest) weakest = rssi
  }
  if (weakest === Infinity) return 0.5
  const f = (weakest - RSSI_FAR_DBM) / (RSSI_NEAR_DBM - RSSI_FAR_DBM)
  return f < 0 ? 0 : f > 1 ? 1 : f
}

function uniform (c: RelayContext, [min, max]: readonly [number, number]): number {
  return min + c.random.next() * (max - min)
}

export function createAdaptivePolicy (options: Partial<AdaptiveOptions> = {}, name = 'adaptive'): RelayPolicy {
  const o: AdaptiveOptions = { ...ADAPTIVE_DEFAULTS, ...options }
  return {
    name,
    fullFanout: true,
    decide (c: RelayContext): RelayDecision | null {
      if (c.links.length === 0) return null
      const ttl = c.ttl - 1
      const threshold = cancelThreshold(c.degree, o)
      const sparse = threshold === Infinity
      const messageThreshold = o.messageCountCancel ? threshold : Infinity
      if (c.directed || c.type === MessageType.noiseHandshake) {
        return { ttl, delayMs: uniform(c, DIRECTED_DELAY_MS), cancelAfterDuplicates: Infinity, links: c.links }
      }
      if (c.type === MessageType.fragment || c.type === MessageType.voiceFrame) {
        return { ttl, delayMs: uniform(c, FRAGMENT_DELAY_MS), cancelAfterDuplicates: messageThreshold + FRAGMENT_THRESHOLD_EXTRA, links: c.links, twoHopSkip: o.twoHopSkip }
      }
      const announce = c.type === MessageType.announce
      let links = c.links
      if (announce && c.knownPeers >= o.announceGovernMinPeers && c.announceRelayGapMs < o.announceRelayIntervalMs && c.peerArrivalAgeMs > o.reciprocalWindowMs) {
        // Perhaps a late reciprocal, which must reach the newcomers; else only neighbours linked since our
        // last relay of this sender may not know it, and nobody else needs it yet.
        links = c.peerArrivalAgeMs <= o.towardsNewcomersMs ? c.towardsNewcomers : c.freshLinks
        if (links.length === 0) return null
      }
      const window = (o.farWindowMs + linkStrength(c.links) * (o.nearWindowMs - o.farWindowMs)) * (announce ? ANNOUNCE_WINDOW_SCALE : 1)
      return {
        ttl,
        delayMs: o.minDelayMs + c.random.next() * window,
        cancelAfterDuplicates: announce ? (sparse ? Infinity : o.announceThreshold) : messageThreshold,
        links,
        // Not for announces: a governed announce goes to fresh links only, so a neighbour's copy of one
        // says nothing about its other links.
        twoHopSkip: !announce && o.twoHopSkip,
      }
    },
  }
}

export const adaptivePolicy: RelayPolicy = createAdaptivePolicy()
