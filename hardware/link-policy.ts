// Which connections the transport makes or accepts: allow/deny lists (by address, and by peer ID once an
// announce told who is there), the link cap, the RSSI gate, and per-address backoff with a temporary block
// for peers that fail or flap. Decisions only; the roles act on them.
import { LRUCache } from 'lru-cache'
import type { Clock, Random } from '../src/clock.js'
import { normalizeAddress } from './gatt-profile.js'

export interface LinkPolicyOptions {
  /** Links in both roles together. */
  maxLinks: number
  /** Adverts weaker than this are not connected to. */
  minRssi: number
  /** When non-empty, only these addresses / peer IDs may link. */
  allowAddresses: string[]
  denyAddresses: string[]
  allowPeers: string[]
  denyPeers: string[]
  /** First retry delay after a failure; doubles per consecutive failure. */
  backoffBaseMs: number
  backoffMaxMs: number
  /** Consecutive failures after which an address is blocked for `blockMs`. */
  blockAfterFailures: number
  blockMs: number
  /** A link that ends sooner than this after opening counts as a failure (a flap). */
  flapMs: number
  /** Addresses remembered (their failures here, the peer each led to in the transport); least recently used goes first. */
  maxAddressRecords: number
}

/** [iOS] TransportConfig.swift: at most 6 central links; central and peripheral links share the controller's budget (noble-bleno.md §1.5). */
export const MAX_LINKS = 6
/** [iOS] TransportConfig.swift RSSI gate default −90 dBm. */
export const MIN_RSSI = -90
/** HCI reports 127 when RSSI is not available (Core Vol 4 Part E §7.7.65.2); btvirt always does. */
export const RSSI_UNAVAILABLE = 127
/** Our choice: one second, doubling, up to a minute, keeps a broken peer from eating the connect slot. */
export const BACKOFF_BASE_MS = 1_000
export const BACKOFF_MAX_MS = 60_000
/** Our choice: five failures in a row (about 31 s of backoff) earns a five-minute block. */
export const BLOCK_AFTER_FAILURES = 5
export const BLOCK_MS = 300_000
/** Our choice: a link that dies within 5 s of opening is a flap, not a success. */
export const FLAP_MS = 5_000
/**
 * Our choice. Phones draw a new random address about every 15 minutes, so a relay that runs for weeks
 * meets addresses without end, and a record kept for each one that ever failed grew for as long as it
 * ran. A thousand is far more advertisers than one radio hears at once.
 */
export const MAX_ADDRESS_RECORDS = 1_024

export const DEFAULT_LINK_POLICY: LinkPolicyOptions = {
  maxLinks: MAX_LINKS,
  minRssi: MIN_RSSI,
  allowAddresses: [],
  denyAddresses: [],
  allowPeers: [],
  denyPeers: [],
  backoffBaseMs: BACKOFF_BASE_MS,
  backoffMaxMs: BACKOFF_MAX_MS,
  blockAfterFailures: BLOCK_AFTER_FAILURES,
  blockMs: BLOCK_MS,
  flapMs: FLAP_MS,
  maxAddressRecords: MAX_ADDRESS_RECORDS,
}

export type Verdict = { ok: true } | { ok: false, reason: string }

const OK: Verdict = { ok: true }

interface Record {
  failures: number
  notBefore: number
  blockedUntil: number
}

export class LinkPolicy {
  readonly options: LinkPolicyOptions
  private readonly allowAddresses: Set<string>
  private readonly denyAddresses: Set<string>
  private readonly allowPeers: Set<string>
  private readonly denyPeers: Set<string>
  private readonly records: LRUCache<string, Record>

  constructor (private readonly clock: Clock, private readonly random: Random, options: Partial<LinkPolicyOptions> = {}) {
    this.options = { ...DEFAULT_LINK_POLICY, ...options }
    this.records = new LRUCache({ max: this.options.maxAddressRecords })
    this.allowAddresses = new Set(this.options.allowAddresses.map(normalizeAddress))
    this.denyAddresses = new Set(this.options.denyAddresses.map(normalizeAddress))
    this.allowPeers = new Set(this.options.allowPeers.map(p => p.toLowerCase()))
    this.denyPeers = new Set(this.options.denyPeers.map(p => p.toLowerCase()))
  }

  /** The allow/deny lists for a radio address (either role). */
  admitsAddress (address: string): Verdict {
    const a = normalizeAddress(address)
    if (this.denyAddresses.has(a)) return { ok: false, reason: 'address denied' }
    if (this.allowAddresses.size > 0 && !this.allowAddresses.has(a)) return { ok: false, reason: 'address not allowed' }
    return OK
  }

  /** The allow/deny lists for a peer ID (16 hex characters), once known. */
  admitsPeer (peerId: string): Verdict {
    const p = peerId.toLowerCase()
    if (this.denyPeers.has(p)) return { ok: false, reason: 'peer denied' }
    if (this.allowPeers.size > 0 && !this.allowPeers.has(p)) return { ok: false, reason: 'peer not allowed' }
    return OK
  }

  /** Whether a peripheral's connection may be accepted given the links already up. */
  admitsIncoming (address: string, linkCount: number): Verdict {
    const listed = this.admitsAddress(address)
    if (!listed.ok) return listed
    if (linkCount >= this.options.maxLinks) return { ok: false, reason: 'link cap reached' }
    const blocked = this.blocked(address)
    if (!blocked.ok) return blocked
    return OK
  }

  /** Whether to connect to an advertiser seen with this RSSI, given the links up and in progress. */
  admitsOutgoing (address: string, rssi: number, linkCount: number): Verdict {
    const listed = this.admitsAddress(address)
    if (!listed.ok) return listed
    if (linkCount >= this.options.maxLinks) return { ok: false, reason: 'link cap reached' }
    if (rssi !== RSSI_UNAVAILABLE && rssi < this.options.minRssi) return { ok: false, reason: `rssi ${rssi} below ${this.options.minRssi}` }
    const blocked = this.blocked(address)
    if (!blocked.ok) return blocked
    const record = this.records.get(normalizeAddress(address))
    if (record !== undefined && this.clock.now() < record.notBefore) return { ok: false, reason: 'backing off' }
    return OK
  }

  /** A connect attempt failed, or a link flapped: back off, and block after repeated failures. */
  failed (address: string): void {
    const a = normalizeAddress(address)
    const now = this.clock.now()
    const record = this.records.get(a) ?? { failures: 0, notBefore: 0, blockedUntil: 0 }
    record.failures++
    const base = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (record.failures - 1))
    // Jitter of up to a quarter keeps two nodes that failed together from retrying in lockstep.
    record.notBefore = now + base + Math.floor(this.random.next() * base / 4)
    if (record.failures >= this.options.blockAfterFailures) {
      record.blockedUntil = now + this.options.blockMs
      record.failures = 0
    }
    this.records.set(a, record)
  }

  /** A link to this address ended; one that lived shorter than `flapMs` counts as a failure. */
  ended (address: string, openedAt: number): void {
    if (this.clock.now() - openedAt < this.options.flapMs) this.failed(address)
    else this.records.delete(normalizeAddress(address))
  }

  /** Keeps an address away for `ms` without counting a failure (a redundant link we just collapsed). */
  holdOff (address: string, ms: number): void {
    const a = normalizeAddress(address)
    const record = this.records.get(a) ?? { failures: 0, notBefore: 0, blockedUntil: 0 }
    record.notBefore = Math.max(record.notBefore, this.clock.now() + ms)
    this.records.set(a, record)
  }

  /** Remaining block and backoff, for logs and tests. */
  state (address: string): { failures: number, backoffMs: number, blockedMs: number } {
    const record = this.records.get(normalizeAddress(address))
    const now = this.clock.now()
    if (record === undefined) return { failures: 0, backoffMs: 0, blockedMs: 0 }
    return { failures: record.failures, backoffMs: Math.max(0, record.notBefore - now), blockedMs: Math.max(0, record.blockedUntil - now) }
  }

  private blocked (address: string): Verdict {
    const record = this.records.get(normalizeAddress(address))
    if (record !== undefined && this.clock.now() < record.blockedUntil) return { ok: false, reason: 'temporarily blocked' }
    return OK
  }
}
