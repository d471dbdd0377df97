// Noise sessions between parties wired back to back: handshakes, queued payloads, crossed starts,
// restarts, impostors, timeouts, rate limits and tampering, with the real (noble) crypto.
import pino from 'pino'
import { describe, expect, test } from 'vitest'
import { identityFromSecrets, type Identity } from '../../src/crypto/identity.js'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { XXHandshake } from '../../src/crypto/noise.js'
import {
  DECRYPT_FAILURES_BEFORE_HANDSHAKE, EARLY_FRAMES_MAX, HANDSHAKE_ATTEMPTS, HANDSHAKES_PER_MINUTE, HANDSHAKES_PER_PEER_PER_MINUTE, INITIATOR_TIMEOUT_MS,
  MAX_SESSIONS, NoiseSessions, QUEUE_MAX_PAYLOADS, RESPONDER_TIMEOUT_MS, RESPONDER_RECOVERY_MS,
} from '../../src/mesh/noise-sessions.js'
import { NoiseTransport } from '../../src/crypto/noise-transport.js'
import { MessageType } from '../../src/wire/packet-types.js'
import { ManualClock } from '../helpers/manual-clock.js'

const crypto = nobleCrypto
const logger = pino({ level: 'silent' })
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const str = (b: Uint8Array): string => new TextDecoder().decode(b)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

interface Frame { from: Party, to: Uint8Array, type: number, payload: Uint8Array }

class Party {
  sessions!: NoiseSessions
  readonly got: string[] = []
  readonly established: string[] = []
  constructor (readonly net: Net, readonly identity: Identity, readonly pins = new Map<string, Uint8Array>()) {
    this.restart()
  }

  get id (): Uint8Array { return this.identity.peerId }

  /** A new process with the same identity: every session is gone. */
  restart (): void {
    this.sessions = new NoiseSessions({
      crypto,
      clock: this.net.clock,
      logger,
      localId: this.id,
      staticKey: { secretKey: this.identity.noiseSecretKey, publicKey: this.identity.noisePublicKey },
      transmit: (type, to, payload) => this.net.wire.push({ from: this, to: to.slice(), type, payload: payload.slice() }),
      deliver: (_peer, plaintext) => this.got.push(str(plaintext)),
      pinnedKey: peer => this.pins.get(hex(peer)),
      established: peer => this.established.push(hex(peer)),
    })
  }
}

class Net {
  readonly clock = new ManualClock()
  readonly wire: Frame[] = []
  readonly parties: Party[] = []

  party (seed: number, claimedId?: Uint8Array): Party {
    let identity = identityFromSecrets(crypto, new Uint8Array(32).fill(seed), new Uint8Array(32).fill(seed + 100))
    if (claimedId !== undefined) identity = { ...identity, peerId: claimedId, peerIdHex: hex(claimedId) }
    const p = new Party(this, identity)
    this.parties.push(p)
    return p
  }

  /** `run`, but frames that `hold` picks are kept back in `held` (push them onto the wire to release them). */
  runHolding (held: Frame[], hold: (frame: Frame) => boolean): Frame[] {
    return this.run(f => {
      if (!hold(f)) return true
      held.push(f)
      return false
    })
  }

  /** Delivers what is on the wire (and what that causes) until it is quiet; `keep` filters frames. */
  run (keep: (frame: Frame) => boolean = () => true): Frame[] {
    const carried: Frame[] = []
    while (this.wire.length > 0) {
      const frame = this.wire.shift()!
      if (!keep(frame)) continue
      carried.push(frame)
      for (const to of this.parties.filter(p => hex(p.id) === hex(frame.to) && p !== frame.from)) {
        if (frame.type === MessageType.noiseHandshake) to.sessions.receiveHandshake(frame.from.id, frame.payload)
        else to.sessions.receiveEncrypted(frame.from.id, frame.payload)
      }
    }
    return carried
  }
}

/**
 * A phone of the builds that always yield a crossed start (Android before its ID tie-break, iOS before
 * its own), as their source reads: a message 1 always replaces its handshake with a responder's and is
 * answered; a message that does not fit the handshake under way ends it; then old iOS starts a new one at
 * once (`restarts`) and old Android does nothing. It shows what it decrypts in `got`.
 */
function alwaysYieldingPhone (net: Net, seed: number, restarts: boolean): Party {
  const phone = net.party(seed)
  const staticKey = { secretKey: phone.identity.noiseSecretKey, publicKey: phone.identity.noisePublicKey }
  let handshake: XXHandshake | null = null
  let transport: NoiseTransport | null = null
  const send = (to: Uint8Array, payload: Uint8Array): void => { net.wire.push({ from: phone, to: to.slice(), type: MessageType.noiseHandshake, payload }) }
  const start = (to: Uint8Array): void => {
    handshake = new XXHandshake(crypto, 'initiator', staticKey)
    send(to, handshake.writeMessage())
  }
  phone.sessions = {
    send: (to: Uint8Array) => start(to),
    receiveHandshake: (from: Uint8Array, message: Uint8Array) => {
      if (message.length === 32) handshake = new XXHandshake(crypto, 'responder', staticKey)
      if (handshake === null) return
      try {
        handshake.readMessage(message)
        if (!handshake.complete) send(from, handshake.writeMessage())
      } catch {
        handshake = null
        if (restarts) start(from)
        return
      }
      if (handshake.complete) {
        const split = handshake.split()
        transport = new NoiseTransport(split.send, split.receive)
        handshake = null
      }
    },
    receiveEncrypted: (_from: Uint8Array, frame: Uint8Array) => { if (transport !== null) phone.got.push(str(transport.decrypt(frame))) },
  } as unknown as NoiseSessions
  return phone
}

function twoParties (): { net: Net, a: Party, b: Party } {
  const net = new Net()
  return { net, a: net.party(1), b: net.party(2) }
}

const shape = (frames: Frame[]): string[] => frames.map(f => `${f.type === MessageType.noiseHandshake ? 'hs' : 'enc'}:${f.payload.length}`)

describe('NoiseSessions', () => {
  test('NoiseSessions — the first send runs XX (32, 96, 64 bytes), then the payload follows with 20 bytes of overhead', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('hello'))
    expect(shape(net.run())).toEqual(['hs:32', 'hs:96', 'hs:64', 'enc:25'])
    expect(b.got).toEqual(['hello'])
    expect(a.sessions.has(b.id) && b.sessions.has(a.id)).toBe(true)
    expect(hex(a.sessions.handshakeHash(b.id)!)).toBe(hex(b.sessions.handshakeHash(a.id)!))
    expect([a.established, b.established]).toEqual([[hex(b.id)], [hex(a.id)]])
    // Established: the next payload goes straight out, both ways.
    a.sessions.send(b.id, text('again'))
    b.sessions.send(a.id, text('reply'))
    expect(shape(net.run())).toEqual(['enc:25', 'enc:25'])
    expect([b.got, a.got]).toEqual([['hello', 'again'], ['reply']])
  })

  test('NoiseSessions — has, busy and handshakeHash: nothing for a stranger, busy while the handshake runs, established after', () => {
    const { net, a, b } = twoParties()
    const stranger = Uint8Array.of(7, 7, 7, 7, 7, 7, 7, 7)
    expect([a.sessions.has(stranger), a.sessions.busy(stranger), a.sessions.handshakeHash(stranger)]).toEqual([false, false, null])
    a.sessions.send(b.id, text('x'))
    expect([a.sessions.has(b.id), a.sessions.busy(b.id), a.sessions.handshakeHash(b.id)]).toEqual([false, true, null])
    net.run()
    expect([a.sessions.has(b.id), a.sessions.busy(b.id), a.sessions.handshakeHash(b.id)?.length]).toEqual([true, false, 32])
    // An established session is left alone by maintenance, however long it stays quiet.
    a.sessions.maintain(net.clock.now() + 10 * RESPONDER_TIMEOUT_MS)
    expect(a.sessions.counters.handshakesTimedOut).toBe(0)
    expect(a.sessions.has(b.id)).toBe(true)
  })

  test('NoiseSessions — the peer ID a caller passes is copied: reusing its buffer changes nothing', () => {
    const { net, a, b } = twoParties()
    const id = b.id.slice()
    a.sessions.send(id, text('to b'))
    id.fill(0)
    net.run()
    expect(b.got).toEqual(['to b'])
  })

  test('NoiseSessions — payloads sent during the handshake wait and go in order; past the queue bound the oldest go', () => {
    const { net, a, b } = twoParties()
    for (let i = 0; i < QUEUE_MAX_PAYLOADS + 3; i++) a.sessions.send(b.id, text(`m${i}`))
    net.run()
    expect(b.got).toEqual(Array.from({ length: QUEUE_MAX_PAYLOADS }, (_, i) => `m${i + 3}`))
    expect(a.sessions.counters.payloadsDropped).toBe(3)
    expect(a.sessions.counters.handshakesStarted).toBe(1)
  })

  test('NoiseSessions — crossed starts end in one session: the lower ID keeps the initiator role', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('from a'))
    b.sessions.send(a.id, text('from b'))
    const frames = net.run()
    expect([a.got, b.got]).toEqual([['from b'], ['from a']])
    const [low] = [a, b].sort((x, y) => hex(x.id).localeCompare(hex(y.id)))
    // Two message 1s, then the higher ID answers the lower's and the lower finishes it.
    expect(shape(frames).slice(0, 4)).toEqual(['hs:32', 'hs:32', 'hs:96', 'hs:64'])
    expect(frames[2]!.to).toEqual(low!.id)
    expect(frames[3]!.from).toBe(low)
  })

  /** A net with an always-yielding phone and our node, ours the higher ID: by iOS's rule we yield too. */
  function crossedWithOldPhone (restarts: boolean): { net: Net, phone: Party, us: Party } {
    const net = new Net()
    let seed = 1
    const phone = alwaysYieldingPhone(net, seed, restarts)
    let us = net.party(++seed)
    while (hex(us.id) < hex(phone.id)) us = net.party(++seed)
    net.parties.splice(0, net.parties.length, phone, us)
    us.sessions.send(phone.id, text('crossed'))
    ;(phone.sessions as unknown as { send: (to: Uint8Array) => void }).send(us.id)
    return { net, phone, us }
  }

  test('NoiseSessions — a crossed start with a phone that always yields and never retries (older Android) completes when we start again', () => {
    const { net, phone, us } = crossedWithOldPhone(false)
    net.run()
    // Both answered, and each message 2 ended the other's responder.
    expect([phone.got, us.sessions.counters.handshakesFailed]).toEqual([[], 1])
    net.clock.advance(RESPONDER_RECOVERY_MS - 1)
    expect(net.wire).toEqual([])
    net.clock.advance(1)
    net.run()
    expect(phone.got).toEqual(['crossed'])
    expect(us.sessions.counters).toMatchObject({ handshakesStarted: 2, handshakesCompleted: 1, handshakesTimedOut: 0 })
  })

  test('NoiseSessions — a crossed start with a phone that always yields and restarts at once (older iOS): we answer its restart and start nothing', () => {
    const { net, phone, us } = crossedWithOldPhone(true)
    // The phone's new message 1 takes 100 ms to arrive, and its message 3 comes after our restart was due.
    const held: Frame[] = []
    let starts = 0
    net.runHolding(held, f => f.from === phone && f.payload.length === 32 && ++starts === 2)
    net.clock.advance(RESPONDER_RECOVERY_MS / 2)
    net.wire.push(...held.splice(0))
    net.runHolding(held, f => f.from === phone && f.payload.length === 64)
    net.clock.advance(RESPONDER_RECOVERY_MS)
    net.wire.push(...held.splice(0))
    net.run()
    expect(phone.got).toEqual(['crossed'])
    expect(us.sessions.counters).toMatchObject({ handshakesStarted: 1, handshakesCompleted: 1, handshakesTimedOut: 0 })
  })

  test('NoiseSessions — a responder that fails with nothing waiting starts nothing', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('x'))
    const [start] = net.wire.splice(0)
    b.sessions.receiveHandshake(a.id, start!.payload)
    net.wire.splice(0)
    b.sessions.receiveHandshake(a.id, new Uint8Array(64)) // a message 3 that does not authenticate
    net.clock.advance(RESPONDER_RECOVERY_MS)
    expect([b.sessions.counters.handshakesFailed, b.sessions.counters.handshakesStarted, net.wire.length]).toEqual([1, 0, 0])
  })

  test('NoiseSessions — a peer that restarted gets a new session; the payload the old session carried is lost, later ones arrive', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('before'))
    net.run()
    b.restart()
    a.sessions.send(b.id, text('lost'))
    // b cannot read it and starts a handshake; a answers it over its live session.
    expect(shape(net.run())).toEqual(['enc:24', 'hs:32', 'hs:96', 'hs:64'])
    a.sessions.send(b.id, text('after'))
    net.run()
    expect(b.got).toEqual(['before', 'after'])
    expect(b.sessions.counters.decryptFailures).toBe(1)
  })

  test('NoiseSessions — a forged message 1 under a peer\'s ID holds nothing back: the live session carries on', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('one'))
    net.run()
    // Anyone can send a message 1 claiming to be b; a answers it (to b, who ignores an answer it never asked for).
    a.sessions.receiveHandshake(b.id, new XXHandshake(crypto, 'initiator', { secretKey: new Uint8Array(32).fill(9), publicKey: crypto.x25519PublicKey(new Uint8Array(32).fill(9)) }).writeMessage())
    expect(a.sessions.busy(b.id)).toBe(false)
    a.sessions.send(b.id, text('two'))
    net.run()
    expect(b.got).toEqual(['one', 'two'])
  })

  test('NoiseSessions — while we renew a session ourselves, what we send waits for the new one', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('one'))
    net.run()
    b.restart()
    // Three frames a cannot read: it starts a handshake of its own, and holds what it sends meanwhile.
    for (let i = 0; i < DECRYPT_FAILURES_BEFORE_HANDSHAKE; i++) a.sessions.receiveEncrypted(b.id, new Uint8Array(40))
    expect(a.sessions.busy(b.id)).toBe(true)
    a.sessions.send(b.id, text('held'))
    net.run()
    expect(b.got).toEqual(['one', 'held'])
  })

  test('NoiseSessions — a peer that restarted and starts a handshake: what is sent before it is complete is lost, later sends arrive', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('one'))
    net.run()
    b.restart()
    b.sessions.send(a.id, text('hi again'))
    // Message 1 reaches a, whose answer is held back for a moment; a sends meanwhile on the old session.
    const held: Frame[] = []
    net.runHolding(held, f => f.from === a && f.type === MessageType.noiseHandshake)
    a.sessions.send(b.id, text('lost'))
    net.run()
    net.wire.push(...held)
    net.run()
    a.sessions.send(b.id, text('after'))
    net.run()
    expect([a.got, b.got]).toEqual([['hi again'], ['one', 'after']])
  })

  test.each([
    ['a peer ID its key does not hash to', false],
    ['a key other than the pinned one', true],
  ])('NoiseSessions — a session that authenticates %s is refused', (_, byPin) => {
    const { net, a, b } = twoParties()
    // c claims b's ID, or (pinned case) a has pinned some other key for c.
    const c = byPin ? net.party(3) : net.party(3, b.id)
    if (byPin) a.pins.set(hex(c.id), b.identity.noisePublicKey)
    else net.parties.splice(net.parties.indexOf(b), 1)
    c.sessions.send(a.id, text('trust me'))
    net.run()
    expect(a.got).toEqual([])
    expect(a.sessions.has(c.id)).toBe(false)
    // Twice: c's payload then reached a without a session, and a started one of its own, as iOS does.
    expect(a.sessions.counters.handshakesFailed).toBe(2)
  })

  test('NoiseSessions — an unanswered start is retried with a fresh ephemeral, then its payloads are dropped', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('nobody home'))
    const starts: string[] = []
    for (let i = 0; i < HANDSHAKE_ATTEMPTS; i++) {
      starts.push(...net.wire.map(f => hex(f.payload)))
      net.run(() => false)
      net.clock.advance(INITIATOR_TIMEOUT_MS - 1)
      a.sessions.maintain(net.clock.now())
      expect(net.wire).toEqual([])
      net.clock.advance(1)
      a.sessions.maintain(net.clock.now())
    }
    expect(new Set(starts).size).toBe(HANDSHAKE_ATTEMPTS)
    expect(net.wire).toEqual([])
    expect(a.sessions.counters).toMatchObject({ handshakesStarted: HANDSHAKE_ATTEMPTS, handshakesTimedOut: HANDSHAKE_ATTEMPTS, payloadsDropped: 1 })
    // The peer comes back: a new send starts afresh.
    a.sessions.send(b.id, text('later'))
    net.run()
    expect(b.got).toEqual(['later'])
    void b
  })

  test('NoiseSessions — a responder forgets a handshake whose message 3 never came after 20 s', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('x'))
    net.run(f => f.payload.length !== 64 || f.type !== MessageType.noiseHandshake)
    b.sessions.maintain(net.clock.now() + RESPONDER_TIMEOUT_MS - 1)
    expect(b.sessions.counters.handshakesTimedOut).toBe(0)
    b.sessions.maintain(net.clock.now() + RESPONDER_TIMEOUT_MS)
    expect(b.sessions.counters.handshakesTimedOut).toBe(1)
    expect(b.sessions.has(a.id)).toBe(false)
  })

  test('NoiseSessions — handshakes are rate-limited per peer and in all, per minute', () => {
    const { net, a, b } = twoParties()
    const start = (): Uint8Array => new XXHandshake(crypto, 'initiator', { secretKey: b.identity.noiseSecretKey, publicKey: b.identity.noisePublicKey }).writeMessage()
    for (let i = 0; i < HANDSHAKES_PER_PEER_PER_MINUTE + 2; i++) a.sessions.receiveHandshake(b.id, start())
    expect(net.wire.length).toBe(HANDSHAKES_PER_PEER_PER_MINUTE)
    expect(a.sessions.counters.handshakesLimited).toBe(2)
    net.wire.length = 0
    net.clock.advance(60_000)
    a.sessions.receiveHandshake(b.id, start())
    expect(net.wire.length).toBe(1)
    // In all: starts towards many peers stop at the global limit.
    const c = net.party(3)
    for (let i = 0; i < HANDSHAKES_PER_MINUTE + 5; i++) c.sessions.send(Uint8Array.of(0, 0, 0, 0, 0, 0, i >> 8, i & 0xff), text('x'))
    expect(c.sessions.counters.handshakesStarted).toBe(HANDSHAKES_PER_MINUTE)
  })

  test('NoiseSessions — a link that floods message 1s under made-up IDs spends its own budget: a peer over another link still gets its session', () => {
    const { net, a, b } = twoParties()
    const hostileLink = {}
    const honestLink = {}
    const made = (i: number): Uint8Array => Uint8Array.of(9, 9, 9, 9, 0, 0, i >> 8, i & 0xff)
    for (let i = 0; i < HANDSHAKES_PER_MINUTE + 10; i++) a.sessions.receiveHandshake(made(i), new Uint8Array(32).fill(5), hostileLink)
    expect(a.sessions.counters.handshakesLimited).toBe(10)
    // b's message 1 comes over another link: answered.
    const start = new XXHandshake(crypto, 'initiator', { secretKey: b.identity.noiseSecretKey, publicKey: b.identity.noisePublicKey }).writeMessage()
    net.wire.length = 0
    a.sessions.receiveHandshake(b.id, start, honestLink)
    expect(net.wire.length).toBe(1)
    // Over the flooding link, a new stranger is still refused until the minute is over.
    a.sessions.receiveHandshake(made(5000), new Uint8Array(32).fill(5), hostileLink)
    expect(a.sessions.counters.handshakesLimited).toBe(11)
    // And what we start ourselves has a budget of its own.
    a.sessions.send(made(6000), text('x'))
    expect(a.sessions.counters.handshakesStarted).toBe(1)
  })

  test('NoiseSessions — at MAX_SESSIONS the least recently used session goes, with what it queued', () => {
    const net = new Net()
    const a = net.party(1)
    const id = (i: number): Uint8Array => Uint8Array.of(1, 2, 3, 4, 0, 0, i >> 8, i & 0xff)
    for (let i = 0; i < MAX_SESSIONS; i++) a.sessions.send(id(i), text('q'))
    expect(a.sessions.counters.payloadsDropped).toBe(0)
    a.sessions.send(id(0), text('q'))
    a.sessions.send(id(MAX_SESSIONS), text('q'))
    // Session 0 was used again, so session 1 is the one that went.
    expect(a.sessions.counters.payloadsDropped).toBe(1)
  })

  test('NoiseSessions — strangers claiming made-up IDs get sessions only within the global limit, and are the first pushed out', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('hello'))
    net.run()
    const made = (i: number): Uint8Array => Uint8Array.of(9, 9, 9, 9, 0, 0, i >> 8, i & 0xff)
    const garbage = new Uint8Array(40)
    // One burst: past the global limit (of which the handshake with b took one), nothing more is kept or started.
    for (let i = 0; i < HANDSHAKES_PER_MINUTE + 10; i++) a.sessions.receiveEncrypted(made(i), garbage)
    expect(a.sessions.counters.handshakesLimited).toBe(11)
    expect(a.sessions.counters.handshakesStarted).toBe(HANDSHAKES_PER_MINUTE)
    expect(a.sessions.size).toBe(HANDSHAKES_PER_MINUTE)
    // Handshake starts from strangers meet the same limit.
    for (let i = 0; i < 5; i++) a.sessions.receiveHandshake(made(1000 + i), new Uint8Array(32).fill(5))
    expect(a.sessions.size).toBe(HANDSHAKES_PER_MINUTE)
    expect(a.sessions.counters.handshakesLimited).toBe(16)
    // A sustained stream fills the table, minute by minute; b's session, the least recently used, stays.
    let next = HANDSHAKES_PER_MINUTE + 10
    for (let kept = HANDSHAKES_PER_MINUTE; kept < MAX_SESSIONS + 5; kept += HANDSHAKES_PER_MINUTE) {
      net.clock.advance(60_000)
      for (let i = 0; i < HANDSHAKES_PER_MINUTE; i++) a.sessions.receiveEncrypted(made(next++), garbage)
    }
    net.wire.length = 0
    expect(a.sessions.size).toBe(MAX_SESSIONS)
    expect(a.sessions.has(b.id)).toBe(true)
    a.sessions.send(b.id, text('still here'))
    net.run()
    expect(b.got).toEqual(['hello', 'still here'])
  })

  test.each([
    // Message 1 carries no tag, but its ephemeral is in every key after it: the initiator refuses
    // message 2 and starts again at once, since its payload waits.
    ['message 1', 0, ['x'], 1],
    // The initiator refuses message 2 and starts again at once, since its payload waits.
    ['message 2', 1, ['x'], 1],
    // The responder refuses message 3; the initiator, done, sent its payload on a session the responder
    // never had, which the responder answers with a handshake of its own.
    ['message 3', 2, [], 1],
  ])('NoiseSessions — a tampered handshake %s is refused without harm, and the next payload arrives', (_, index, got, failed) => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('x'))
    let seen = 0
    net.run(f => {
      if (f.type === MessageType.noiseHandshake && seen++ === index) f.payload[f.payload.length - 1]! ^= 1
      return true
    })
    expect(b.got).toEqual(got)
    expect(a.sessions.counters.handshakesFailed + b.sessions.counters.handshakesFailed).toBe(failed)
    a.sessions.send(b.id, text('y'))
    net.run()
    expect(b.got).toEqual([...got, 'y'])
  })

  test('NoiseSessions — a message 1 that cannot be answered (a low-order key) leaves our own handshake under way as it was', () => {
    const { net, a, b } = twoParties()
    // Make a the side that would yield a crossed start.
    const [high, low] = hex(a.id) > hex(b.id) ? [a, b] : [b, a]
    high.sessions.send(low.id, text('waiting'))
    const start = net.wire.splice(0)
    high.sessions.receiveHandshake(low.id, new Uint8Array(32))
    expect(high.sessions.counters.handshakesFailed).toBe(1)
    expect(net.wire).toEqual([])
    net.wire.push(...start)
    net.run()
    expect(low.got).toEqual(['waiting'])
  })

  test('NoiseSessions — a stray handshake message without a handshake under way gets no answer', () => {
    const { net, a, b } = twoParties()
    a.sessions.receiveHandshake(b.id, new Uint8Array(96))
    expect(net.wire).toEqual([])
    expect(a.sessions.counters.handshakesFailed).toBe(1)
  })

  test('NoiseSessions — a stray handshake message over an established session is counted and changes nothing', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('one'))
    net.run()
    b.sessions.receiveHandshake(a.id, new Uint8Array(96))
    expect(net.wire).toEqual([])
    expect(b.sessions.counters.handshakesFailed).toBe(1)
    a.sessions.send(b.id, text('two'))
    net.run()
    expect(b.got).toEqual(['one', 'two'])
  })

  test('NoiseSessions — ciphertext that cannot be read does not restart a handshake already under way', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('x'))
    net.wire.length = 0
    // a waits for message 2; b's garbage (no session at a's end yet, then three failures) must not replace it.
    for (let i = 0; i < 4; i++) a.sessions.receiveEncrypted(b.id, new Uint8Array(40))
    expect(a.sessions.counters).toMatchObject({ handshakesStarted: 1, decryptFailures: 4 })
    expect(net.wire).toEqual([])
  })

  test('NoiseSessions — frames that fail to decrypt are dropped; after three in a row a new handshake starts', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('ok'))
    net.run()
    for (let i = 1; i <= DECRYPT_FAILURES_BEFORE_HANDSHAKE; i++) {
      a.sessions.send(b.id, text('bad'))
      net.run(f => { f.payload[10]! ^= 1; return f.type === MessageType.noiseEncrypted })
      expect(b.sessions.counters.handshakesStarted).toBe(i === DECRYPT_FAILURES_BEFORE_HANDSHAKE ? 1 : 0)
    }
    net.run()
    a.sessions.send(b.id, text('fine'))
    net.run()
    expect(b.got).toEqual(['ok', 'fine'])
  })

  test('NoiseSessions — failures with a good frame between them are not in a row and start nothing', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('ok'))
    net.run()
    const corrupt = (f: Frame): boolean => { f.payload[10]! ^= 1; return true }
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i < DECRYPT_FAILURES_BEFORE_HANDSHAKE; i++) { a.sessions.send(b.id, text('bad')); net.run(corrupt) }
      a.sessions.send(b.id, text('good'))
      net.run()
    }
    expect(b.sessions.counters).toMatchObject({ decryptFailures: 2 * (DECRYPT_FAILURES_BEFORE_HANDSHAKE - 1), handshakesStarted: 0 })
    expect(b.got).toEqual(['ok', 'good', 'good'])
  })

  test('NoiseSessions — a first message that overtakes message 3 is held by the responder and shown once the handshake is complete', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('first'))
    a.sessions.send(b.id, text('second'))
    // Hold message 3 back until both transport messages have arrived.
    const held: Frame[] = []
    const carried = net.runHolding(held, f => f.type === MessageType.noiseHandshake && f.payload.length === 64)
    expect(b.got).toEqual([])
    // What b holds is its own copy: the frames it was handed may be reused.
    for (const f of carried) if (f.type === MessageType.noiseEncrypted) f.payload.fill(0)
    net.wire.push(...held)
    net.run()
    expect(b.got).toEqual(['first', 'second'])
    expect(b.sessions.counters.decryptFailures).toBe(0)
  })

  test('NoiseSessions — a responder holds at most EARLY_FRAMES_MAX such messages, and counts what it cannot keep or never could read', () => {
    const { net, a, b } = twoParties()
    for (let i = 0; i < EARLY_FRAMES_MAX + 2; i++) a.sessions.send(b.id, text(`m${i}`))
    const held: Frame[] = []
    net.runHolding(held, f => f.type === MessageType.noiseHandshake && f.payload.length === 64)
    expect(b.sessions.counters.decryptFailures).toBe(2)
    // Message 3 never comes: the held ones are dropped with the handshake.
    b.sessions.maintain(net.clock.now() + RESPONDER_TIMEOUT_MS)
    expect(b.sessions.counters.decryptFailures).toBe(EARLY_FRAMES_MAX + 2)
    expect(b.got).toEqual([])
  })

  test('NoiseSessions — reordered frames are delivered once each', () => {
    const { net, a, b } = twoParties()
    a.sessions.send(b.id, text('0'))
    net.run()
    for (let i = 1; i <= 5; i++) a.sessions.send(b.id, text(String(i)))
    const frames = net.wire.splice(0)
    net.wire.push(frames[3]!, frames[0]!, frames[3]!, frames[4]!, frames[1]!, frames[2]!, frames[0]!)
    net.run()
    expect(b.got).toEqual(['0', '4', '1', '5', '2', '3'])
  })
})
