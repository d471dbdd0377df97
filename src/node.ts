// MeshNode: the router, peers, announces and the application's API, composed from injected parts
// (identity, transport, clock, random, crypto, logger). Runs unchanged on BLE, in tests and in the simulator.
import { equalBytes } from '@noble/ciphers/utils.js'
import type { Clock, Random, TimerId } from './clock.js'
import { acceptAnnounce } from './crypto/announce-acceptance.js'
import type { Identity } from './crypto/identity.js'
import type { CryptoProvider } from './crypto/provider.js'
import { signPacket, verifyPacket } from './crypto/signing.js'
import { worthLogging, type Logger } from './logger.js'
import { AnnounceSync } from './mesh/announce-sync.js'
import type { Link, Transport } from './mesh/link.js'
import { NoiseSessions, type NoiseCounters } from './mesh/noise-sessions.js'
import { PeerTable, peerKey, toHex, type Peer, type PeerKeys } from './mesh/peers.js'
import type { PinPool } from './mesh/pin-pool.js'
import { adaptivePolicy } from './mesh/policy/adaptive.js'
import type { RelayPolicy } from './mesh/policy/relay-policy.js'
import { MAX_TTL, Router, type PacketSecurity, type RouterConfig } from './mesh/router.js'
import { DirectedTtl } from './mesh/directed-ttl.js'
import { Counters, type MeshStats } from './mesh/stats.js'
import { PrivateChat, type PrivateChatCounters, type PrivateMessage, type PrivateReceipt } from './private-chat.js'
import { capabilitiesFromBits, encodeAnnounce, hasCapability, PeerCapability } from './wire/announce.js'
import { decompressPayload, type Deflater } from './wire/compression.js'
import { DecodeError } from './wire/decode-error.js'
import { hexToBytes } from './wire/hex.js'
import { MessageType, type Packet } from './wire/packet-types.js'
import { MAX_PRIVATE_MESSAGE_FIELD_BYTES } from './wire/private-message.js'
import { decodeRequestSync } from './wire/request-sync.js'
import { decodeUtf8OrNull, encodeUtf8 } from './wire/utf8.js'

/** [iOS] TransportConfig.bleAnnounceIntervalSeconds: while no link is up. */
export const ISOLATED_ANNOUNCE_INTERVAL_MS = 4_000
/** [iOS] TransportConfig.bleConnectedAnnounceBaseSecondsSparse / JitterSparse: 15 ± 4 s. */
export const SPARSE_ANNOUNCE_INTERVAL_MS = 15_000
export const SPARSE_ANNOUNCE_JITTER_MS = 4_000
/** [iOS] TransportConfig.bleConnectedAnnounceBaseSecondsDense / JitterDense: 30 ± 8 s. */
export const DENSE_ANNOUNCE_INTERVAL_MS = 30_000
export const DENSE_ANNOUNCE_JITTER_MS = 8_000
/** [iOS] TransportConfig.bleHighDegreeThreshold: from this many links the mesh counts as dense. */
export const DENSE_DEGREE = 6
/** [iOS] TransportConfig.blePostAnnounceDelaySeconds: announce this long after a new link or a new peer. */
export const LINK_ANNOUNCE_DELAY_MS = 400
/** [iOS] TransportConfig.bleAnnounceMinInterval: link-triggered announces never come closer than this. */
export const ANNOUNCE_MIN_INTERVAL_MS = 1_000
/**
 * Triggered announces (new link, new peer) that keep coming back to back back off: each one within
 * TRIGGERED_BACKOFF_RESET_MS of the previous doubles the minimum gap, up to this. When a whole mesh starts
 * together every node sees hundreds of new peers within seconds, and at the 1 s minimum each answered
 * with an announce a second that flooded the whole TTL reach (500 nodes: 8.4 announces per node in the
 * first minute, 4.5x the receptions of no reciprocal at all). Our choice, after [iOS]'s per-central
 * announce backoff (bleSubscriptionRateLimit*: 2 s doubling to 30 s, audit fix BCH-01-004).
 */
export const TRIGGERED_ANNOUNCE_MAX_GAP_MS = 16_000
/** A quiet spell this long puts triggered announces back at ANNOUNCE_MIN_INTERVAL_MS. */
export const TRIGGERED_BACKOFF_RESET_MS = 60_000
/** [iOS] GossipSyncManager.scheduleInitialSyncToPeer (5 s); [AND] 5 s after a new direct announce. */
export const SYNC_INITIAL_DELAY_MS = 5_000
/** [AND] every 30 s per peer ([iOS] 15 s, with public messages). */
export const SYNC_INTERVAL_MS = 30_000
/** Our announce's capabilities TLV when the policy relays everywhere (4 bytes on the air; none otherwise). */
const FULL_FANOUT_CAPABILITIES = capabilitiesFromBits([PeerCapability.fullFanout])
/** [iOS] TransportConfig.bleMaintenanceInterval: reassembly expiry and stale peers. */
export const MAINTENANCE_INTERVAL_MS = 5_000
/** v1 carries a 2-byte payload length; longer texts go out as v2 (as Android does for large payloads). */
const V1_MAX_PAYLOAD = 0xffff
/** security.md §5 (G5): text messages are capped at 64 KiB; larger ones would also exceed 256 fragments on small MTUs. */
export const MAX_PUBLIC_TEXT_BYTES = 65_536
/** [iOS] BinaryProtocol: nicknames travel in a one-byte-length TLV. */
export const MAX_NICKNAME_BYTES = 255

export interface NodeConfig extends RouterConfig {
  nickname?: string
  /** Relay policy; default our adaptive one (docs/policies.md has the comparison that chose it). */
  policy?: RelayPolicy
  /** How long a peer stays without an announce. */
  peerStaleMs?: number
  /** Keys pinned in earlier runs (16-hex peer ID → keys), from the store. */
  pins?: Iterable<[string, PeerKeys]>
  /** Inflater for compressed public messages; without one they are relayed but not shown. */
  inflater?: Deflater
  /** Announce rhythm overrides (ms). */
  announce?: {
    isolatedIntervalMs?: number
    sparseIntervalMs?: number
    sparseJitterMs?: number
    denseIntervalMs?: number
    denseJitterMs?: number
    linkDelayMs?: number
    /** Cap of the triggered-announce backoff (ms); ANNOUNCE_MIN_INTERVAL_MS turns the backoff off. */
    triggeredMaxGapMs?: number
    /** Announce (0.4 s later, coalesced) when a new peer appears, as the phones reply to newcomers. Default true. */
    reciprocal?: boolean
  }
  /** Gossip sync of announces (REQUEST_SYNC): ask each neighbour for the announces we lack, answer theirs. */
  sync?: boolean
}

export interface NodeOptions {
  identity: Identity
  transport: Transport
  clock: Clock
  random: Random
  crypto: CryptoProvider
  logger: Logger
  config?: NodeConfig
  /** Where the peer table keeps pinned keys; default its own (a simulation shares one among its nodes). */
  pinPool?: PinPool
}

export interface PublicMessage {
  /** 16 lowercase hex characters. */
  senderId: string
  nickname: string
  text: string
  /** Sender's timestamp, ms since the Unix epoch. */
  timestamp: number
  /**
   * 7 − TTL on arrival: 0 from a neighbour. An upper bound on hops when relays cap TTL (the iOS policy does
   * in dense meshes); null when it came in fragments (their TTL is not the packet's).
   */
  hops: number | null
}

export type { PrivateMessage, PrivateReceipt } from './private-chat.js'

export interface PeerSummary {
  peerId: string
  nickname: string
  /** Hex of the Noise static key and the Ed25519 key, as pinned. */
  noisePublicKey: string
  signingPublicKey: string
  lastSeen: number
}

export interface MeshEvents {
  message: PublicMessage
  peerAppeared: PeerSummary
  peerLeft: PeerSummary & { reason: 'leave' | 'stale' }
  /**
   * Other packets for us or broadcast that passed the ingress checks (Noise, sync, files, unknown types).
   * Byte fields are views into the received frame: copy what you keep.
   */
  packet: { packet: Packet, linkId: string }
  linkUp: { linkId: string }
  linkDown: { linkId: string, reason: string }
  /** A private message, decrypted from the sender's Noise session. */
  privateMessage: PrivateMessage
  /** A peer confirmed a private message we sent (once per message and kind). */
  receipt: PrivateReceipt
  /** A private message we sent got no delivery receipt, though sent MAX_SENDS times. */
  privateUndelivered: { peerId: string, messageId: string }
}

export type Unsubscribe = () => void

export interface MeshNode {
  /** Our peer ID, 16 lowercase hex characters. */
  readonly peerId: string
  readonly nickname: string
  start (): Promise<void>
  /** Sends a leave, stops timers and the transport. */
  stop (): Promise<void>
  /** Signs and floods a public message (fragmented per link as needed). */
  sendPublic (text: string): void
  /**
   * Sends a private message over the peer's Noise session, after a handshake if there is none yet;
   * returns its message ID, which the peer's `delivered` receipt names. Text ≤ 255 UTF-8 bytes.
   */
  sendPrivate (peerId: string, text: string): string
  /** Sends an announce now (it is also sent on start, after new links and periodically). */
  announce (): void
  /** Listeners run synchronously; one that throws is logged (warn) and does not stop the others or the node. */
  on<K extends keyof MeshEvents> (event: K, listener: (event: MeshEvents[K]) => void): Unsubscribe
  peers (): PeerSummary[]
  /**
   * Every pinned peer, present or not, least recently arrived first: what a restart must get back in
   * `NodeConfig.pins` so it cannot be used to swap a peer's keys (the CLI keeps them in SQLite).
   */
  pinnedPeers (): Array<[string, PeerKeys]>
  readonly links: readonly Link[]
  stats (): NodeStats
}

export type NodeStats = MeshStats & {
  noise: NoiseCounters
  private: PrivateChatCounters
  holding: NodeHolding
  /** How far (ms) the mesh's time is ahead of our clock, from our links' direct announces; 0 unless they showed ours behind (`src/mesh/mesh-time.ts`). */
  clockOffsetMs: number
}

/**
 * What the node holds at this moment, table by table. Each is bounded, so a relay that runs for weeks
 * meeting ever new phones stays the same size (`npm run bench:soak`); these say where it stands.
 */
export interface NodeHolding {
  /** Peers heard within the stale window. */
  peersPresent: number
  /** Pinned keys, present peers or not (MAX_PINNED_PEERS). */
  pins: number
  /** Noise sessions: established, in handshake, or waiting to retry (MAX_SESSIONS). */
  sessions: number
  /** Recipients whose cut directed TTL is watched (MAX_RECIPIENTS). */
  directedRecipients: number
  /** Relays waiting out their delay. */
  pendingRelays: number
  /** Fragment streams being put together, and the bytes they hold. */
  reassemblyStreams: number
  reassemblyBytes: number
  /** Public messages held until their sender's announce (HOLD_MAX_TOTAL). */
  heldMessages: number
  /** Private messages waiting for a receipt (MAX_AWAITING), and message IDs remembered against repeats. */
  privateAwaiting: number
  privateIds: number
  links: number
}

function summary (peer: Peer): PeerSummary {
  return {
    peerId: peer.idHex,
    nickname: peer.nickname,
    noisePublicKey: toHex(peer.noisePublicKey),
    signingPublicKey: toHex(peer.signingPublicKey),
    lastSeen: peer.lastSeen,
  }
}

export function createNode (options: NodeOptions): MeshNode {
  return new Node(options)
}

class Node implements MeshNode {
  readonly peerId: string
  readonly nickname: string
  private readonly counters = new Counters()
  private readonly peerTable: PeerTable
  private router: Router
  private readonly listeners: { [K in keyof MeshEvents]?: Set<(event: MeshEvents[K]) => void> } = {}
  private readonly log: Logger
  private readonly config: NodeConfig
  /** Listener exceptions so far, for thinning their warnings. */
  private listenerFailures = 0
  private readonly policy: RelayPolicy
  private readonly security: PacketSecurity
  private running = false
  private announceTimer: TimerId | null = null
  private linkAnnounceTimer: TimerId | null = null
  private maintenanceTimer: TimerId | null = null
  private lastAnnounceAt = -Infinity
  private lastTriggeredAt = -Infinity
  private triggeredGap = ANNOUNCE_MIN_INTERVAL_MS
  private readonly sync: AnnounceSync | null
  private syncTimer: TimerId | null = null
  /** First sync request of each new link, SYNC_INITIAL_DELAY_MS after it came up. */
  private readonly linkSyncTimers = new Map<Link, TimerId>()
  private readonly sessions: NoiseSessions
  private readonly chat: PrivateChat
  private readonly directed: DirectedTtl

  constructor (private readonly o: NodeOptions) {
    this.config = o.config ?? {}
    this.policy = this.config.policy ?? adaptivePolicy
    this.peerId = toHex(o.identity.peerId)
    this.nickname = this.config.nickname ?? this.peerId.slice(0, 8)
    if (encodeUtf8(this.nickname).length > MAX_NICKNAME_BYTES) throw new Error(`nickname longer than ${MAX_NICKNAME_BYTES} UTF-8 bytes`)
    this.log = o.logger.child({ component: 'node', peer: this.peerId })
    this.peerTable = new PeerTable({ staleMs: this.config.peerStaleMs, pins: this.config.pins, pinPool: o.pinPool })
    this.directed = new DirectedTtl(this.peerTable)
    const crypto = o.crypto
    const inflater = this.config.inflater
    this.security = {
      acceptAnnounce (packet) {
        const result = acceptAnnounce(crypto, packet, inflater)
        if (!result.ok) return result.reason
        const { nickname, capabilities } = result.announce
        const fullFanout = hasCapability(capabilities, PeerCapability.fullFanout)
        return { nickname, noisePublicKey: result.noisePublicKey, signingPublicKey: result.signingPublicKey, fullFanout }
      },
      verify: (signingPublicKey, packet) => verifyPacket(crypto, signingPublicKey, packet),
    }
    this.sync = this.config.sync === true ? new AnnounceSync(crypto) : null
    this.sessions = new NoiseSessions({
      crypto,
      clock: o.clock,
      logger: this.log,
      localId: o.identity.peerId,
      staticKey: { secretKey: o.identity.noiseSecretKey, publicKey: o.identity.noisePublicKey },
      transmit: (type, recipientId, payload) => this.sendNoise(type, recipientId, payload),
      // Only what decrypts tells DirectedTtl our packets arrive: anyone can send under any ID.
      deliver: (peerId, plaintext) => {
        this.directed.answered(peerId)
        this.chat.receive(peerId, plaintext)
      },
      pinnedKey: peerId => this.peerTable.pinned(peerKey(peerId))?.noisePublicKey,
    })
    this.chat = new PrivateChat({
      sessions: this.sessions,
      clock: o.clock,
      crypto,
      nickname: peerId => this.peerTable.get(peerKey(peerId))?.nickname,
      onMessage: message => this.emit('privateMessage', message),
      onReceipt: receipt => this.emit('receipt', receipt),
      onUndelivered: (peerId, messageId) => this.emit('privateUndelivered', { peerId, messageId }),
    })
    this.router = this.makeRouter()
  }

  private makeRouter (): Router {
    const o = this.o
    return new Router({
      localId: o.identity.peerId,
      clock: o.clock,
      random: o.random,
      crypto: o.crypto,
      logger: o.logger,
      policy: this.policy,
      peers: this.peerTable,
      counters: this.counters,
      security: this.security,
      config: this.config,
      handlers: {
        onPeerAppeared: peer => {
          // A reciprocal announce, so the newcomer learns of us without waiting a whole period (§5.1).
          if (this.config.announce?.reciprocal !== false) this.announceSoon()
          this.emitLazily('peerAppeared', () => summary(peer))
        },
        onPeerLeft: (peer, reason) => {
          this.sync?.forget(peerKey(peer.id))
          this.emitLazily('peerLeft', () => ({ ...summary(peer), reason }))
        },
        onPublicMessage: (packet, peer, reassembled) => this.publicMessage(packet, peer, reassembled),
        onPacket: (packet, link) => {
          if (packet.type === MessageType.requestSync) this.answerSync(packet, link)
          else if (packet.type === MessageType.noiseHandshake || packet.type === MessageType.noiseEncrypted) this.noisePacket(packet, link)
          this.emit('packet', { packet, linkId: link.id })
        },
        onAnnounce: this.sync === null ? undefined : (senderKey, packet, frame) => this.sync!.note(senderKey, packet, frame),
        onLinkUp: link => this.linkUp(link),
        onLinkDown: (link, reason) => this.linkDown(link, reason),
      },
    })
  }

  get links (): readonly Link[] {
    return this.router.links
  }

  async start (): Promise<void> {
    if (this.running) throw new Error('node already started')
    this.running = true
    this.router = this.makeRouter()
    await this.o.transport.start({ onLink: link => this.router.addLink(link) })
    this.log.info({ nickname: this.nickname }, 'node started')
    this.announce()
    this.scheduleMaintenance()
    if (this.sync !== null) this.scheduleSync()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.sendSigned(MessageType.leave, new Uint8Array(0))
    this.running = false
    const clock = this.o.clock
    for (const t of [this.announceTimer, this.linkAnnounceTimer, this.maintenanceTimer, this.syncTimer, ...this.linkSyncTimers.values()]) if (t !== null) clock.clearTimer(t)
    this.announceTimer = this.linkAnnounceTimer = this.maintenanceTimer = this.syncTimer = null
    this.linkSyncTimers.clear()
    this.router.stop()
    // Presence is rebuilt from announces after a restart; pins stay.
    this.peerTable.clearPresence()
    await this.o.transport.stop()
    this.log.info('node stopped')
  }

  sendPublic (text: string): void {
    if (!this.running) throw new Error('node not started')
    const payload = encodeUtf8(text)
    if (payload.length > MAX_PUBLIC_TEXT_BYTES) throw new RangeError(`public message of ${payload.length} bytes exceeds ${MAX_PUBLIC_TEXT_BYTES}`)
    this.sendSigned(MessageType.message, payload)
  }

  sendPrivate (peerId: string, text: string): string {
    if (!this.running) throw new Error('node not started')
    const recipient = /^[0-9a-f]{16}$/.test(peerId) ? hexToBytes(peerId) : null
    if (recipient === null) throw new Error(`peer ID must be 16 lowercase hex characters, got '${peerId}'`)
    if (peerId === this.peerId) throw new Error('a private message to ourselves')
    if (encodeUtf8(text).length > MAX_PRIVATE_MESSAGE_FIELD_BYTES) throw new RangeError(`private message longer than ${MAX_PRIVATE_MESSAGE_FIELD_BYTES} UTF-8 bytes`)
    return this.chat.send(recipient, text)
  }

  announce (): void {
    if (!this.running) return
    const id = this.o.identity
    const payload = encodeAnnounce({
      nickname: this.nickname,
      noisePublicKey: id.noisePublicKey,
      signingPublicKey: id.signingPublicKey,
      neighbors: [],
      capabilities: this.policy.fullFanout === true ? FULL_FANOUT_CAPABILITIES : null,
      geohash: null,
      unknown: [],
    })
    this.lastAnnounceAt = this.o.clock.now()
    this.sendSigned(MessageType.announce, payload)
    this.scheduleAnnounce()
  }

  on<K extends keyof MeshEvents> (event: K, listener: (event: MeshEvents[K]) => void): Unsubscribe {
    let set = this.listeners[event] as Set<(event: MeshEvents[K]) => void> | undefined
    if (set === undefined) {
      set = new Set()
      ;(this.listeners as Record<string, unknown>)[event] = set
    }
    set.add(listener)
    return () => { set.delete(listener) }
  }

  peers (): PeerSummary[] {
    return this.peerTable.list().map(summary)
  }

  pinnedPeers (): Array<[string, PeerKeys]> {
    return this.peerTable.pins()
  }

  stats (): NodeStats {
    return { ...this.counters.snapshot(), noise: { ...this.sessions.counters }, private: { ...this.chat.counters }, holding: this.holding(), clockOffsetMs: this.router.clockOffsetMs }
  }

  private holding (): NodeHolding {
    const reassembly = this.router.reassembly
    return {
      peersPresent: this.peerTable.size,
      pins: this.peerTable.pinCount,
      sessions: this.sessions.size,
      directedRecipients: this.directed.size,
      pendingRelays: this.router.pendingRelays,
      reassemblyStreams: reassembly.openStreams,
      reassemblyBytes: reassembly.storedBytes,
      heldMessages: this.router.heldMessages,
      privateAwaiting: this.chat.awaitingCount,
      privateIds: this.chat.rememberedIds,
      links: this.router.links.length,
    }
  }

  // ----------------------------------------------------------------------------------------------

  private emit<K extends keyof MeshEvents> (event: K, value: MeshEvents[K]): void {
    this.emitLazily(event, () => value)
  }

  /**
   * Builds the event only when someone listens: a peer summary is three hex strings, and in a large
   * simulation every node sees hundreds of peers appear (3 000 nodes, first 3 s: 3 % of CPU in toHex with
   * nobody listening). Listeners run inside a frame's walk: one that throws (the CLI's store on a full
   * SD card) would abandon the frame half-handled and, under a radio library's callback, end the
   * process. So it is logged (thinned: one may throw on every message), and the other listeners and the
   * frame go on.
   */
  private emitLazily<K extends keyof MeshEvents> (event: K, make: () => MeshEvents[K]): void {
    const set = this.listeners[event] as Set<(event: MeshEvents[K]) => void> | undefined
    if (set === undefined || set.size === 0) return
    const value = make()
    for (const listener of set) {
      try {
        listener(value)
      } catch (error) {
        const count = ++this.listenerFailures
        if (worthLogging(count)) this.log.warn({ err: error, event, count }, 'a listener threw')
      }
    }
  }

  private sendSigned (type: number, payload: Uint8Array): void {
    this.router.originate(this.signed(type, payload, MAX_TTL, null))
  }

  /** A packet of ours, stamped now and signed. */
  private signed (type: number, payload: Uint8Array, ttl: number, recipientId: Uint8Array | null): Packet {
    return signPacket(this.o.crypto, this.o.identity, this.ours(type, payload, ttl, recipientId))
  }

  /** A packet of ours, stamped now, unsigned: v2 only when the payload needs it. */
  private ours (type: number, payload: Uint8Array, ttl: number, recipientId: Uint8Array | null): Packet {
    return {
      version: payload.length > V1_MAX_PAYLOAD ? 2 : 1,
      type,
      ttl,
      timestamp: BigInt(Math.floor(this.router.meshNow())),
      senderId: this.o.identity.peerId,
      recipientId,
      route: [],
      payload,
      isCompressed: false,
      isRSR: false,
      signature: null,
    }
  }

  private publicMessage (packet: Packet, peer: Peer | undefined, reassembled: boolean): void {
    let bytes: Uint8Array
    if (packet.isCompressed) {
      const inflater = this.config.inflater
      if (inflater === undefined) return
      try {
        bytes = decompressPayload(packet, inflater)
      } catch (error) {
        if (error instanceof DecodeError) return
        throw error
      }
    } else {
      bytes = packet.payload
    }
    const text = decodeUtf8OrNull(bytes)
    if (text === null) return
    this.emit('message', {
      senderId: peer?.idHex ?? toHex(packet.senderId),
      nickname: peer?.nickname ?? '',
      text,
      timestamp: Number(packet.timestamp),
      hops: reassembled ? null : MAX_TTL - packet.ttl,
    })
  }

  /**
   * A Noise packet the router passed us: only those addressed to us go to the sessions, with the link it
   * came in on, whose handshake budget it spends.
   */
  private noisePacket (packet: Packet, link: Link): void {
    const to = packet.recipientId
    if (to === null || !equalBytes(to, this.o.identity.peerId)) return
    if (packet.type === MessageType.noiseHandshake) this.sessions.receiveHandshake(packet.senderId, packet.payload, link)
    else this.sessions.receiveEncrypted(packet.senderId, packet.payload, link)
  }

  /**
   * Noise packets go out unsigned, v1, to the peer: what iOS sends and both phones accept (Android signs
   * its own, but verifies signatures only on announces, messages and files). TTL 7, or less among our own
   * nodes (`DirectedTtl`).
   */
  private sendNoise (type: number, recipientId: Uint8Array, payload: Uint8Array): void {
    if (!this.running) return
    this.router.originate(this.ours(type, payload, this.directed.ttl(recipientId, this.o.clock.now()), recipientId))
  }

  private linkUp (link: Link): void {
    this.announceSoon()
    if (this.sync !== null && this.running) {
      this.linkSyncTimers.set(link, this.o.clock.setTimer(SYNC_INITIAL_DELAY_MS, () => {
        this.linkSyncTimers.delete(link)
        this.requestSync(link)
      }))
    }
    this.emit('linkUp', { linkId: link.id })
  }

  private linkDown (link: Link, reason: string): void {
    const timer = this.linkSyncTimers.get(link)
    if (timer !== undefined) { this.o.clock.clearTimer(timer); this.linkSyncTimers.delete(link) }
    this.emit('linkDown', { linkId: link.id, reason })
  }

  private scheduleSync (): void {
    this.syncTimer = this.o.clock.setTimer(SYNC_INTERVAL_MS, () => {
      this.syncTimer = null
      if (!this.running) return
      for (const link of this.router.links) this.requestSync(link)
      this.scheduleSync()
    })
  }

  /** A REQUEST_SYNC to the neighbour on `link` (once its direct announce bound the link): TTL 0, signed, addressed to it. */
  private requestSync (link: Link): void {
    const peer = this.router.linkPeer(link)
    if (this.sync === null || !this.running || link.closed || peer === null) return
    const payload = this.sync.requestPayload(this.router.meshNow())
    this.router.originate(this.signed(MessageType.requestSync, payload, 0, hexToBytes(peer)), [link])
  }

  /**
   * The announces a neighbour's REQUEST_SYNC lacks, on its link alone. Only a neighbour whose direct
   * announce bound the link is answered: an answer can be a hundred frames, and a request relayed in
   * or sent under many identities over one unbound link must not buy that many times over.
   */
  private answerSync (packet: Packet, link: Link): void {
    if (this.sync === null) return
    if (this.router.linkPeer(link) !== toHex(packet.senderId)) { this.counters.drop('binding'); return }
    const now = this.o.clock.now()
    const requester = peerKey(packet.senderId)
    if (!this.sync.mayAnswer(requester, now)) { this.counters.drop('syncRateLimited'); return }
    let frames: Uint8Array[]
    try {
      frames = this.sync.missing(decodeRequestSync(packet.payload), requester, this.router.meshNow())
    } catch (error) {
      if (error instanceof DecodeError) { this.counters.drop('syncRequest'); return }
      throw error
    }
    for (const frame of frames) this.router.sendFrame(link, frame)
  }

  /** An announce 0.4 s from now (new link, new peer), shared by everything that asks meanwhile. */
  private announceSoon (): void {
    if (this.linkAnnounceTimer !== null || !this.running) return
    const clock = this.o.clock
    // Links that come up together share one announce; a burst of flapping links cannot make a storm.
    const delay = Math.max(this.config.announce?.linkDelayMs ?? LINK_ANNOUNCE_DELAY_MS, this.lastAnnounceAt + this.triggeredGap - clock.now())
    this.linkAnnounceTimer = clock.setTimer(delay, () => {
      this.linkAnnounceTimer = null
      const now = clock.now()
      const cap = this.config.announce?.triggeredMaxGapMs ?? TRIGGERED_ANNOUNCE_MAX_GAP_MS
      this.triggeredGap = now - this.lastTriggeredAt < TRIGGERED_BACKOFF_RESET_MS ? Math.min(this.triggeredGap * 2, cap) : ANNOUNCE_MIN_INTERVAL_MS
      this.lastTriggeredAt = now
      this.announce()
    })
  }

  /** iOS's rhythm: 4 s while isolated, 15 ± 4 s with a few links, 30 ± 8 s from six links on. */
  private scheduleAnnounce (): void {
    const clock = this.o.clock
    if (this.announceTimer !== null) clock.clearTimer(this.announceTimer)
    const a = this.config.announce ?? {}
    const degree = this.router.links.length
    const random = this.o.random
    let delay: number
    if (degree === 0) delay = a.isolatedIntervalMs ?? ISOLATED_ANNOUNCE_INTERVAL_MS
    else if (degree < DENSE_DEGREE) delay = (a.sparseIntervalMs ?? SPARSE_ANNOUNCE_INTERVAL_MS) + (random.next() * 2 - 1) * (a.sparseJitterMs ?? SPARSE_ANNOUNCE_JITTER_MS)
    else delay = (a.denseIntervalMs ?? DENSE_ANNOUNCE_INTERVAL_MS) + (random.next() * 2 - 1) * (a.denseJitterMs ?? DENSE_ANNOUNCE_JITTER_MS)
    this.announceTimer = clock.setTimer(delay, () => {
      this.announceTimer = null
      this.announce()
    })
  }

  private scheduleMaintenance (): void {
    this.maintenanceTimer = this.o.clock.setTimer(MAINTENANCE_INTERVAL_MS, () => {
      this.maintenanceTimer = null
      if (!this.running) return
      const now = this.o.clock.now()
      this.router.maintain(now)
      this.sessions.maintain(now)
      this.chat.maintain(now)
      for (const peer of this.peerTable.expire(now)) this.emitLazily('peerLeft', () => ({ ...summary(peer), reason: 'stale' as const }))
      this.scheduleMaintenance()
    })
  }
}
