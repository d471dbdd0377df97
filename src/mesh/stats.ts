// The node's counters: plain numbers bumped on the hot path, turned into a readable snapshot on demand.
import { MessageType } from '../wire/packet-types.js'

/** Why a frame or packet was dropped. One counter each; `stats().dropped` has them all, zeros included. */
export const DROP_REASONS = [
  /** The frame did not decode (DecodeError). */
  'decode',
  /** Timestamp outside the freshness window. */
  'stale',
  /** Our own packet came back. */
  'own',
  /** A fragment payload did not decode or broke a stream's (total, type), index or size bounds. */
  'fragment',
  /** A reassembled packet did not decode. */
  'reassembly',
  /** An announce failed acceptance (bad TLV, ID not derived from its key, bad signature). */
  'announceRejected',
  /** An announce tried to replace a pinned peer's keys. */
  'keyMismatch',
  /** A signed packet from a pinned peer failed verification (or carried no signature). */
  'badSignature',
  /** A packet on a link bound to another peer that the link's binding rules refuse; a sync request over a link not bound to its sender. */
  'binding',
  /** A per-link send queue was full. */
  'queueFull',
  /** The link closed with frames still queued. */
  'linkClosed',
  /** A frame needed more fragments than allowed, or the link's MTU is too small to fragment into. */
  'tooLarge',
  /** A neighbour asked for sync more often than SYNC_ANSWERS_PER_WINDOW allows; unanswered. */
  'syncRateLimited',
  /** A REQUEST_SYNC payload or its filter did not decode. */
  'syncRequest',
  /** A source route named a hop twice; not relayed. */
  'routeLoop',
  /** Handling the frame met a bug (an exception other than DecodeError); the node went on without it. */
  'internalError',
] as const
export type DropReason = typeof DROP_REASONS[number]

/** What the application sees of its node's work. Counters only grow (until the node is re-created). */
export interface MeshStats {
  /** Frames received from links. */
  received: number
  bytesIn: number
  /** Public messages handed to the application. */
  delivered: number
  /** Packets we originated (before fragmentation). */
  originated: number
  /** Relay decisions carried out (one per packet, however many links it went to). */
  relayed: number
  /** Scheduled relays cancelled because enough copies were heard. */
  relaysCancelled: number
  /** Copies of packets (and fragments) already seen. */
  duplicates: number
  /** Relayed frames taken back out of a send queue: while they waited, the neighbour sent us as good a copy. */
  withdrawn: number
  /** Relayed frames not sent because a neighbour that relays everywhere also links to that link's neighbour. */
  twoHopSkips: number
  /** Public messages not shown because their sender's key is not known yet. */
  unverifiable: number
  /** Packets rebuilt from fragments. */
  reassembled: number
  dropped: Record<DropReason, number>
  /** Frames handed to links, and their bytes. */
  framesOut: number
  bytesOut: number
  /**
   * Frames out split by purpose: control = announce, leave, handshake, sync; application = everything
   * else. A fragment counts as the type it carries.
   */
  framesOutControl: number
  framesOutApplication: number
  /** Frames out by wire type name ('announce', 'message', 'fragment', … or '0x2a' for unnamed types). */
  framesOutByType: Record<string, number>
}

const TYPE_NAMES = new Map<number, string>(Object.entries(MessageType).map(([name, code]) => [code, name]))

export function typeName (type: number): string {
  return TYPE_NAMES.get(type) ?? `0x${type.toString(16).padStart(2, '0')}`
}

/** Whether frames of this (original) type are control traffic rather than application payload. */
export function isControlType (type: number): boolean {
  return type === MessageType.announce || type === MessageType.leave ||
    type === MessageType.noiseHandshake || type === MessageType.requestSync
}

/** The mutable counters behind MeshStats; the hot path bumps fields and indexes arrays, nothing else. */
export class Counters {
  received = 0
  bytesIn = 0
  delivered = 0
  originated = 0
  relayed = 0
  relaysCancelled = 0
  duplicates = 0
  withdrawn = 0
  twoHopSkips = 0
  unverifiable = 0
  reassembled = 0
  framesOut = 0
  bytesOut = 0
  framesOutControl = 0
  framesOutApplication = 0
  readonly dropped = new Float64Array(DROP_REASONS.length)
  readonly framesOutByType = new Float64Array(256)

  /** Counts `count` drops for `reason` and returns how many there have been. */
  drop (reason: DropReason, count = 1): number {
    const i = DROP_INDEX[reason]
    return (this.dropped[i] = this.dropped[i]! + count)
  }

  /** One frame handed to a link; `kindType` is the original type (a fragment's payload type). */
  sent (wireType: number, kindType: number, bytes: number): void {
    this.framesOut++
    this.bytesOut += bytes
    this.framesOutByType[wireType] = this.framesOutByType[wireType]! + 1
    if (isControlType(kindType)) this.framesOutControl++
    else this.framesOutApplication++
  }

  snapshot (): MeshStats {
    const dropped = {} as Record<DropReason, number>
    DROP_REASONS.forEach((reason, i) => { dropped[reason] = this.dropped[i]! })
    const framesOutByType: Record<string, number> = {}
    this.framesOutByType.forEach((n, type) => { if (n > 0) framesOutByType[typeName(type)] = n })
    return {
      received: this.received,
      bytesIn: this.bytesIn,
      delivered: this.delivered,
      originated: this.originated,
      relayed: this.relayed,
      relaysCancelled: this.relaysCancelled,
      duplicates: this.duplicates,
      withdrawn: this.withdrawn,
      twoHopSkips: this.twoHopSkips,
      unverifiable: this.unverifiable,
      reassembled: this.reassembled,
      dropped,
      framesOut: this.framesOut,
      bytesOut: this.bytesOut,
      framesOutControl: this.framesOutControl,
      framesOutApplication: this.framesOutApplication,
      framesOutByType,
    }
  }
}

const DROP_INDEX = Object.fromEntries(DROP_REASONS.map((r, i) => [r, i])) as Record<DropReason, number>
