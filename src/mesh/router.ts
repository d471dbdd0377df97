// The router: what happens to a frame between the link that delivered it and the links it leaves on.
//
// Ingress, in this order (each step may end the walk; untrusted bytes never throw past `receive`):
//  0. plain copies      first, from the header alone (`plainCopy`): a copy of a packet already seen that
//                       would pass steps 2–5 and change nothing but step 6's bookkeeping (no TTL upgrade,
//                       nothing left to verify) is counted there and dropped undecoded. Such copies are
//                       most receptions in a dense mesh; anything else goes on to step 1.
//  1. decode            wire/packet; DecodeError → dropped.decode
//  2. TTL clamp         received TTL capped at 7, as both phones do
//  3. freshness         |timestamp − now| ≤ maxClockSkewMs (120 s) → dropped.stale, `now` being the mesh's
//                       time (mesh-time.ts: our clock, moved forward when our links' direct announces
//                       show it behind; a direct announce votes just before this step); not checked for
//                       REQUEST_SYNC, nor for RSR (a sync answer) on a link we sent a REQUEST_SYNC within
//                       RSR_WINDOW_MS; elsewhere the RSR flag buys nothing
//  4. own packets       sender is us → dropped.own
//  5. binding           a REQUEST_SYNC on a link bound to another peer → dropped.binding
//  6. dedup             fragments by (sender, fragment ID, index), others by (sender, timestamp, type,
//                       SHA-256(payload)); a copy already seen is counted and never delivered again. It
//                       may cancel our waiting relay (the policy's count), records its link and TTL (egress
//                       skips a neighbour that holds as good a copy, step 11), may upgrade our relay's TTL (below), may complete
//                       a delivery we could not verify before, and is otherwise dropped.
//                       TTL upgrade — why: copies racing along longer but faster paths (long radio links
//                       are lossy and slow) often arrive first with less TTL, and relaying only the first
//                       copy's TTL starved nodes 5–7 hops out (flood delivered 76–92 % of the TTL reach;
//                       docs/policies.md, "Why flooding stays under 99 %"). So when a copy arrives with a
//                       higher (clamped) TTL than the best seen for that packet, the waiting relay's TTL
//                       byte is raised to what the policy gives that TTL, or, when no relay waits (sent,
//                       cancelled, or never scheduled at TTL ≤ 1), the relay decision runs again for that
//                       copy. The TTL only rises, so this happens at most MAX_TTL_UPGRADES times a packet.
//                       Skipping links — why: on a connection mesh a copy heard from one neighbour says
//                       nothing certain about the others, but it is certain about that one; a count-based
//                       cancel can only guess, and cost 15–35 points of delivery (docs/policies.md).
//  7. verification      announces always (self-signed); message / leave / file / voice / sync only when
//                       the sender's keys are pinned: a failure is dropped, never cached, never relayed.
//                       An unknown sender's packet is cached and relayed unverified (the phones do too)
//                       and held (HOLD_MAX_PER_SENDER, HOLD_MAX_TOTAL, HOLD_MS): when a verified announce
//                       pins the sender within HOLD_MS, held messages that verify are delivered then —
//                       otherwise a message sent just after a link came up (before the announce crossed)
//                       was lost for that neighbour.
//  8. fragment          → reassembler; a finished frame re-enters at step 1 with TTL 0 (never relayed).
//                       Dedup records it at the TTL its last fragment carried, the reach the fragments
//                       give it: a whole copy is then relayed only if it would carry the packet further.
//  9. by type           announce → peers (direct TTL-7 announce binds the link); message → event;
//                       leave → peer left; anything else for us or broadcast → onPacket
// 10. relay             never at TTL ≤ 1, never REQUEST_SYNC or RSR (answers are the asker's), never ours
//                       or addressed to us, never reassembled; candidates are all other links (only the
//                       recipient's link when a directed packet's recipient is a bound neighbour); the
//                       policy picks TTL, delay, cancel threshold and the links among the candidates
// 11. egress           a timer on the clock, then per-link send queues: never the ingress link of the
//                       copy relayed, nor a link whose neighbour sent us a copy with at least our relay's
//                       TTL − 1 (it holds one as good; if no link is left the relay counts as cancelled).
//                       A neighbour that sent us a poorer copy does get the better one, even over the link
//                       the first copy came on: that is what feeds the TTL edge. When the policy asks
//                       (`twoHopSkip`), a relay also skips a neighbour B when a neighbour X that sent us as
//                       good a copy links to B and announces that it relays on every link (`coveredTwoHops`).
//                       Why: the skip above leaves every link carrying the packet at least once, about
//                       links ÷ 2 frames per node; only knowing whom a neighbour serves goes below that
//                       (dense mesh: 0.53× → 0.39× flood's message frames at 100 % delivery,
//                       docs/policies.md "Two-hop skip"). The first test runs again
//                       when a frame that had to wait in a full link's queue reaches its turn: a neighbour
//                       that sent us as good a copy meanwhile no longer gets ours (counted as withdrawn).
//                       Why: in a mesh that switches on at once, announces queue for seconds, and by their
//                       turn many are held already (1 000 nodes × 60 s: 3.90 M → 2.92 M link frames,
//                       289 362 withdrawn, delivery 100 % both). The received bytes are reused with only
//                       the TTL byte changed, so signatures and compressed payloads stay byte-identical;
//                       fragmented when over the link's limit, under a fragment ID derived from the bytes
//                       (`fragmentIdFor`), so relays that cut the same packet send the same stream. Why:
//                       with the phones' random IDs each cut flooded as a stream of its own, and a 400-byte
//                       message in a half-iOS, half-Android mesh cost `flood` 57–87 frames a node instead
//                       of 16–20 (docs/policies.md, "Mixed link sizes").
import type { Clock, Random, TimerId } from '../clock.js'
import type { CryptoProvider } from '../crypto/provider.js'
import { worthLogging, type Logger } from '../logger.js'
import { DecodeError } from '../wire/decode-error.js'
import { decodeFragment, FRAGMENT_ORIGINAL_TYPE_AT } from '../wire/fragment.js'
import { decodePacket, emptyFrameHeader, encodedPacketLength, encodePacket, peekHeader, TTL_AT, TYPE_AT, type FrameHeader } from '../wire/packet.js'
import { MessageType, PacketFlag, PEER_ID_BYTES, type Packet } from '../wire/packet-types.js'
import { padFrame } from '../wire/padding.js'
import { u32At } from '../wire/reader.js'
import { DedupTable, fragmentKeyInto, frameKeyInto, LINK_SLOTS, packetKeyInto, type DedupOptions, FRAGMENT_DEDUP_MAX_AGE_MS, FRAGMENT_DEDUP_MAX_ENTRIES } from './dedup.js'
import { FrameSlab } from './frame-slab.js'
import { MeshTime } from './mesh-time.js'
import { NeighbourSet } from './neighbour-set.js'
import { chunkSize, fragmentFrame, fragmentIdFor, frameLimit } from './fragmenter.js'
import type { Link } from './link.js'
import { peerKey, toHex, type Peer, type PeerKeys, type PeerTable } from './peers.js'
import { NEWCOMER_WINDOW_MS, type RelayDecision, type RelayPolicy } from './policy/relay-policy.js'
import { Reassembler, type ReassemblerOptions } from './reassembler.js'
import { SendQueue, type SendQueueOptions } from './send-queue.js'
import type { Counters } from './stats.js'

/** [iOS] TransportConfig.messageTTLDefault: origin TTL and the clamp applied to every received TTL. */
export const MAX_TTL = 7
/** [iOS] BLEIngressPacketGuard.maxTimestampSkewMs. */
export const MAX_CLOCK_SKEW_MS = 120_000
/**
 * [iOS] accepts a sync answer (RSR flag) only this long after its own REQUEST_SYNC to that peer
 * (bitchat-protocol.md §7.3). The flag is outside the signature, so anyone can set it on a captured packet
 * of any age: only on a link we just asked does it lift the freshness check.
 */
export const RSR_WINDOW_MS = 30_000
/** [iOS] TransportConfig bleLinkRebindCooldownSeconds (BLEIngressLinkRegistry): a link bound to a peer keeps it this long. */
export const LINK_REBIND_COOLDOWN_MS = 60_000
/** How much of a frame that met a bug goes into the log: the header, sender and the payload's start. */
const LOGGED_FRAME_BYTES = 64
/**
 * Relay upgrades per packet (see step 6 above). The clamped TTL can only rise from 1 to MAX_TTL, so the
 * bound is MAX_TTL − 1; it is kept explicit so a duplicate storm can never re-run relays without end.
 */
export const MAX_TTL_UPGRADES = MAX_TTL - 1
/**
 * Messages from a sender whose announce has not arrived yet, held for delivery once it does. Our choice:
 * a link's first announce crosses within a second or two, but a node that joins a busy mesh may wait
 * longer for a far sender's: triggered announces back off to 16 s apart (node.ts) and `adaptive` relays
 * periodic ones about once a minute. Measured, 500 nodes switching on over 60 s, 1 message per node per
 * minute: delivery 98.79 % with 10 s, 99.27 % with 30 s, 99.28 % with 60 s. A burst of 8 per sender and
 * 64 in all bounds what a flood of unknown senders can pin in memory (≈ 64 × 512 bytes).
 */
export const HOLD_MS = 30_000
export const HOLD_MAX_PER_SENDER = 8
export const HOLD_MAX_TOTAL = 64
/**
 * How long a neighbour's neighbour, learned from a relayed announce, is believed (step 11's two-hop skip).
 * Our choice: `adaptive` relays a sender's periodic announce about once a minute
 * (ANNOUNCE_RELAY_INTERVAL_MS), so three minutes is three chances to hear the edge again; it is also
 * PEER_STALE_MS, after which the peer itself is forgotten.
 */
export const NEIGHBOUR_MAX_AGE_MS = 180_000
/**
 * ...and only once our own links have stayed as they are this long. Where people walk, links come and go
 * every few seconds, an edge heard a minute ago may be gone, and a frame queued on a link that breaks is
 * lost: the skip then cost delivery for almost no saving. Our measurement (walking-crowd scenario,
 * seeds 7 / 8): always skipping, 98.99 → 98.47 % and 98.86 → 98.52 % for 3 % fewer message frames; with
 * 10 s of calm first, 98.99 / 98.91 % and no frames saved, as without the skip. The static meshes keep their whole saving.
 */
export const TWO_HOP_STABLE_MS = 10_000

/** An announce that passed acceptance: the TLV decoded, the ID derives from the Noise key, the signature holds. */
export interface AcceptedAnnounce extends PeerKeys {
  readonly nickname: string
  /** It carries PeerCapability.fullFanout: the sender relays each broadcast on all its links (two-hop skip, step 11). */
  readonly fullFanout: boolean
}

/** The checks that need keys, injected so the router can be benchmarked with verification on and off. */
export interface PacketSecurity {
  /** Full announce acceptance (bitchat-protocol.md §5.1 steps 1–3); a string says why it failed. */
  acceptAnnounce (packet: Packet): AcceptedAnnounce | string
  /** Ed25519 over the signing preimage against a pinned key; false also when the packet is unsigned. */
  verify (signingPublicKey: Uint8Array, packet: Packet): boolean
}

export interface RouterHandlers {
  onPeerAppeared (peer: Peer): void
  onPeerLeft (peer: Peer, reason: 'leave' | 'stale'): void
  /** A public message whose signature verified against its sender's pinned key. Delivered once. */
  onPublicMessage (packet: Packet, peer: Peer | undefined, reassembled: boolean): void
  /** Any other packet for us (or broadcast) that passed the ingress checks: Noise, sync, files, unknown types. */
  onPacket (packet: Packet, link: Link): void
  /**
   * A new announce passed acceptance. `frame` is its bytes as received and `packet` views into them: the
   * handler copies what it keeps.
   */
  onAnnounce? (senderKey: string, packet: Packet, frame: Uint8Array): void
  onLinkUp (link: Link): void
  onLinkDown (link: Link, reason: string): void
}

export interface RouterConfig {
  maxClockSkewMs?: number
  dedup?: DedupOptions
  fragmentDedup?: DedupOptions
  reassembly?: ReassemblerOptions
  queue?: SendQueueOptions
  /**
   * What a bug met while handling an incoming frame does (an exception that is not a DecodeError).
   * 'contain', the default: the frame is dropped (`dropped.internalError`), logged at error, and the node
   * goes on. Frames arrive under a radio library's callback, where an exception ends the process and with
   * it every neighbour's links and sessions; a peer that found such a frame could send it again after
   * each restart. 'throw' lets it propagate, so the simulator and tests meet bugs where they happen.
   */
  internalErrors?: 'contain' | 'throw'
}

export interface RouterDeps {
  localId: Uint8Array
  clock: Clock
  random: Random
  crypto: CryptoProvider
  logger: Logger
  policy: RelayPolicy
  peers: PeerTable
  counters: Counters
  security: PacketSecurity
  handlers: RouterHandlers
  config?: RouterConfig
}

interface LinkState {
  readonly link: Link
  readonly queue: SendQueue
  /** peerKey of the neighbour once a direct announce told us, and since when. */
  peer: string | null
  boundAt: number
  /** When the link was added (our clock). */
  readonly upAt: number
  /** Where dedup entries record this link's copies (0–LINK_SLOTS − 1), or -1 when all slots are taken. */
  readonly slot: number
  /** [link], kept so directed relays need no allocation. */
  readonly singleton: readonly Link[]
  /** The neighbour's ID as two words, for `NeighbourSet.has`; meaningful while `peer` is set. */
  peerHi: number
  peerLo: number
  /** The neighbour's direct announce carries PeerCapability.fullFanout. */
  fullFanout: boolean
  /** The neighbour's own neighbours, from the announces it relays to us at TTL 6. */
  readonly neighbours: NeighbourSet
  /** When we last sent a REQUEST_SYNC on this link (our clock): its answers may be old (RSR_WINDOW_MS). */
  syncAskedAt: number
  /** When a peer last appeared here through an announce that came on this link (our clock). */
  newcomerAt: number
}

interface PendingRelay {
  readonly frame: Uint8Array
  readonly links: readonly Link[]
  readonly threshold: number
  readonly twoHopSkip: boolean
  heard: number
  timer: TimerId
}

/** A dedup table and one of its entry handles: what a relay or a held message refers back to. */
type Seen = DedupTable<PendingRelay>

interface Held {
  readonly packet: Packet
  /** Handle in the packet table. */
  readonly entry: number
  readonly ingress: LinkState
  readonly reassembled: boolean
  readonly until: number
}

const SIGNED_TYPES = new Set<number>([MessageType.message, MessageType.leave, MessageType.fileTransfer, MessageType.voiceFrame, MessageType.requestSync])

function isNoise (type: number): boolean {
  return type === MessageType.noiseHandshake || type === MessageType.noiseEncrypted
}

function isBroadcastId (id: Uint8Array): boolean {
  for (let i = 0; i < PEER_ID_BYTES; i++) if (id[i] !== 0xff) return false
  return true
}

function sameId (a: Uint8Array, b: Uint8Array): boolean {
  return sameIdAt(a, 0, b)
}

/**
 * The peer a directed packet goes to next. Without a source route, its recipient. With one (v2), the hop
 * after us on it, the recipient after the last hop, or the route's first hop when we are not on it ([iOS]
 * BLERouteForwardingPolicy; Android floods then, which our fallback also does when that hop is not our
 * neighbour).
 */
function nextHop (packet: Packet, localId: Uint8Array): Uint8Array {
  const route = packet.route
  if (route.length === 0) return packet.recipientId!
  const at = route.findIndex(hop => sameId(hop, localId))
  if (at === -1) return route[0]!
  return at === route.length - 1 ? packet.recipientId! : route[at + 1]!
}

/** Whether a route names some hop twice: a loop, which Android drops ([AND] PacketRelayManager). */
function repeatsHop (route: readonly Uint8Array[]): boolean {
  for (let i = 1; i < route.length; i++) {
    for (let j = 0; j < i; j++) if (sameId(route[i]!, route[j]!)) return true
  }
  return false
}

/** Whether the peer ID at `at` in `frame` is `id`. */
function sameIdAt (frame: Uint8Array, at: number, id: Uint8Array): boolean {
  for (let i = 0; i < PEER_ID_BYTES; i++) if (frame[at + i] !== id[i]) return false
  return true
}

export class Router {
  private readonly states = new Map<Link, LinkState>()
  /** The link each neighbour's direct announce came on (peerKey → link), for directed traffic. */
  private readonly bound = new Map<string, LinkState>()
  private openLinks: Link[] = []
  /** When a link last came or went (TWO_HOP_STABLE_MS). */
  private linksChangedAt = -Infinity
  /** Open links minus one (the ingress), per ingress link; rebuilt when links come and go. */
  private readonly othersCache = new Map<Link, readonly Link[]>()
  private readonly seen: Seen
  private fragmentsSeen: Seen | null = null
  /**
   * The link holding each slot (undefined: free). Slots name links in the dedup tables' per-link copy
   * records, and lead from those records back to neighbours.
   */
  private readonly bySlot: (LinkState | undefined)[] = new Array(LINK_SLOTS).fill(undefined)
  private readonly reassembler: Reassembler
  /** Unverifiable public messages by sender key, oldest first (HOLD_* bounds). */
  private readonly held = new Map<string, Held[]>()
  private heldCount = 0
  private readonly maxSkew: number
  /** The clock packets are stamped and judged by: ours, moved forward when our links show it behind. */
  private readonly meshTime: MeshTime
  private readonly log: Logger
  private readonly localKey: string
  private stopped = false
  private readonly relayFrames = new FrameSlab()
  /** Scratch for `plainCopy` (one frame at a time: the router is not re-entered while it handles one). */
  private readonly header: FrameHeader = emptyFrameHeader()
  /** One context object for every policy call (the policy must not keep it). */
  private readonly context: {
    type: number, carriedType: number, ttl: number, directed: boolean, degree: number,
    links: readonly Link[], announceRelayGapMs: number, freshLinks: readonly Link[], towardsNewcomers: readonly Link[], peerArrivalAgeMs: number, knownPeers: number, seed: number, random: Random
  }

  constructor (private readonly deps: RouterDeps) {
    const config = deps.config ?? {}
    this.seen = new DedupTable<PendingRelay>(deps.clock, config.dedup)
    this.reassembler = new Reassembler(config.reassembly)
    this.maxSkew = config.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS
    this.meshTime = new MeshTime(deps.clock)
    this.log = deps.logger.child({ component: 'router' })
    this.localKey = peerKey(deps.localId)
    this.context = { type: 0, carriedType: 0, ttl: 0, directed: false, degree: 0, links: [], announceRelayGapMs: Infinity, freshLinks: [], towardsNewcomers: [], peerArrivalAgeMs: Infinity, knownPeers: 0, seed: 0, random: deps.random }
  }

  get links (): readonly Link[] {
    return this.openLinks
  }

  /** The time to stamp our packets with (ms since the Unix epoch): our clock, or our neighbours' (`MeshTime`). */
  meshNow (): number {
    return this.meshTime.now()
  }

  /** How far the mesh's time is ahead of our clock (ms); 0 unless our links showed our clock behind. */
  get clockOffsetMs (): number {
    return this.meshTime.offsetMs
  }

  /** The peer a link leads to, once its direct announce arrived (16-hex ID), else null. */
  linkPeer (link: Link): string | null {
    const state = this.states.get(link)
    if (state?.peer == null) return null
    return this.deps.peers.get(state.peer)?.idHex ?? null
  }

  addLink (link: Link): void {
    if (this.stopped || link.closed || this.states.has(link)) return
    const withdrawn = (entry: number, ttl: number): boolean => this.covered(this.seen, entry, state, ttl)
    const queue = new SendQueue(link, this.deps.clock, this.deps.counters, this.deps.config?.queue, withdrawn)
    const state: LinkState = {
      link, queue, peer: null, boundAt: 0, upAt: this.deps.clock.now(), slot: this.bySlot.indexOf(undefined), singleton: [link],
      peerHi: 0, peerLo: 0, fullFanout: false, neighbours: new NeighbourSet(), syncAskedAt: -Infinity, newcomerAt: -Infinity,
    }
    if (state.slot >= 0) this.bySlot[state.slot] = state
    this.states.set(link, state)
    this.openLinks = [...this.openLinks, link]
    this.linksChangedAt = this.deps.clock.now()
    this.othersCache.clear()
    const contain = this.deps.config?.internalErrors !== 'throw'
    link.attach({
      onFrame: contain ? frame => this.receiveContained(state, frame) : frame => this.receive(state, frame),
      onDrain: () => state.queue.drain(),
      onClose: reason => this.linkClosed(state, reason),
    })
    if (link.closed) { this.linkClosed(state, 'closed during attach'); return }
    this.deps.handlers.onLinkUp(link)
  }

  private linkClosed (state: LinkState, reason: string): void {
    if (!this.states.delete(state.link)) return
    this.meshTime.forget(state.link)
    if (state.peer !== null && this.bound.get(state.peer) === state) this.bound.delete(state.peer)
    this.openLinks = this.openLinks.filter(l => l !== state.link)
    this.linksChangedAt = this.deps.clock.now()
    this.othersCache.clear()
    this.releaseSlot(state.slot)
    state.queue.close()
    this.deps.handlers.onLinkDown(state.link, reason)
  }

  private releaseSlot (slot: number): void {
    if (slot < 0) return
    this.bySlot[slot] = undefined
    this.seen.forgetLinkSlot(slot)
    this.fragmentsSeen?.forgetLinkSlot(slot)
  }

  /** Stops relays and timers; links stay with the transport, which closes them. */
  stop (): void {
    this.stopped = true
    // Every waiting relay is attached to its dedup entry; one whose entry was evicted meanwhile finds
    // `stopped` when its timer fires.
    const cancel = (relay: PendingRelay): void => this.deps.clock.clearTimer(relay.timer)
    this.seen.detachAll(cancel)
    this.fragmentsSeen?.detachAll(cancel)
    this.held.clear()
    this.heldCount = 0
    for (const state of this.states.values()) state.queue.close()
    this.states.clear()
    this.bound.clear()
    this.openLinks = []
    this.othersCache.clear()
  }

  /** Periodic upkeep on the node's maintenance tick: expire stalled reassemblies. */
  maintain (now: number): void {
    const before = this.reassembler.expired
    this.reassembler.sweep(now)
    const expired = this.reassembler.expired - before
    if (expired > 0) this.deps.counters.drop('fragment', expired)
    this.expireHeld(now)
  }

  /** Sends a packet we originated on every open link (or those given), padded and fragmented per link. */
  originate (packet: Packet, links: readonly Link[] = this.openLinks): void {
    if (this.stopped) return
    this.deps.counters.originated++
    const frame = encodePacket(packet, { pad: isNoise(packet.type) })
    this.fanOut(frame, packet, links, null)
    if (packet.type !== MessageType.requestSync) return
    const now = this.deps.clock.now()
    for (const link of links) {
      const state = this.states.get(link)
      if (state !== undefined) state.syncAskedAt = now
    }
  }

  /** Sends a frame as it is on one link (fragmented if it must be): a sync answer replaying a stored packet. */
  sendFrame (link: Link, frame: Uint8Array): void {
    if (this.stopped) return
    this.fanOut(frame, null, [link], null)
  }

  // ---- ingress ------------------------------------------------------------------------------------

  /** `receive`, with a bug in it costing only this frame (RouterConfig.internalErrors). */
  private receiveContained (state: LinkState, frame: Uint8Array): void {
    try {
      this.receive(state, frame)
    } catch (error) {
      const count = this.deps.counters.drop('internalError')
      if (worthLogging(count)) this.log.error({ err: error, link: state.link.id, frame: toHex(frame.subarray(0, LOGGED_FRAME_BYTES)), count }, 'a frame met a bug and was dropped')
    }
  }

  receive (state: LinkState, frame: Uint8Array): void {
    if (this.stopped) return
    const counters = this.deps.counters
    counters.received++
    counters.bytesIn += frame.length
    const keyed = this.plainCopy(state, frame)
    if (keyed === true) return
    let packet: Packet
    try {
      packet = decodePacket(frame)
    } catch (error) {
      if (error instanceof DecodeError) {
        counters.drop('decode')
        if (this.log.isLevelEnabled('debug')) this.log.debug({ link: state.link.id, field: error.field }, 'undecodable frame')
        return
      }
      throw error
    }
    this.process(packet, frame, state, false, keyed === 'keyed')
  }

  /**
   * Most receptions in a dense mesh are copies of packets seen already. From the header alone (no decode,
   * no allocation) this handles a copy that changes nothing but its bookkeeping — what `duplicate` does
   * when there is no TTL upgrade and nothing left to verify — and returns true. Else it returns 'keyed'
   * when it left the packet's dedup key in `seen.key` (`process` need not hash the payload again), or
   * false. Frames that `process` treats specially before dedup (fragments, sync requests, stale or own
   * packets, compressed ones) take the full path.
   */
  private plainCopy (ingress: LinkState, frame: Uint8Array): boolean | 'keyed' {
    const h = this.header
    if (!peekHeader(frame, h)) return false
    const type = h.type
    if (type === MessageType.fragment || type === MessageType.requestSync || (h.flags & PacketFlag.isRSR) !== 0) return false
    if (this.outsideSkew(h.timestampHi * 0x1_0000_0000 + h.timestampLo)) return false
    if (sameIdAt(frame, h.senderAt, this.deps.localId)) return false
    const seen = this.seen
    frameKeyInto(seen.key, this.deps.crypto, frame, h)
    const entry = seen.find()
    if (entry === 0) return 'keyed'
    const ttl = h.ttl > MAX_TTL ? MAX_TTL : h.ttl
    const unverified = SIGNED_TYPES.has(type) && !seen.verified(entry)
    if (unverified || this.copyUpgrades(seen, entry, ttl, false)) return 'keyed'
    if (type === MessageType.announce) this.learnNeighbour(ingress, frame, h.senderAt, ttl)
    this.countCopy(seen, entry, ttl, ingress)
    return true
  }

  /**
   * An accepted announce (or a copy of one) came over `ingress` at `ttl`: at TTL 6 its sender is the
   * neighbour's own neighbour. Announces leave at MAX_TTL, both phones' and ours; one that left lower only
   * teaches us nothing, since it then arrives below 6 from a neighbour's neighbour.
   */
  private learnNeighbour (ingress: LinkState, frame: Uint8Array, senderAt: number, ttl: number): void {
    if (ttl !== MAX_TTL - 1 || ingress.peer === null || sameIdAt(frame, senderAt, this.deps.localId)) return
    ingress.neighbours.note(frame, senderAt, this.deps.clock.now())
  }

  /**
   * A direct announce (TTL 7, not a sync answer) carries its neighbour's clock: the link's vote on the
   * mesh's time, counted before the freshness check so that the announce that moves our clock is judged
   * by the new one.
   */
  private clockVote (ingress: LinkState, packet: Packet): void {
    if (!this.meshTime.vote(ingress.link, Number(packet.timestamp))) return
    const offsetMs = this.meshTime.offsetMs
    if (offsetMs === 0) this.log.info({ link: ingress.link.id }, 'our clock agrees with our neighbours\' again: packets are stamped and judged by it')
    else this.log.warn({ offsetMs, link: ingress.link.id }, 'our clock is off our neighbours\': packets are stamped and judged by their time')
  }

  /** Whether a packet stamped `timestamp` (ms) is further from the mesh's time than the allowed skew (step 3). */
  private outsideSkew (timestamp: number): boolean {
    const skew = timestamp - this.meshTime.now()
    return skew > this.maxSkew || skew < -this.maxSkew
  }

  /** `keyed`: `seen.key` already holds this packet's key (`plainCopy` computed it from the frame). */
  private process (packet: Packet, frame: Uint8Array, ingress: LinkState, reassembled: boolean, keyed = false, carriedTtl = 0): void {
    const { counters, localId } = this.deps
    if (packet.ttl > MAX_TTL) packet.ttl = MAX_TTL
    if (reassembled) packet.ttl = 0
    const type = packet.type
    const asked = packet.isRSR && this.deps.clock.now() - ingress.syncAskedAt <= RSR_WINDOW_MS
    if (type === MessageType.announce && packet.ttl === MAX_TTL && !packet.isRSR && !reassembled) this.clockVote(ingress, packet)
    if (type !== MessageType.requestSync && !asked) {
      if (this.outsideSkew(Number(packet.timestamp))) { counters.drop('stale'); return }
    }
    if (sameId(packet.senderId, localId)) { counters.drop('own'); return }
    const recipient = packet.recipientId
    const toUs = recipient !== null && sameId(recipient, localId)
    const directed = recipient !== null && !toUs && !isBroadcastId(recipient)
    const senderKey = peerKey(packet.senderId)
    if (type === MessageType.requestSync && ingress.peer !== null && ingress.peer !== senderKey) { counters.drop('binding'); return }
    if (type === MessageType.fragment) { this.fragment(packet, frame, ingress, senderKey, toUs, directed); return }

    const seen = this.seen
    if (!keyed) packetKeyInto(seen.key, this.deps.crypto, packet)
    const found = seen.find()
    if (found !== 0) { this.duplicate(seen, found, packet, frame, senderKey, ingress, reassembled); return }

    let verified = true
    if (type === MessageType.announce) {
      if (!this.announce(packet, ingress, senderKey, reassembled)) return
      if (!reassembled) this.learnNeighbour(ingress, packet.senderId, 0, packet.ttl)
      this.deps.handlers.onAnnounce?.(senderKey, packet, frame)
    } else if (SIGNED_TYPES.has(type)) {
      const signingKey = this.deps.peers.signingKey(senderKey)
      if (signingKey === undefined) verified = false
      else if (!this.deps.security.verify(signingKey, packet)) { counters.drop('badSignature'); return }
    }
    const reach = reassembled ? carriedTtl : packet.ttl
    const entry = seen.add(reach, verified)
    seen.recordCopy(entry, ingress.slot, reach)
    if (verified) this.deliver(packet, senderKey, ingress, directed, reassembled)
    else if (type === MessageType.message) {
      counters.unverifiable++
      if (!directed) this.hold(senderKey, packet, entry, ingress, reassembled)
    }
    if (!reassembled && !toUs) this.relay(seen, entry, packet, senderKey, frame, ingress, directed)
  }

  /** A copy of something already seen. Delivers nothing, except a first verified copy of a packet we relayed blind. */
  private duplicate (seen: Seen, entry: number, packet: Packet, frame: Uint8Array, senderKey: string, ingress: LinkState, reassembled: boolean): void {
    if (packet.type === MessageType.announce && !reassembled) this.learnNeighbour(ingress, packet.senderId, 0, packet.ttl)
    this.countCopy(seen, entry, packet.ttl, ingress)
    if (this.copyUpgrades(seen, entry, packet.ttl, reassembled)) this.upgrade(seen, entry, packet, frame, senderKey, ingress)
    if (seen.verified(entry) || !SIGNED_TYPES.has(packet.type)) return
    const signingKey = this.deps.peers.signingKey(senderKey)
    if (signingKey === undefined || !this.deps.security.verify(signingKey, packet)) return
    seen.markVerified(entry)
    const recipient = packet.recipientId
    const toUs = recipient !== null && sameId(recipient, this.deps.localId)
    this.deliver(packet, senderKey, ingress, recipient !== null && !toUs && !isBroadcastId(recipient), reassembled)
  }

  /** A copy's bookkeeping: which link holds it at what TTL, and a waiting relay that heard enough copies gives up. */
  private countCopy (seen: Seen, entry: number, ttl: number, ingress: LinkState): void {
    const counters = this.deps.counters
    counters.duplicates++
    seen.recordCopy(entry, ingress.slot, ttl)
    const relay = seen.attachment(entry)
    if (relay !== undefined && ++relay.heard >= relay.threshold) {
      this.deps.clock.clearTimer(relay.timer)
      seen.attach(entry, undefined)
      counters.relaysCancelled++
    }
  }

  private copyUpgrades (seen: Seen, entry: number, ttl: number, reassembled: boolean): boolean {
    return ttl > seen.ttl(entry) && !reassembled && seen.upgrades(entry) < MAX_TTL_UPGRADES
  }

  /**
   * A copy with more TTL than any before it (step 6): raise the waiting relay's TTL, or decide afresh for
   * this copy. A relay sent again carries this copy's bytes, so a signed copy must verify first (TTL is
   * outside the signature, so a genuine copy with a raised TTL still passes; a forged one does not). A
   * copy that fails changes nothing: recording its TTL would let a forger's TTL-7 garbage stop the
   * genuine copies that follow from being relayed.
   */
  private upgrade (seen: Seen, entry: number, packet: Packet, frame: Uint8Array, senderKey: string, ingress: LinkState): void {
    const recipient = packet.recipientId
    const toUs = recipient !== null && sameId(recipient, this.deps.localId)
    if (toUs) return
    const relay = seen.attachment(entry)
    if (relay === undefined && !this.copyVerifies(packet, senderKey)) return
    seen.setTtl(entry, packet.ttl)
    seen.countUpgrade(entry)
    const directed = recipient !== null && !isBroadcastId(recipient)
    if (relay !== undefined) {
      // Our own accepted bytes wait in relay.frame: only their TTL byte changes.
      const decision = this.decide(packet, senderKey, ingress, directed, seen.seed(entry))
      if (decision !== null && decision.ttl > relay.frame[TTL_AT]!) relay.frame[TTL_AT] = decision.ttl
      return
    }
    if (packet.ttl <= 1) return
    this.relay(seen, entry, packet, senderKey, frame, ingress, directed)
  }

  private copyVerifies (packet: Packet, senderKey: string): boolean {
    if (packet.type === MessageType.announce) return typeof this.deps.security.acceptAnnounce(packet) !== 'string'
    if (!SIGNED_TYPES.has(packet.type)) return true
    const signingKey = this.deps.peers.signingKey(senderKey)
    // Unknown sender: relayed blind, as its first copy was.
    return signingKey === undefined || this.deps.security.verify(signingKey, packet)
  }

  // ---- messages held until their sender's announce --------------------------------------------------

  private hold (senderKey: string, packet: Packet, entry: number, ingress: LinkState, reassembled: boolean): void {
    let list = this.held.get(senderKey)
    if (list === undefined) {
      list = []
      this.held.set(senderKey, list)
    }
    if (list.length >= HOLD_MAX_PER_SENDER) { list.shift(); this.heldCount-- }
    if (this.heldCount >= HOLD_MAX_TOTAL) this.evictOldestHeld()
    list.push({ packet, entry, ingress, reassembled, until: this.deps.clock.now() + HOLD_MS })
    this.heldCount++
  }

  private evictOldestHeld (): void {
    let oldestKey: string | null = null
    let oldest = Infinity
    for (const [key, list] of this.held) {
      if (list.length > 0 && list[0]!.until < oldest) { oldest = list[0]!.until; oldestKey = key }
    }
    if (oldestKey === null) return
    const list = this.held.get(oldestKey)!
    list.shift()
    this.heldCount--
    if (list.length === 0) this.held.delete(oldestKey)
  }

  private expireHeld (now: number): void {
    for (const [key, list] of this.held) {
      let drop = 0
      while (drop < list.length && list[drop]!.until <= now) drop++
      if (drop === 0) continue
      list.splice(0, drop)
      this.heldCount -= drop
      if (list.length === 0) this.held.delete(key)
    }
  }

  /** The sender's keys were just pinned: deliver what it sent meanwhile, if it verifies and is still fresh. */
  private releaseHeld (senderKey: string): void {
    const list = this.held.get(senderKey)
    if (list === undefined) return
    this.held.delete(senderKey)
    this.heldCount -= list.length
    const signingKey = this.deps.peers.signingKey(senderKey)
    if (signingKey === undefined) return
    const now = this.deps.clock.now()
    for (const h of list) {
      if (h.until <= now || this.seen.verified(h.entry)) continue
      if (!this.deps.security.verify(signingKey, h.packet)) { this.deps.counters.drop('badSignature'); continue }
      this.seen.markVerified(h.entry)
      this.deliver(h.packet, senderKey, h.ingress, false, h.reassembled)
    }
  }

  /** For tests and diagnostics. */
  get heldMessages (): number {
    return this.heldCount
  }

  /** Announce acceptance and pinning; false when the announce must go no further (not cached, not relayed). */
  private announce (packet: Packet, ingress: LinkState, senderKey: string, reassembled: boolean): boolean {
    const { counters, clock, peers } = this.deps
    const accepted = this.deps.security.acceptAnnounce(packet)
    if (typeof accepted === 'string') {
      counters.drop('announceRejected')
      if (this.log.isLevelEnabled('debug')) this.log.debug({ link: ingress.link.id, reason: accepted }, 'announce rejected')
      return false
    }
    const now = clock.now()
    // Links crossed: TTL 7 from a neighbour is one. Relays that cut TTL by more than one (iOS in dense
    // meshes) make it larger; one that raises the TTL makes the peer look closer (`DirectedTtl` copes).
    const hops = reassembled ? 0 : MAX_TTL + 1 - packet.ttl
    const outcome = peers.announce(packet.senderId, accepted.nickname, accepted, now, hops, accepted.fullFanout)
    if (outcome === 'keyMismatch') {
      counters.drop('keyMismatch')
      if (this.log.isLevelEnabled('warn')) this.log.warn({ link: ingress.link.id }, 'announce with keys other than the pinned ones refused')
      return false
    }
    // A direct announce: it came straight from the neighbour on this link.
    const direct = !reassembled && packet.ttl === MAX_TTL
    if (direct && ingress.peer !== senderKey &&
        (ingress.peer === null || now - ingress.boundAt >= LINK_REBIND_COOLDOWN_MS)) {
      if (ingress.peer !== null && this.bound.get(ingress.peer) === ingress) this.bound.delete(ingress.peer)
      ingress.peer = senderKey
      this.bound.set(senderKey, ingress)
      ingress.boundAt = now
      ingress.peerHi = u32At(packet.senderId, 0)
      ingress.peerLo = u32At(packet.senderId, 4)
      ingress.neighbours.clear()
    }
    if (direct && ingress.peer === senderKey) ingress.fullFanout = accepted.fullFanout
    if (outcome === 'new') {
      ingress.newcomerAt = now
      this.deps.handlers.onPeerAppeared(peers.get(senderKey)!)
    }
    if (this.heldCount > 0) this.releaseHeld(senderKey)
    return true
  }

  private deliver (packet: Packet, senderKey: string, ingress: LinkState, directed: boolean, reassembled: boolean): void {
    const { counters, peers, handlers } = this.deps
    switch (packet.type) {
      case MessageType.announce:
        return
      case MessageType.message:
        if (directed) return
        counters.delivered++
        handlers.onPublicMessage(packet, peers.get(senderKey), reassembled)
        return
      case MessageType.leave: {
        const peer = peers.remove(senderKey)
        if (peer !== undefined) handlers.onPeerLeft(peer, 'leave')
        return
      }
      default:
        if (!directed) handlers.onPacket(packet, ingress.link)
    }
  }

  /**
   * Fragments carry no signature, so what keeps an attacker's fragment from blocking a genuine one is the
   * reassembler: a fragment it refuses (wrong total or type for an open stream, a different chunk at a
   * filled index, over a bound) is dropped before it is recorded or relayed, and the key includes total
   * and type so such a fragment never shadows the genuine one in dedup either.
   */
  private fragment (packet: Packet, frame: Uint8Array, ingress: LinkState, senderKey: string, toUs: boolean, directed: boolean): void {
    const counters = this.deps.counters
    let fragment
    try {
      fragment = decodeFragment(packet.payload)
    } catch (error) {
      if (error instanceof DecodeError) { counters.drop('fragment'); return }
      throw error
    }
    const seen = this.fragmentTable()
    fragmentKeyInto(seen.key, packet.senderId, fragment.fragmentId, fragment.index, fragment.total, fragment.originalType)
    const found = seen.find()
    if (found !== 0) { this.duplicate(seen, found, packet, frame, senderKey, ingress, false); return }
    let complete: Uint8Array | null = null
    if (!directed) {
      const result = this.reassembler.add(senderKey, fragment, this.deps.clock.now())
      if (typeof result === 'string') { counters.drop('fragment'); return }
      complete = result
    }
    const entry = seen.add(packet.ttl, true)
    seen.recordCopy(entry, ingress.slot, packet.ttl)
    if (!toUs) this.relay(seen, entry, packet, senderKey, frame, ingress, directed)
    if (complete !== null) this.reassembled(complete, ingress, packet.ttl)
  }

  private fragmentTable (): Seen {
    return this.fragmentsSeen ??= new DedupTable<PendingRelay>(this.deps.clock, this.deps.config?.fragmentDedup ?? { maxEntries: FRAGMENT_DEDUP_MAX_ENTRIES, maxAgeMs: FRAGMENT_DEDUP_MAX_AGE_MS })
  }

  /**
   * A stream we just cut counts as seen: when a neighbour relays it back, or another relay cut the same
   * bytes the same way (`fragmentIdFor`), its fragments are copies, not news to flood again.
   */
  private rememberStream (senderId: Uint8Array, fragmentId: Uint8Array, total: number, originalType: number, ttl: number): void {
    const seen = this.fragmentTable()
    for (let index = 0; index < total; index++) {
      fragmentKeyInto(seen.key, senderId, fragmentId, index, total, originalType)
      if (seen.find() === 0) seen.add(ttl, true)
    }
  }

  private reassembled (frame: Uint8Array, ingress: LinkState, carriedTtl: number): void {
    const counters = this.deps.counters
    let inner: Packet
    try {
      inner = decodePacket(frame)
    } catch (error) {
      if (error instanceof DecodeError) { counters.drop('reassembly'); return }
      throw error
    }
    counters.reassembled++
    this.process(inner, frame, ingress, true, false, carriedTtl)
  }

  // ---- relay and egress ---------------------------------------------------------------------------

  /** The policy's decision for this copy, or null (no candidates, or the policy declines). */
  private decide (packet: Packet, senderKey: string, ingress: LinkState, directed: boolean, seed: number): RelayDecision | null {
    const type = packet.type
    let links = this.othersCache.get(ingress.link)
    if (links === undefined) {
      links = this.openLinks.filter(l => l !== ingress.link)
      this.othersCache.set(ingress.link, links)
    }
    if (directed) {
      // The next hop is our neighbour: only its link ([iOS] BLEFanoutSelector.directLinks for the
      // recipient, BLERouteForwardingPolicy for a route's hop). Otherwise the packet floods.
      const next = this.bound.get(peerKey(nextHop(packet, this.deps.localId)))
      if (next !== undefined && next !== ingress) links = next.singleton
    }
    if (links.length === 0) return null
    const c = this.context
    c.type = type
    c.carriedType = type === MessageType.fragment && packet.payload.length > FRAGMENT_ORIGINAL_TYPE_AT ? packet.payload[FRAGMENT_ORIGINAL_TYPE_AT]! : type
    c.ttl = packet.ttl
    c.directed = directed
    c.degree = this.openLinks.length
    c.links = links
    c.announceRelayGapMs = Infinity
    c.freshLinks = links
    c.towardsNewcomers = links
    const now = this.deps.clock.now()
    const announceSender = type === MessageType.announce ? senderKey : null
    const announceTs = announceSender === null ? 0 : Number(packet.timestamp)
    if (announceSender !== null) {
      c.announceRelayGapMs = this.deps.peers.announceRelayGap(announceSender, announceTs)
      if (c.announceRelayGapMs !== Infinity) {
        const relayedAt = this.deps.peers.announceRelayedAt(announceSender)
        c.freshLinks = this.linksSince(links, relayedAt)
        // Links record a newcomer when the peer table records an arrival: none since, none on any link.
        const newcomerSince = now - NEWCOMER_WINDOW_MS
        c.towardsNewcomers = this.deps.peers.lastArrivalAt < newcomerSince ? c.freshLinks : this.linksSince(links, relayedAt, newcomerSince)
      }
    }
    c.peerArrivalAgeMs = now - this.deps.peers.lastArrivalAt
    c.knownPeers = this.deps.peers.size
    c.seed = seed
    const decision = this.deps.policy.decide(c)
    const everywhere = decision !== null && decision.links.length >= links.length
    c.links = []
    c.freshLinks = []
    c.towardsNewcomers = []
    if (decision === null || decision.links.length === 0) return null
    if (announceSender !== null) this.deps.peers.noteAnnounceRelayed(announceSender, announceTs, now, everywhere)
    if (!(decision.ttl >= 1 && decision.ttl < packet.ttl)) throw new Error(`policy ${this.deps.policy.name} returned TTL ${decision.ttl} for a packet at TTL ${packet.ttl}`)
    return decision
  }

  /** The links that came up after `upSince`, or on which a peer appeared at `newcomerSince` or later. */
  private linksSince (links: readonly Link[], upSince: number, newcomerSince = Infinity): readonly Link[] {
    let out: Link[] | null = null
    for (const link of links) {
      const state = this.states.get(link)!
      if (state.upAt <= upSince && state.newcomerAt < newcomerSince) continue
      ;(out ??= []).push(link)
    }
    return out ?? []
  }

  private relay (seen: Seen, entry: number, packet: Packet, senderKey: string, frame: Uint8Array, ingress: LinkState, directed: boolean): void {
    const ttl = packet.ttl
    const type = packet.type
    if (ttl <= 1 || type === MessageType.requestSync || packet.isRSR || this.stopped) return
    if (repeatsHop(packet.route)) { this.deps.counters.drop('routeLoop'); return }
    const decision = this.decide(packet, senderKey, ingress, directed, seen.seed(entry))
    if (decision === null) return
    // The received bytes with only the TTL changed; Noise types padded on the air as the phones do.
    let out: Uint8Array = this.relayFrames.copy(frame, encodedPacketLength(packet))
    out[TTL_AT] = decision.ttl
    if (isNoise(type)) out = padFrame(out)
    const twoHopSkip = decision.twoHopSkip === true && !directed
    if (decision.delayMs <= 0) {
      this.send(out, decision.links, ingress.link, seen, entry, twoHopSkip)
      return
    }
    const pending: PendingRelay = { frame: out, links: decision.links, threshold: decision.cancelAfterDuplicates, twoHopSkip, heard: 0, timer: undefined }
    pending.timer = this.deps.clock.setTimer(decision.delayMs, () => {
      if (this.stopped) return
      if (seen.attachment(entry) === pending) seen.attach(entry, undefined)
      this.send(pending.frame, pending.links, ingress.link, seen, entry, pending.twoHopSkip)
    })
    seen.attach(entry, pending)
  }

  /** A relay leaving: on `links` minus those whose neighbours hold it already (`covered`); none left counts as cancelled. */
  private send (frame: Uint8Array, links: readonly Link[], except: Link, seen: Seen, entry: number, twoHopSkip: boolean): void {
    if (this.fanOut(frame, null, links, except, seen, entry, twoHopSkip) > 0) this.deps.counters.relayed++
    else this.deps.counters.relaysCancelled++
  }

  /**
   * The neighbour on `link` sent us a copy carrying at least `ttl` − 1, so it held the packet with at least
   * the TTL our copy would give it: sending adds nothing. A neighbour that sent us a poorer copy still gets
   * ours — skipping it regardless starved the TTL edge in sparse meshes (line, random degree 5: adaptive
   * fell 0.5–1.2 points below flood, seed 1).
   */
  private covered (seen: Seen, entry: number, state: LinkState, ttl: number): boolean {
    const held = seen.copyTtl(entry, state.slot)
    return held >= 0 && held + 1 >= ttl
  }

  /**
   * The two-hop skip: the neighbour on `state` is also the neighbour of X, and X sent us a copy carrying at
   * least `ttl` — X relayed, and since its announce says it relays on all its links, it sent the neighbour
   * that copy too (or skipped it by these same rules). Only X's copy proves X holds the packet, so the
   * reliance runs from later decisions to earlier ones and never in a circle: X had decided its links
   * before its copy left. That is also why `SendQueue`'s later re-check does not use this rule.
   * The edge must be seen from both ends (each relayed the other's announce to us at TTL 6) so one
   * neighbour cannot claim an edge that is not there, and fresh (NEIGHBOUR_MAX_AGE_MS); and our own links
   * must have been calm a while (TWO_HOP_STABLE_MS).
   */
  private coveredTwoHops (seen: Seen, entry: number, state: LinkState, ttl: number): boolean {
    if (state.peer === null) return false
    const now = this.deps.clock.now()
    if (now - this.linksChangedAt < TWO_HOP_STABLE_MS) return false
    const since = now - NEIGHBOUR_MAX_AGE_MS
    for (let slot = 0; slot < LINK_SLOTS; slot++) {
      const x = this.bySlot[slot]
      if (x === undefined || x === state || !x.fullFanout || x.peer === null) continue
      if (seen.copyTtl(entry, slot) >= ttl && x.neighbours.has(state.peerHi, state.peerLo, since) &&
          state.neighbours.has(x.peerHi, x.peerLo, since)) return true
    }
    return false
  }

  /**
   * Puts one frame on each of `links` (skipping `except` and closed links), fragmenting it for links that
   * cannot take it whole: one stream per limit, with the ID every relay derives for those bytes
   * (`fragmentIdFor`), so downstream dedup merges our stream with other relays' cuts of it.
   */
  private fanOut (frame: Uint8Array, packet: Packet | null, links: readonly Link[], except: Link | null, seen: Seen | null = null, entry = 0, twoHopSkip = false): number {
    let fragmentsByLimit: Map<number, Uint8Array[] | null> | null = null
    let sent = 0
    for (const link of links) {
      if (link === except) continue
      const state = this.states.get(link)
      if (state === undefined || (seen !== null && this.covered(seen, entry, state, frame[TTL_AT]!))) continue
      if (twoHopSkip && seen !== null && this.coveredTwoHops(seen, entry, state, frame[TTL_AT]!)) { this.deps.counters.twoHopSkips++; continue }
      sent++
      const limit = frameLimit(link.mtu)
      if (frame.length <= limit) { state.queue.enqueue(frame, seen === this.seen ? entry : 0); continue }
      fragmentsByLimit ??= new Map()
      let fragments = fragmentsByLimit.get(limit)
      if (fragments === undefined) {
        packet ??= decodePacket(frame)
        const fragmentId = fragmentIdFor(this.deps.crypto, frame, chunkSize(packet, limit))
        fragments = fragmentFrame(frame, packet, limit, fragmentId)
        fragmentsByLimit.set(limit, fragments)
        if (fragments !== null) this.rememberStream(packet.senderId, fragmentId, fragments.length, frame[TYPE_AT]!, frame[TTL_AT]!)
      }
      if (fragments === null) { this.deps.counters.drop('tooLarge'); continue }
      for (const f of fragments) state.queue.enqueue(f)
    }
    return sent
  }

  /** For tests and diagnostics. */
  get pendingRelays (): number {
    return this.seen.attachments + (this.fragmentsSeen?.attachments ?? 0)
  }

  get reassembly (): { openStreams: number, storedBytes: number } {
    return { openStreams: this.reassembler.openStreams, storedBytes: this.reassembler.storedBytes }
  }
}

export type { LinkState }
