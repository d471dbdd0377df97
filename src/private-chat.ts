// Private messages over the Noise sessions, as the phones exchange them (bitchat-protocol.md §5.2): a
// message is Noise payload 0x01 with an ID, and every message is answered with a `delivered` receipt
// naming it. On top of that, what the mesh does not guarantee: a message whose receipt does not come is
// sent again (a peer that restarted lost the session it went out on; a relay may lose it), and a message
// that comes twice is shown once, its receipt sent again.
import type { Clock } from './clock.js'
import type { CryptoProvider } from './crypto/provider.js'
import type { NoiseSessions } from './mesh/noise-sessions.js'
import { peerKey, toHex } from './mesh/peers.js'
import { DecodeError } from './wire/decode-error.js'
import { decodeNoisePayload, encodeNoisePayload, NoisePayloadType } from './wire/noise-payload.js'
import { decodePrivateMessage, encodePrivateMessage } from './wire/private-message.js'
import { decodeUtf8OrNull, encodeUtf8 } from './wire/utf8.js'

/** Our choice: twice the initiator's handshake timeout, so a send is not repeated while its handshake may still finish. */
export const RESEND_AFTER_MS = 20_000
/** Our choice: a message goes out at most this many times before it counts as undelivered. */
export const MAX_SENDS = 3
/** Our choice: messages awaiting a receipt; past this the oldest is given up. */
export const MAX_AWAITING = 256
/** Our choice: message IDs remembered per node to show each message once (IDs are per sender). */
export const MAX_SEEN_IDS = 2048

export interface PrivateMessage {
  /** 16 lowercase hex characters. */
  senderId: string
  /** The sender's announced nickname; its peer ID's first 8 characters while it has not announced. */
  nickname: string
  /** The sender's ID for this message (the phones use UUIDs); a delivery receipt carrying it went back. */
  messageId: string
  text: string
}

export interface PrivateReceipt {
  peerId: string
  messageId: string
  /** delivered: the peer's node has it; read: its user opened it. */
  kind: 'delivered' | 'read'
}

export interface PrivateChatCounters {
  sent: number
  /** Sends repeated because no receipt came. */
  resent: number
  /** Messages given up after MAX_SENDS sends (or pushed out of MAX_AWAITING). */
  undelivered: number
  shown: number
  /** Messages that came again (a receipt was lost) and were not shown again. */
  repeats: number
  /** Noise payloads that did not decode. */
  malformed: number
}

export interface PrivateChatDeps {
  sessions: NoiseSessions
  clock: Clock
  crypto: CryptoProvider
  nickname (peerId: Uint8Array): string | undefined
  onMessage (message: PrivateMessage): void
  onReceipt (receipt: PrivateReceipt): void
  onUndelivered (peerId: string, messageId: string): void
}

interface Awaiting {
  peerId: Uint8Array
  payload: Uint8Array
  sentAt: number
  sends: number
}

export class PrivateChat {
  readonly counters: PrivateChatCounters = { sent: 0, resent: 0, undelivered: 0, shown: 0, repeats: 0, malformed: 0 }
  /** By message ID, oldest first. */
  private readonly awaiting = new Map<string, Awaiting>()
  /** `peerKey + messageId` of messages shown, oldest first. */
  private readonly seen = new Set<string>()
  /** Messages we sent, by ID, oldest first: whom to, and whether its delivery was reported. */
  private readonly sent = new Map<string, { peer: string, delivered: boolean }>()

  constructor (private readonly deps: PrivateChatDeps) {}

  /** Messages waiting for a delivery receipt (≤ MAX_AWAITING). */
  get awaitingCount (): number {
    return this.awaiting.size
  }

  /** Message IDs remembered, shown and sent (each ≤ MAX_SEEN_IDS + 1). */
  get rememberedIds (): number {
    return this.seen.size + this.sent.size
  }

  /** Sends `text` (≤ 255 UTF-8 bytes, checked by the encoder) and returns its message ID. */
  send (peerId: Uint8Array, text: string): string {
    const messageId = uuid(this.deps.crypto.randomBytes(16))
    const payload = encodeNoisePayload({ type: NoisePayloadType.privateMessage, data: encodePrivateMessage({ messageId, content: text }) })
    if (this.awaiting.size >= MAX_AWAITING) {
      const [oldest, entry] = this.awaiting.entries().next().value!
      this.giveUp(oldest, entry)
    }
    this.awaiting.set(messageId, { peerId: peerId.slice(), payload, sentAt: this.deps.clock.now(), sends: 1 })
    this.sent.set(messageId, { peer: peerKey(peerId), delivered: false })
    if (this.sent.size > MAX_SEEN_IDS) this.sent.delete(this.sent.keys().next().value!)
    this.counters.sent++
    this.deps.sessions.send(peerId, payload)
    return messageId
  }

  /** A decrypted Noise payload from `peerId`. Types the phones have and we do not use are ignored, as they ignore ours. */
  receive (peerId: Uint8Array, plaintext: Uint8Array): void {
    try {
      const { type, data } = decodeNoisePayload(plaintext)
      if (type === NoisePayloadType.privateMessage) this.message(peerId, data)
      else if (type === NoisePayloadType.delivered || type === NoisePayloadType.readReceipt) this.receipt(peerId, data, type === NoisePayloadType.delivered ? 'delivered' : 'read')
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error
      this.counters.malformed++
    }
  }

  /** Sends again what waited RESEND_AFTER_MS for its receipt, unless a handshake with that peer is under way. */
  maintain (now: number): void {
    for (const [messageId, entry] of this.awaiting) {
      if (now - entry.sentAt < RESEND_AFTER_MS) continue
      if (entry.sends >= MAX_SENDS) { this.giveUp(messageId, entry); continue }
      if (this.deps.sessions.busy(entry.peerId)) continue
      entry.sends++
      entry.sentAt = now
      this.counters.resent++
      this.deps.sessions.send(entry.peerId, entry.payload)
    }
  }

  private message (peerId: Uint8Array, data: Uint8Array): void {
    const { messageId, content } = decodePrivateMessage(data)
    // Both phones confirm every private message with its ID ([iOS] sendMeshDeliveryAck, [AND] sendDeliveryAck);
    // a repeat means our first receipt was lost, so it is confirmed again.
    this.deps.sessions.send(peerId, encodeNoisePayload({ type: NoisePayloadType.delivered, data: encodeUtf8(messageId) }))
    const key = peerKey(peerId) + messageId
    if (this.seen.has(key)) { this.counters.repeats++; return }
    this.seen.add(key)
    if (this.seen.size > MAX_SEEN_IDS) this.seen.delete(this.seen.values().next().value!)
    this.counters.shown++
    const senderId = toHex(peerId)
    this.deps.onMessage({ senderId, nickname: this.deps.nickname(peerId) ?? senderId.slice(0, 8), messageId, text: content })
  }

  private receipt (peerId: Uint8Array, data: Uint8Array, kind: PrivateReceipt['kind']): void {
    const messageId = decodeUtf8OrNull(data)
    if (messageId === null) throw new DecodeError('messageId', 'not UTF-8')
    const sent = this.sent.get(messageId)
    // Only the peer a message went to can confirm it, and a delivery is reported once (a resent message
    // is confirmed again).
    if (sent === undefined || sent.peer !== peerKey(peerId)) return
    this.awaiting.delete(messageId)
    if (kind === 'delivered') {
      if (sent.delivered) return
      sent.delivered = true
    }
    this.deps.onReceipt({ peerId: toHex(peerId), messageId, kind })
  }

  private giveUp (messageId: string, entry: Awaiting): void {
    this.awaiting.delete(messageId)
    this.counters.undelivered++
    this.deps.onUndelivered(toHex(entry.peerId), messageId)
  }
}

/** An RFC 4122 version-4 UUID in upper case, as iOS writes message IDs. */
export function uuid (random: Uint8Array): string {
  const b = random.slice(0, 16)
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = toHex(b).toUpperCase()
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
