// The mesh Transport over real Bluetooth: the peripheral role (bleno) and the central role (noble) on one
// or two controllers, and the link manager that decides which connections to make, keep and collapse.
import { LRUCache } from 'lru-cache'
import type { Clock, Random } from '../src/clock.js'
import type { Logger } from '../src/logger.js'
import type { Transport, TransportHandlers } from '../src/mesh/link.js'
import type { BleLink, LinkCounters, LinkPacing } from './ble-link.js'
import { CentralRole, CONNECT_TIMEOUT_MS, SCAN_RESTART_MS } from './central-role.js'
import type { CentralAdapter, PeripheralAdapter } from './adapters.js'
import { directAnnounceSender, type AnnounceVerifier } from './direct-announce.js'
import { normalizeAddress } from './gatt-profile.js'
import { LinkPolicy, type LinkPolicyOptions, type Verdict } from './link-policy.js'
import { NOBLE_SWEEP_MS } from './noble-janitor.js'
import { ADVERTISING_REARM_MS, PeripheralRole } from './peripheral-role.js'

/**
 * Our choice: how long the end that keeps its central link waits for the peer to close the redundant one
 * (a direct announce arrives within ~1 s of a link: [iOS] blePostAnnounceDelay 0.4 s plus pacing).
 */
export const COLLAPSE_GRACE_MS = 2_000

export interface BleTransportOptions {
  central: CentralAdapter | null
  peripheral: PeripheralAdapter | null
  /** Both roles on one controller (noble-bleno.md §1.4): re-arm advertising after every central connect. */
  shared: boolean
  clock: Clock
  random: Random
  logger: Logger
  policy?: Partial<LinkPolicyOptions>
  connectTimeoutMs?: number
  scanRestartMs?: number
  /** How often noble's memory of advertisers unheard since the last sweep is pruned (NOBLE_SWEEP_MS). */
  nobleSweepMs?: number
  advertisingRearmMs?: number
  pacing?: LinkPacing
  /** Our peer ID (16 hex): decides which of two links to the same peer survives. */
  localPeerId?: string
  /**
   * Learn each link's peer from the first direct announce on it (default true); `identify` from the node
   * works either way. The verifier, when given, must accept the announce first.
   */
  peekAnnounces?: boolean
  announceVerifier?: AnnounceVerifier
}

export interface LinkStats {
  id: string
  role: 'central' | 'peripheral'
  address: string
  peerId: string | undefined
  mtu: number
  queued: number
  counters: LinkCounters
}

export class BleTransport implements Transport {
  readonly policy: LinkPolicy
  private readonly central: CentralRole | null
  private readonly peripheral: PeripheralRole | null
  private readonly links = new Map<string, BleLink>()
  /**
   * Ends we caused say nothing about the peer, so they are no flaps: links we closed on purpose (a collapsed
   * twin, an operator's drop), and every link that ends while the transport stops, whatever reason the
   * library gives first.
   */
  private readonly closedOnPurpose = new WeakSet<BleLink>()
  private stopping = false
  /**
   * Which peer an address led to, learned from identify(); survives the link so we do not redial a
   * redundant peer. Bounded like the policy's records: phones keep changing address.
   */
  private readonly peerOfAddress: LRUCache<string, string>
  private handlers: TransportHandlers | null = null
  private localPeerId: string | undefined
  private linkSeq = 0
  private readonly logger: Logger

  constructor (private readonly options: BleTransportOptions) {
    this.logger = options.logger.child({ component: 'ble' })
    this.policy = new LinkPolicy(options.clock, options.random, options.policy)
    this.peerOfAddress = new LRUCache({ max: this.policy.options.maxAddressRecords })
    this.localPeerId = options.localPeerId?.toLowerCase()
    this.peripheral = options.peripheral === null
      ? null
      : new PeripheralRole(options.peripheral.bleno, options.clock, this.logger.child({ role: 'peripheral' }), {
        admit: address => this.policy.admitsIncoming(address, this.busyCount()),
        linkUp: link => { this.linkUp(link) },
        linkEnded: (link, reason) => { this.linkEnded(link, reason) },
        nextLinkId: (role, address) => this.nextLinkId(role, address),
        connectionMtu: options.peripheral.connectionMtu,
        disconnectHandle: options.peripheral.disconnectHandle,
      }, options.pacing, options.advertisingRearmMs ?? ADVERTISING_REARM_MS)
    this.central = options.central === null
      ? null
      : new CentralRole(options.central.noble, options.clock, this.logger.child({ role: 'central' }), {
        admit: (address, rssi) => this.admitOutgoing(address, rssi),
        alreadyLinked: address => this.alreadyLinked(address),
        connectFailed: address => { this.policy.failed(address) },
        linkUp: link => { this.linkUp(link) },
        linkEnded: (link, reason) => { this.linkEnded(link, reason) },
        attemptEnded: () => {
          // noble's pre-connect HCI_Reset silently stops bleno's advertising on a shared adapter (§1.4 A).
          if (this.options.shared) void this.peripheral?.rearmAdvertising()
        },
        nextLinkId: (role, address) => this.nextLinkId(role, address),
      }, {
        connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        scanRestartMs: options.scanRestartMs ?? SCAN_RESTART_MS,
        nobleSweepMs: options.nobleSweepMs ?? NOBLE_SWEEP_MS,
        mtuIsPayload: options.central.mtuIsPayload,
        ...(options.pacing === undefined ? {} : { pacing: options.pacing }),
      })
  }

  async start (handlers: TransportHandlers): Promise<void> {
    if (this.handlers !== null) return
    this.handlers = handlers
    this.stopping = false
    // Peripheral first: on a shared adapter noble is already up (adapters.ts opens it first), and a central
    // that connects at once to a neighbour should find our own advertising running.
    await this.peripheral?.start()
    await this.central?.start()
  }

  async stop (): Promise<void> {
    if (this.handlers === null) return
    this.stopping = true
    await this.central?.stop()
    await this.peripheral?.stop()
    for (const link of [...this.links.values()]) link.close('transport stopped')
    this.handlers = null
  }

  /** Our own peer ID, once the node knows it; used to break ties between double links. */
  setLocalPeerId (peerId: string): void {
    this.localPeerId = peerId.toLowerCase()
  }

  /**
   * Tells the transport which peer a link leads to (from a verified direct announce). Applies the peer
   * allow/deny list, drops links to ourselves, and collapses a double link to the same peer: the surviving
   * link is the one where the lower peer ID is the central, so both ends choose the same link.
   */
  identify (linkId: string, peerId: string): void {
    const link = this.links.get(linkId)
    if (link === undefined || link.closed) return
    const peer = peerId.toLowerCase()
    const address = link.info.address ?? ''
    if (link.peerId === peer) return
    link.peerId = peer
    if (link.info.role === 'central') this.peerOfAddress.set(normalizeAddress(address), peer)
    if (this.localPeerId !== undefined && peer === this.localPeerId) {
      this.logger.info({ link: linkId }, 'link leads to ourselves; closing')
      this.policy.holdOff(address, this.policy.options.blockMs)
      link.close('link to self')
      return
    }
    const verdict = this.policy.admitsPeer(peer)
    if (!verdict.ok) {
      this.logger.info({ link: linkId, peer, reason: verdict.reason }, 'closing link to a peer the lists exclude')
      this.policy.holdOff(address, this.policy.options.blockMs)
      link.close(verdict.reason)
      return
    }
    const twins = [...this.links.values()].filter(l => !l.closed && l.peerId === peer)
    if (twins.length < 2) return
    const keepRole = this.localPeerId === undefined ? undefined : (this.localPeerId < peer ? 'central' : 'peripheral')
    const ordered = [...twins].sort((a, b) => a.openedAt - b.openedAt)
    const keeper = ordered.find(l => l.info.role === keepRole) ?? ordered[0]!
    for (const twin of twins) {
      if (twin === keeper) continue
      if (twin.info.role === 'peripheral' && keepRole !== undefined) {
        // The other end closes this link from its central side, and learns there which peer our advertising
        // address leads to, so it will not dial it again. Give it that chance before closing it ourselves.
        this.logger.debug({ link: twin.id, kept: keeper.id, peer }, 'double link: leaving the redundant one to the peer')
        this.options.clock.setTimer(COLLAPSE_GRACE_MS, () => {
          if (twin.closed || keeper.closed) return
          this.logger.info({ link: twin.id, kept: keeper.id, peer }, 'collapsing a double link')
          this.closeOnPurpose(twin, 'redundant link')
        })
        continue
      }
      this.logger.info({ link: twin.id, kept: keeper.id, peer }, 'collapsing a double link')
      this.closeOnPurpose(twin, 'redundant link')
    }
  }

  /** Closes every link now (the peers reconnect through the usual policy); for operators and tests. */
  dropLinks (reason = 'dropped'): void {
    for (const link of [...this.links.values()]) this.closeOnPurpose(link, reason)
  }

  linkStats (): LinkStats[] {
    return [...this.links.values()].map(link => ({
      id: link.id,
      role: link.info.role ?? 'central',
      address: link.info.address ?? '',
      peerId: link.peerId,
      mtu: link.mtu,
      queued: link.queued,
      counters: { ...link.counters },
    }))
  }

  /** The controllers' own addresses, for logs and for building topologies in tests. */
  addresses (): { central: string | undefined, peripheral: string | undefined } {
    return { central: this.central?.address, peripheral: this.peripheral?.address }
  }

  private busyCount (): number {
    return (this.central?.busyCount ?? 0) + (this.peripheral?.connectionCount ?? 0)
  }

  private admitOutgoing (address: string, rssi: number): Verdict {
    // With two adapters our central can hear our own peripheral's advertising.
    const own = this.peripheral?.address
    if (own !== undefined && normalizeAddress(own) === normalizeAddress(address)) return { ok: false, reason: 'our own peripheral' }
    return this.policy.admitsOutgoing(address, rssi, this.busyCount())
  }

  private alreadyLinked (address: string): boolean {
    const a = normalizeAddress(address)
    const peer = this.peerOfAddress.get(a)
    for (const link of this.links.values()) {
      if (link.closed) continue
      // One adapter per node: the peripheral link from a neighbour carries its advertising address (§2.6).
      if (normalizeAddress(link.info.address ?? '') === a) return true
      if (peer !== undefined && link.peerId === peer) return true
    }
    return false
  }

  private nextLinkId (role: 'central' | 'peripheral', address: string): string {
    return `${role === 'central' ? 'c' : 'p'}${++this.linkSeq}-${normalizeAddress(address)}`
  }

  private linkUp (link: BleLink): void {
    if (this.handlers === null) {
      link.close('transport stopped')
      return
    }
    this.links.set(link.id, link)
    if (this.options.peekAnnounces !== false) {
      link.observer = frame => {
        const peer = directAnnounceSender(frame, this.options.announceVerifier)
        if (peer === null) return
        link.observer = null
        this.identify(link.id, peer)
      }
    }
    this.handlers.onLink(link)
  }

  /**
   * Whether another open link leads to the same peer. Then this one was the redundant half of a double
   * link, and the peer closing it says nothing against the peer: iOS collapses double links from its
   * central side, and `identify` leaves the redundant peripheral link for the peer to close. Counted as
   * flaps, five such collapses blocked the phone's address for five minutes, our own dials to it included.
   */
  private hasTwin (link: BleLink): boolean {
    if (link.peerId === undefined) return false
    for (const other of this.links.values()) if (other !== link && !other.closed && other.peerId === link.peerId) return true
    return false
  }

  private closeOnPurpose (link: BleLink, reason: string): void {
    this.closedOnPurpose.add(link)
    link.close(reason)
  }

  private linkEnded (link: BleLink, reason: string): void {
    this.links.delete(link.id)
    if (!this.stopping && !this.closedOnPurpose.has(link) && !this.hasTwin(link)) this.policy.ended(link.info.address ?? '', link.openedAt)
    this.logger.info({ link: link.id, reason, counters: link.counters }, 'link down')
  }
}
