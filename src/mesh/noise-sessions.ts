// One Noise session per peer, as the phones run them (bitchat-protocol.md §5.2): an XX handshake carried
// in noiseHandshake packets, then Bitchat's transport framing in noiseEncrypted packets. What to send
// waits while there is no session or we renew it; a peer that restarted (message 1 over a live session)
// gets a new session while the old one keeps working until the new one is complete; crossed starts are
// settled as iOS does. One timer of its own (the restart after a failed responder); the node calls
// `maintain` on its maintenance tick for the rest.
import { equalBytes } from '@noble/ciphers/utils.js'
import type { Clock } from '../clock.js'
import { peerIdFromNoiseKey } from '../crypto/identity.js'
import { NOISE_KEY_BYTES, XXHandshake, type NoiseKeyPair } from '../crypto/noise.js'
import { NoiseTransport } from '../crypto/noise-transport.js'
import type { CryptoProvider } from '../crypto/provider.js'
import type { Logger } from '../logger.js'
import { DecodeError } from '../wire/decode-error.js'
import { MessageType } from '../wire/packet-types.js'
import { peerKey, toHex } from './peers.js'

/** [iOS] NoiseSecurityConstants.handshakeTimeout: an initiator waits this long for message 2. */
export const INITIATOR_TIMEOUT_MS = 10_000
/** [iOS] NoiseSessionManager: a responder waits this long for message 3. */
export const RESPONDER_TIMEOUT_MS = 20_000
/**
 * [iOS] NoiseSecurityConstants: handshakes per peer, and in all, per minute. "In all" is ours per origin:
 * per link the packets that asked for them came in on, and once more for what we start ourselves. iOS
 * counts one budget for everything, and then one neighbour sending message 1s under made-up IDs (40 in
 * 20 s) refused the handshakes of every other phone: `npm run bench:soak` showed 36 % of the private
 * messages to the relay and 66 % of all receipted, against 100 % without that neighbour.
 */
export const HANDSHAKES_PER_PEER_PER_MINUTE = 10
export const HANDSHAKES_PER_MINUTE = 30
/** Our choice: an initiation that times out is retried with a fresh ephemeral this many times in all. */
export const HANDSHAKE_ATTEMPTS = 3
/** Our choice: payloads waiting for one peer's session; the oldest goes first when more come. */
export const QUEUE_MAX_PAYLOADS = 32
/** Our choice: sessions kept; the least recently used goes first (each costs ~200 bytes). */
export const MAX_SESSIONS = 1024
/** Our choice: transport messages a responder holds while it waits for message 3. */
export const EARLY_FRAMES_MAX = 8
/** [AND] NoiseSession MAX_CONSECUTIVE_DECRYPT_FAILURES: then a new handshake is started. */
export const DECRYPT_FAILURES_BEFORE_HANDSHAKE = 3
/**
 * [iOS] NoiseSecurityConstants: when a responder's handshake fails while payloads wait, we start our own
 * this long after, unless the peer's new message 1 comes first. Crossed starts with phone builds that
 * always yield (older Android and iOS) end so: both answer, and each message 2 ends the other's responder.
 * Without it both sides waited for the private chat's resend, and older Android never retries by itself.
 */
export const RESPONDER_RECOVERY_MS = 200

const MINUTE_MS = 60_000

/** The origin of handshakes we start on our own behalf (sends, retries), with its own budget. */
const LOCAL: object = {}

export interface NoiseSessionsDeps {
  crypto: CryptoProvider
  clock: Clock
  logger: Logger
  localId: Uint8Array
  staticKey: NoiseKeyPair
  /** Sends a noiseHandshake or noiseEncrypted payload to the peer. */
  transmit (type: number, recipientId: Uint8Array, payload: Uint8Array): void
  /** A decrypted transport message (the Noise payload: type byte and data). */
  deliver (peerId: Uint8Array, plaintext: Uint8Array): void
  /** The Noise key pinned for this peer, if any: a session must authenticate exactly that key. */
  pinnedKey? (peerId: Uint8Array): Uint8Array | undefined
  established? (peerId: Uint8Array): void
}

export interface NoiseCounters {
  handshakesStarted: number
  handshakesCompleted: number
  /** Handshake messages that did not authenticate or decode, or named the wrong key. */
  handshakesFailed: number
  handshakesTimedOut: number
  /** Handshake messages refused by the rate limits. */
  handshakesLimited: number
  decryptFailures: number
  /** Payloads dropped because no session came about or the queue was full. */
  payloadsDropped: number
}

interface Session {
  readonly peerId: Uint8Array
  transport: NoiseTransport | null
  handshakeHash: Uint8Array | null
  handshake: XXHandshake | null
  handshakeStartedAt: number
  attempts: number
  queue: Uint8Array[]
  /** Transport messages that came before the handshake that keys them was complete. */
  early: Uint8Array[]
  decryptFailures: number
  /** When handshakes with this peer started (ours and theirs), for the rate limit. */
  recent: number[]
}

export class NoiseSessions {
  readonly counters: NoiseCounters = {
    handshakesStarted: 0, handshakesCompleted: 0, handshakesFailed: 0, handshakesTimedOut: 0, handshakesLimited: 0, decryptFailures: 0, payloadsDropped: 0,
  }

  /** Insertion order is use order: the first is the least recently used. */
  private readonly sessions = new Map<string, Session>()
  /** Handshakes in the last minute, by origin: a link (as the caller names it) or LOCAL. Weak: links go. */
  private readonly recentByOrigin = new WeakMap<object, number[]>()
  private readonly log: Logger

  constructor (private readonly deps: NoiseSessionsDeps) {
    this.log = deps.logger.child({ component: 'noise' })
  }

  /** Peers with a session kept: established, under way, or waiting to retry. */
  get size (): number {
    return this.sessions.size
  }

  /** Whether what is sent to the peer now would wait for a handshake under way. */
  busy (peerId: Uint8Array): boolean {
    const session = this.sessions.get(peerKey(peerId))
    return session !== undefined && session.handshake !== null && waits(session)
  }

  /** Whether a session with the peer is established. */
  has (peerId: Uint8Array): boolean {
    return this.sessions.get(peerKey(peerId))?.transport != null
  }

  /** The handshake hash of the established session, the same 32 bytes at both ends. */
  handshakeHash (peerId: Uint8Array): Uint8Array | null {
    return this.sessions.get(peerKey(peerId))?.handshakeHash ?? null
  }

  /** Encrypts and sends now when a session exists; else queues and starts a handshake. */
  send (peerId: Uint8Array, plaintext: Uint8Array): void {
    const session = this.session(peerId)
    if (!waits(session)) {
      this.seal(session, plaintext)
      return
    }
    if (session.queue.length >= QUEUE_MAX_PAYLOADS) {
      session.queue.shift()
      this.counters.payloadsDropped++
    }
    session.queue.push(plaintext)
    if (session.handshake === null) this.initiate(session)
  }

  /** `via` names where the packet came from (its link): the handshake is charged to that origin's budget. */
  receiveHandshake (peerId: Uint8Array, message: Uint8Array, via: object = LOCAL): void {
    const session = this.find(peerId)
    const handshake = session?.handshake ?? null
    // Message 1 is the only one of 32 bytes (the phones send empty payloads): a start, a crossed start or
    // a restart. Anything else continues the handshake under way; without one it is stray.
    if (message.length === NOISE_KEY_BYTES) {
      if (handshake?.role === 'initiator' && !handshake.complete && compareIds(this.deps.localId, peerId) < 0) {
        // Crossed starts: the lower ID keeps the initiator's role ([iOS] NoiseSessionManager); the peer yields.
        this.log.debug({ peer: toHex(peerId) }, 'crossed handshake: keeping the initiator role')
        return
      }
      const target = session ?? this.createLimited(peerId, via)
      if (target !== undefined) this.respond(target, message, via)
      return
    }
    if (session === undefined || handshake === null) {
      this.counters.handshakesFailed++
      return
    }
    try {
      handshake.readMessage(message)
      if (!handshake.complete) this.deps.transmit(MessageType.noiseHandshake, session.peerId, handshake.writeMessage())
    } catch (error) {
      this.failHandshake(session, error)
      return
    }
    this.complete(session)
  }

  receiveEncrypted (peerId: Uint8Array, frame: Uint8Array, via: object = LOCAL): void {
    const session = this.find(peerId)
    if (session === undefined) {
      // As iOS: ciphertext without a session means the peer holds one we lost (we restarted): start anew.
      this.counters.decryptFailures++
      const fresh = this.createLimited(peerId, via)
      if (fresh !== undefined) this.initiate(fresh, via)
      return
    }
    const plaintext = session.transport === null ? null : open(session.transport, frame)
    if (plaintext !== null) {
      session.decryptFailures = 0
      this.deps.deliver(session.peerId, plaintext)
      return
    }
    // The initiator sends its first message right after message 3, and relays that draw their own delays
    // can deliver it first: a responder holds what it cannot read until its handshake is complete.
    if (session.handshake?.role === 'responder') {
      if (session.early.length < EARLY_FRAMES_MAX) session.early.push(frame.slice())
      else this.counters.decryptFailures++
      return
    }
    this.counters.decryptFailures++
    if (session.transport === null) {
      // As iOS: ciphertext without a session means the peer holds one we lost (we restarted): start anew.
      if (session.handshake === null) this.initiate(session, via)
      return
    }
    if (++session.decryptFailures >= DECRYPT_FAILURES_BEFORE_HANDSHAKE && session.handshake === null) this.initiate(session, via)
  }

  /** Expires handshakes that took too long, retrying ours while payloads wait. */
  maintain (now: number): void {
    for (const session of this.sessions.values()) {
      const handshake = session.handshake
      if (handshake === null) continue
      const timeout = handshake.role === 'initiator' ? INITIATOR_TIMEOUT_MS : RESPONDER_TIMEOUT_MS
      if (now - session.handshakeStartedAt < timeout) continue
      this.counters.handshakesTimedOut++
      this.endHandshake(session)
      this.retryOrDrop(session)
    }
  }

  // ----------------------------------------------------------------------------------------------

  /** The peer's session, made the most recently used. */
  private find (peerId: Uint8Array): Session | undefined {
    const key = peerKey(peerId)
    const session = this.sessions.get(key)
    if (session === undefined) return undefined
    this.sessions.delete(key)
    this.sessions.set(key, session)
    return session
  }

  /** The peer's session, made if there is none: for what we send, which no peer can cause. */
  private session (peerId: Uint8Array): Session {
    return this.find(peerId) ?? this.create(peerId)
  }

  /**
   * A new session for a peer that sent us something, if the handshake budget of `via` has room: anyone
   * can claim any ID, and without the limit a stream of made-up IDs would push every real session out.
   */
  private createLimited (peerId: Uint8Array, via: object): Session | undefined {
    if (this.recentFrom(via, this.deps.clock.now()).length >= HANDSHAKES_PER_MINUTE) {
      this.counters.handshakesLimited++
      return undefined
    }
    return this.create(peerId)
  }

  private create (peerId: Uint8Array): Session {
    if (this.sessions.size >= MAX_SESSIONS) this.evict()
    const session: Session = { peerId: peerId.slice(), transport: null, handshakeHash: null, handshake: null, handshakeStartedAt: 0, attempts: 0, queue: [], early: [], decryptFailures: 0, recent: [] }
    this.sessions.set(peerKey(peerId), session)
    return session
  }

  /** Drops the least recently used session that holds nothing (no transport, no payloads), else the least recently used. */
  private evict (): void {
    let victim: string | undefined
    for (const [key, s] of this.sessions) {
      victim ??= key
      if (s.transport === null && s.queue.length === 0) { victim = key; break }
    }
    this.counters.payloadsDropped += this.sessions.get(victim!)!.queue.length
    this.sessions.delete(victim!)
  }

  private initiate (session: Session, via: object = LOCAL): void {
    if (!this.allow(session, via)) return
    session.attempts++
    // A fresh ephemeral every time: Android ignores a repeated message 1 byte for byte.
    const handshake = new XXHandshake(this.deps.crypto, 'initiator', this.deps.staticKey)
    session.handshake = handshake
    session.handshakeStartedAt = this.deps.clock.now()
    this.counters.handshakesStarted++
    this.deps.transmit(MessageType.noiseHandshake, session.peerId, handshake.writeMessage())
  }

  /** Answers a message 1; a message 1 we cannot answer leaves the handshake under way, if any, as it was. */
  private respond (session: Session, message: Uint8Array, via: object): void {
    if (!this.allow(session, via)) return
    const handshake = new XXHandshake(this.deps.crypto, 'responder', this.deps.staticKey)
    let reply: Uint8Array
    try {
      handshake.readMessage(message)
      reply = handshake.writeMessage()
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error
      this.counters.handshakesFailed++
      this.log.debug({ peer: toHex(session.peerId), field: error.field }, 'Noise message 1 refused')
      return
    }
    this.endHandshake(session)
    session.handshake = handshake
    session.handshakeStartedAt = this.deps.clock.now()
    this.deps.transmit(MessageType.noiseHandshake, session.peerId, reply)
  }

  private complete (session: Session): void {
    const handshake = session.handshake!
    const split = handshake.split()
    const early = session.early
    session.early = []
    this.endHandshake(session)
    const claimed = peerIdFromNoiseKey(this.deps.crypto, split.remoteStaticKey)
    const pinned = this.deps.pinnedKey?.(session.peerId)
    if (!equalBytes(claimed, session.peerId) || (pinned !== undefined && !equalBytes(pinned, split.remoteStaticKey))) {
      // The peer authenticated a key that is not the one its ID (or our pin) names: an impostor.
      this.counters.handshakesFailed++
      this.log.warn({ peer: toHex(session.peerId) }, 'Noise handshake authenticated a key the peer ID does not name')
      this.retryOrDrop(session)
      return
    }
    session.transport = new NoiseTransport(split.send, split.receive)
    session.handshakeHash = split.handshakeHash
    session.attempts = 0
    session.decryptFailures = 0
    this.counters.handshakesCompleted++
    this.log.debug({ peer: toHex(session.peerId) }, 'Noise session established')
    this.deps.established?.(session.peerId)
    for (const frame of early) this.receiveEncrypted(session.peerId, frame)
    for (const plaintext of session.queue.splice(0)) this.seal(session, plaintext)
  }

  /** No handshake under way; what was held for it can no longer be read. */
  private endHandshake (session: Session): void {
    session.handshake = null
    this.counters.decryptFailures += session.early.length
    session.early = []
  }

  private seal (session: Session, plaintext: Uint8Array): void {
    const transport = session.transport!
    if (transport.exhausted) {
      // Every counter is spent (2³² − 1 messages): renew the session and send this once it is up.
      session.queue.push(plaintext)
      if (session.handshake === null) this.initiate(session)
      return
    }
    this.deps.transmit(MessageType.noiseEncrypted, session.peerId, transport.encrypt(plaintext))
  }

  private failHandshake (session: Session, error: unknown): void {
    if (!(error instanceof DecodeError)) throw error
    this.counters.handshakesFailed++
    this.log.debug({ peer: toHex(session.peerId), field: error.field }, 'Noise handshake message refused')
    const ours = session.handshake?.role === 'initiator'
    this.endHandshake(session)
    if (ours) this.retryOrDrop(session)
    else this.restartLater(session)
  }

  /**
   * Our responder failed: if payloads wait, most likely a crossed start in which the peer yielded as we
   * did, so our message 2 ended its responder as its message 2 ended ours. A little later start our own,
   * if they still wait, unless the peer's new message 1 (an iPhone restarts at once) has come meanwhile.
   */
  private restartLater (session: Session): void {
    this.deps.clock.setTimer(RESPONDER_RECOVERY_MS, () => {
      if (session.handshake !== null || session.queue.length === 0) return
      this.initiate(session)
    })
  }

  private retryOrDrop (session: Session): void {
    if (session.queue.length === 0) return
    if (session.attempts < HANDSHAKE_ATTEMPTS) {
      this.initiate(session)
      if (session.handshake !== null) return
    }
    this.counters.payloadsDropped += session.queue.length
    session.queue = []
    session.attempts = 0
  }

  /** The rate limits, counted over the last minute; a refused handshake is counted. */
  private allow (session: Session, via: object): boolean {
    const now = this.deps.clock.now()
    const recent = this.recentFrom(via, now)
    prune(session.recent, now)
    if (session.recent.length >= HANDSHAKES_PER_PEER_PER_MINUTE || recent.length >= HANDSHAKES_PER_MINUTE) {
      this.counters.handshakesLimited++
      return false
    }
    session.recent.push(now)
    recent.push(now)
    return true
  }

  /** The handshakes charged to `via` within the minute before `now`. */
  private recentFrom (via: object, now: number): number[] {
    let recent = this.recentByOrigin.get(via)
    if (recent === undefined) { recent = []; this.recentByOrigin.set(via, recent) }
    prune(recent, now)
    return recent
  }
}

/**
 * Whether a payload for this session has to wait: there is no session, or we are renewing it. A handshake
 * the peer started does not hold sends back. Anyone can send a message 1 under any peer's ID, and if
 * that stopped the live session, a stranger could silence us towards that peer every 20 s; a peer that
 * really restarted loses what we send until its handshake is done, which the private chat sends again
 * (security.md: keep the old session until the new one succeeds).
 */
function waits (session: Session): boolean {
  return session.transport === null || session.handshake?.role === 'initiator'
}

function prune (times: number[], now: number): void {
  let old = 0
  while (old < times.length && now - times[old]! >= MINUTE_MS) old++
  if (old > 0) times.splice(0, old)
}

function compareIds (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

/** The plaintext, or null when the frame does not decrypt (short, replayed, forged, or another session's). */
function open (transport: NoiseTransport, frame: Uint8Array): Uint8Array | null {
  try {
    return transport.decrypt(frame)
  } catch (error) {
    if (error instanceof DecodeError) return null
    throw error
  }
}
