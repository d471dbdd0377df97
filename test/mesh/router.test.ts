import { describe, expect, test } from 'vitest'
import { sha256 } from '@noble/hashes/sha2.js'
import pino, { type Logger } from 'pino'
import { LINK_SLOTS } from '../../src/mesh/dedup.js'
import { Router, type RouterConfig, LINK_REBIND_COOLDOWN_MS, RSR_WINDOW_MS, NEIGHBOUR_MAX_AGE_MS, TWO_HOP_STABLE_MS, MAX_CLOCK_SKEW_MS, MAX_TTL_UPGRADES, HOLD_MAX_PER_SENDER, HOLD_MAX_TOTAL, HOLD_MS, type PacketSecurity, type RouterHandlers } from '../../src/mesh/router.js'
import { PeerTable, peerKey } from '../../src/mesh/peers.js'
import { Counters } from '../../src/mesh/stats.js'
import { floodPolicy } from '../../src/mesh/policy/flood.js'
import { NEWCOMER_WINDOW_MS, type RelayPolicy } from '../../src/mesh/policy/relay-policy.js'
import type { Link, LinkHandlers } from '../../src/mesh/link.js'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { capabilitiesFromBits, decodeAnnounce, encodeAnnounce, hasCapability, PeerCapability } from '../../src/wire/announce.js'
import { decodePacket, encodePacket } from '../../src/wire/packet.js'
import { encodeFragment } from '../../src/wire/fragment.js'
import { MessageType, type Packet } from '../../src/wire/packet-types.js'
import { SeededRandom } from '../../src/prng.js'
import { padFrame } from '../../src/wire/padding.js'
import { REASSEMBLY_TIMEOUT_MS } from '../../src/mesh/reassembler.js'
import { ManualClock } from '../helpers/manual-clock.js'

// A stand-in for Ed25519 so the router's rules can be tested on their own: "signature" = SHA-256(key ‖
// type ‖ timestamp ‖ payload) twice. The node tests use the real signing code.
const fakeCrypto = { sha256: (d: Uint8Array) => sha256(d) } as unknown as CryptoProvider
function fakeSign (signingKey: Uint8Array, p: Packet): Uint8Array {
  const ts = new Uint8Array(8)
  new DataView(ts.buffer).setBigUint64(0, p.timestamp)
  const h = sha256(Uint8Array.from([...signingKey, p.type, ...ts, ...p.payload]))
  return Uint8Array.from([...h, ...h])
}
const security: PacketSecurity = {
  acceptAnnounce (p) {
    let a
    try { a = decodeAnnounce(p.payload) } catch { return 'tlv' }
    const id = sha256(a.noisePublicKey).subarray(0, 8)
    if (!id.every((b, i) => b === p.senderId[i])) return 'peerId'
    if (p.signature === null || !fakeSign(a.signingPublicKey, p).every((b, i) => b === p.signature![i])) return 'signature'
    return { nickname: a.nickname, noisePublicKey: a.noisePublicKey, signingPublicKey: a.signingPublicKey, fullFanout: hasCapability(a.capabilities, PeerCapability.fullFanout) }
  },
  verify (key, p) {
    return p.signature !== null && fakeSign(key, p).every((b, i) => b === p.signature![i])
  },
}

const NOW = 1_700_000_000_000

class Peer {
  readonly noise: Uint8Array
  readonly signing: Uint8Array
  readonly id: Uint8Array
  constructor (readonly n: number) {
    this.noise = new Uint8Array(32).fill(n)
    this.signing = new Uint8Array(32).fill(n + 100)
    this.id = sha256(this.noise).slice(0, 8)
  }

  packet (type: number, payload: Uint8Array, over: Partial<Packet> = {}): Packet {
    const p: Packet = { version: 1, type, ttl: 7, timestamp: BigInt(NOW), senderId: this.id, recipientId: null, route: [], payload, isCompressed: false, isRSR: false, signature: null, ...over }
    if (over.signature === undefined) p.signature = fakeSign(this.signing, p)
    return p
  }

  /** `fullFanout`: the announce says so (PeerCapability.fullFanout). */
  announce (ttl = 7, fullFanout = false, over: Partial<Packet> = {}): Uint8Array {
    const capabilities = fullFanout ? capabilitiesFromBits([PeerCapability.fullFanout]) : null
    const payload = encodeAnnounce({ nickname: `p${this.n}`, noisePublicKey: this.noise, signingPublicKey: this.signing, neighbors: [], capabilities, geohash: null, unknown: [] })
    return encodePacket(this.packet(MessageType.announce, payload, { ttl, ...over }))
  }

  message (text: string, over: Partial<Packet> = {}): Uint8Array {
    return encodePacket(this.packet(MessageType.message, new TextEncoder().encode(text), over))
  }

  /** Fragment `index` of a two-fragment stream carrying `originalType` (fragments are unsigned). */
  fragment (originalType: number, over: Partial<Packet> = {}, index = 0, data = Uint8Array.of(5, 5, 5)): Uint8Array {
    const payload = encodeFragment({ fragmentId: new Uint8Array(8).fill(9), index, total: 2, originalType, data })
    return encodePacket(this.packet(MessageType.fragment, payload, { signature: null, ...over }))
  }
}

class FakeLink implements Link {
  readonly info = {}
  closed = false
  handlers!: LinkHandlers
  sent: Uint8Array[] = []
  /** While true, `send` refuses frames (a link whose buffer is full) and they wait in the router's queue. */
  full = false
  constructor (readonly id: string, readonly mtu = 512) {}
  attach (h: LinkHandlers): void { this.handlers = h }
  send (frame: Uint8Array): boolean { if (this.full) return false; this.sent.push(frame); return true }
  unblock (): void { this.full = false; this.handlers.onDrain() }
  close (): void { this.closed = true; this.handlers.onClose('closed') }
  deliver (frame: Uint8Array): void { this.handlers.onFrame(frame) }
}

/** What a test may change of `setup`'s router beyond its policy: bugs throw unless a test says otherwise. */
interface SetupOptions { logger?: Logger, internalErrors?: RouterConfig['internalErrors'], onPublicMessage?: (text: string) => void }

function setup (policy: RelayPolicy = floodPolicy, links = 3, seed = 1, o: SetupOptions = {}) {
  const clock = new ManualClock(NOW)
  const counters = new Counters()
  const peers = new PeerTable()
  const me = new Peer(0)
  const events: Array<[string, unknown]> = []
  /** Sender's first byte and TTL of each frame onAnnounce saw. */
  const announced: Array<[number, number]> = []
  const linkEvents: string[] = []
  const handlers: RouterHandlers = {
    onPeerAppeared: p => events.push(['appeared', p.nickname]),
    onPeerLeft: (p, r) => events.push(['left', `${p.nickname}:${r}`]),
    onPublicMessage: p => {
      const text = new TextDecoder().decode(p.payload)
      o.onPublicMessage?.(text)
      events.push(['message', text])
    },
    onPacket: p => events.push(['packet', p.type]),
    onAnnounce: (_, p, frame) => announced.push([p.senderId[0]!, frame[2]!]),
    onLinkUp: l => linkEvents.push(`up ${l.id}`),
    onLinkDown: (l, reason) => linkEvents.push(`down ${l.id}: ${reason}`),
  }
  const router = new Router({ localId: me.id, clock, random: new SeededRandom(seed), crypto: fakeCrypto, logger: o.logger ?? pino({ level: 'silent' }), policy, peers, counters, security, handlers, config: { queue: { fragmentSpacingMs: 0 }, internalErrors: o.internalErrors ?? 'throw' } })
  const ls = Array.from({ length: links }, (_, i) => new FakeLink(`l${i}`))
  for (const l of ls) router.addLink(l)
  const messages = (): unknown[] => events.filter(e => e[0] === 'message').map(e => e[1])
  return { clock, counters, peers, me, router, links: ls, events, messages, announced, linkEvents }
}

describe('Router', () => {
  test('router — garbage frames are counted and dropped, and the link keeps working', () => {
    const { links, counters, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    for (const junk of [new Uint8Array(0), Uint8Array.of(9, 9, 9), new Uint8Array(300).fill(0xff), Uint8Array.of(1, 2, 7)]) links[0]!.deliver(junk)
    links[1]!.deliver(alice.message('hi'))
    expect(counters.snapshot().dropped.decode).toBe(4)
    expect(messages()).toEqual(['hi'])
  })

  test('router — a frame that meets a bug is dropped and logged (thinned), and every link goes on', () => {
    const lines: Array<{ msg: string, count: number, link: string, frame: string, err: { message: string } }> = []
    const logger = pino({ level: 'error' }, { write: (line: string) => { lines.push(JSON.parse(line) as typeof lines[number]) } })
    const bug = (text: string): void => { if (text.startsWith('boom')) throw new TypeError('a bug in the handler') }
    const { links, counters, messages } = setup(floodPolicy, 3, 1, { logger, internalErrors: 'contain', onPublicMessage: bug })
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    const first = alice.message('boom 0')
    for (let i = 0; i < 1_005; i++) links[0]!.deliver(i === 0 ? first : alice.message(`boom ${i}`))
    links[0]!.deliver(alice.message('after, same link'))
    links[1]!.deliver(alice.message('after, other link'))
    expect(messages()).toEqual(['after, same link', 'after, other link'])
    expect(counters.snapshot().dropped.internalError).toBe(1_005)
    // The first ten in full, then one in a thousand: a neighbour must not fill the log at will.
    expect(lines.map(l => [l.msg, l.count, l.link])).toEqual([...Array.from({ length: 10 }, (_, i) => i + 1), 1_000].map(n => ['a frame met a bug and was dropped', n, 'l0']))
    expect(lines[0]!.err.message).toBe('a bug in the handler')
    expect(lines[0]!.frame).toBe(Buffer.from(first.subarray(0, 64)).toString('hex'))
  })

  test('router — direct announces move the mesh time when most links agree; a closed link no longer votes', () => {
    const day = 86_400_000
    const { links, router, counters } = setup(floodPolicy, 4)
    const at = (skew: number): Partial<Packet> => ({ timestamp: BigInt(NOW + skew) })
    links[0]!.deliver(new Peer(1).announce(7, false, at(0)))
    links[1]!.deliver(new Peer(2).announce(7, false, at(0)))
    links[2]!.deliver(new Peer(3).announce(6, false, at(day))) // relayed: not a vote, and stale
    links[2]!.deliver(new Peer(4).announce(7, false, at(day)))
    expect(router.clockOffsetMs).toBe(0) // one link of three
    links[0]!.close()
    links[1]!.close()
    links[3]!.deliver(new Peer(5).announce(7, false, at(day + 2_000)))
    expect(router.clockOffsetMs).toBe(day)
    expect(router.meshNow()).toBe(NOW + day)
    expect(counters.snapshot().dropped.stale).toBe(2) // peers 3 and 4; 5's announce was judged by the new time
    links[2]!.deliver(new Peer(6).message('stamped a day ahead', at(day)))
    expect(counters.snapshot().delivered).toBe(0) // 6 never announced: held, not shown; but not stale either
    expect(counters.snapshot().dropped.stale).toBe(2)
  })

  test('router — with internalErrors: throw, a bug reaches the link that delivered the frame', () => {
    const { links, counters } = setup(floodPolicy, 3, 1, { onPublicMessage: () => { throw new TypeError('a bug in the handler') } })
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    expect(() => links[0]!.deliver(alice.message('boom'))).toThrow('a bug in the handler')
    expect(counters.snapshot().dropped.internalError).toBe(0)
  })

  test('router — each new announce reaches onAnnounce once, with its frame; copies and rejected ones do not', () => {
    const { links, announced } = setup()
    const alice = new Peer(1)
    const forged = alice.announce(5)
    forged[forged.length - 1]! ^= 1
    links[0]!.deliver(forged)
    links[0]!.deliver(alice.announce(6))
    links[1]!.deliver(alice.announce(5))
    expect(announced).toEqual([[alice.id[0], 6]])
  })

  test('router — sendFrame puts a frame as it is on one link only', () => {
    const { links, router } = setup()
    const frame = new Peer(1).announce(0)
    router.sendFrame(links[1]!, frame)
    expect(links.map(l => l.sent)).toEqual([[], [frame], []])
  })

  test('router — relays keep the received bytes, only the TTL changes, never back on the ingress link', () => {
    const { links } = setup()
    const alice = new Peer(1)
    const frame = alice.message('hello', { ttl: 5 })
    links[0]!.deliver(frame)
    expect(links[0]!.sent).toEqual([])
    const expected = frame.slice()
    expected[2] = 4
    expect(links[1]!.sent).toEqual([expected])
    expect(links[2]!.sent).toEqual([expected])
  })

  test('router — received TTL is clamped to 7', () => {
    const { links } = setup()
    links[0]!.deliver(new Peer(1).message('x', { ttl: 200 }))
    expect(links[1]!.sent[0]![2]).toBe(6)
  })

  test.each([
    ['TTL 1', (a: Peer, me: Peer) => a.message('x', { ttl: 1 })],
    ['TTL 0', (a: Peer) => a.message('x', { ttl: 0 })],
    ['REQUEST_SYNC', (a: Peer) => encodePacket(a.packet(MessageType.requestSync, Uint8Array.of(1)))],
    ['addressed to us', (a: Peer, me: Peer) => encodePacket(a.packet(MessageType.noiseEncrypted, Uint8Array.of(1), { recipientId: me.id }))],
  ])('router — no relay: %s', (_, make) => {
    const { links, me, counters } = setup()
    links[0]!.deliver(make(new Peer(1), me))
    expect(links[1]!.sent).toEqual([])
    expect(counters.relayed).toBe(0)
  })

  test('router — our own packets coming back are dropped', () => {
    const { links, me, counters } = setup()
    links[0]!.deliver(me.message('mine'))
    expect(links[1]!.sent).toEqual([])
    expect(counters.snapshot().dropped.own).toBe(1)
  })

  test.each([
    ['too old', -MAX_CLOCK_SKEW_MS - 1, true],
    ['too new', MAX_CLOCK_SKEW_MS + 1, true],
    ['at the edge', MAX_CLOCK_SKEW_MS, false],
    ['at the old edge', -MAX_CLOCK_SKEW_MS, false],
  ])('router — freshness: %s', (_, offset, dropped) => {
    const { links, counters } = setup()
    links[0]!.deliver(new Peer(1).message('x', { timestamp: BigInt(NOW + offset) }))
    expect(counters.snapshot().dropped.stale).toBe(dropped ? 1 : 0)
  })

  // The RSR flag sits outside the signature (§5.3), so anyone can set it on a captured packet of any age.
  // It lifts the freshness check only for the neighbour we asked for a sync moments ago, as iOS does.
  test.each([
    ['unsolicited', null, 0, true],
    ['answering our request on that link 30 s ago', 0, RSR_WINDOW_MS, false],
    ['answering a request older than the window', 0, RSR_WINDOW_MS + 1, true],
    ['on another link than the one we asked', 1, 0, true],
  ])('router — an RSR packet from 10 minutes ago, %s', (_, askedOn, ago, stale) => {
    const { clock, router, links, counters, messages, me } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    if (askedOn !== null) {
      router.originate(me.packet(MessageType.requestSync, Uint8Array.of(1), { ttl: 0, recipientId: alice.id }), [links[askedOn]!])
      clock.advance(ago)
    }
    links[0]!.deliver(alice.message('old', { timestamp: BigInt(clock.now() - 600_000), isRSR: true }))
    expect(counters.snapshot().dropped.stale).toBe(stale ? 1 : 0)
    expect(messages()).toEqual(stale ? [] : ['old'])
  })

  test('router — an RSR packet is delivered but never relayed, nor is a copy of it with more TTL', () => {
    const { links, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    links[0]!.deliver(alice.message('answer', { isRSR: true, ttl: 3 }))
    links[2]!.deliver(alice.message('answer', { isRSR: true, ttl: 7 }))
    expect(messages()).toEqual(['answer'])
    expect(links.flatMap(l => l.sent).filter(f => f[1] === MessageType.message)).toEqual([])
  })

  test('router — a duplicate is counted, relayed and delivered nothing', () => {
    const { links, counters, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    const frame = alice.message('once', { ttl: 6 })
    links[0]!.deliver(frame)
    links[1]!.deliver(frame)
    const copy = frame.slice(); copy[2] = 3
    links[2]!.deliver(copy)
    expect(messages()).toEqual(['once'])
    expect(counters.duplicates).toBe(2)
    expect(links[1]!.sent.filter(f => f[1] === MessageType.message).length).toBe(1)
  })

  test('router — a forged copy arriving first is dropped and does not suppress the genuine one', () => {
    const { links, counters, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    const genuine = alice.packet(MessageType.message, new TextEncoder().encode('real'))
    const forged = encodePacket({ ...genuine, signature: new Uint8Array(64).fill(1) })
    links[2]!.deliver(forged)
    expect(counters.snapshot().dropped.badSignature).toBe(1)
    expect(links[0]!.sent.filter(f => f[1] === MessageType.message)).toEqual([]) // a failed copy is not relayed
    links[0]!.deliver(encodePacket(genuine))
    expect(messages()).toEqual(['real'])
    expect(links[1]!.sent.filter(f => f[1] === MessageType.message).length).toBe(1)
    // An unsigned copy from a pinned sender fails the same way.
    links[1]!.deliver(encodePacket({ ...genuine, timestamp: genuine.timestamp + 1n, signature: null }))
    expect(counters.snapshot().dropped.badSignature).toBe(2)
  })

  test('router — an unknown sender\'s message is relayed blind but shown only once its key is known', () => {
    const { links, counters, messages } = setup()
    const alice = new Peer(1)
    const frame = alice.message('early')
    links[0]!.deliver(frame)
    expect(messages()).toEqual([])
    expect(counters.unverifiable).toBe(1)
    expect(links[1]!.sent.length).toBe(1)
    links[0]!.deliver(alice.announce())
    links[2]!.deliver(frame) // a later copy can now be verified: delivered once, not relayed again
    links[1]!.deliver(frame)
    expect(messages()).toEqual(['early'])
    expect(links[1]!.sent.filter(f => f[1] === MessageType.message).length).toBe(1)
  })

  test('router — announces: self-verified before relay; pinned keys are never replaced; direct announce binds', () => {
    const { links, counters, events, router } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce(7))
    expect(events).toEqual([['appeared', 'p1']])
    expect(router.linkPeer(links[0]!)).toBe(Buffer.from(alice.id).toString('hex'))
    expect(router.linkPeer(links[1]!)).toBeNull()
    // Someone else claiming alice's ID with other keys: the ID does not derive from the key.
    const mallory = new Peer(2)
    const stolen = decodePacket(mallory.announce())
    stolen.senderId = alice.id
    stolen.timestamp += 1n
    stolen.signature = fakeSign(mallory.signing, stolen)
    links[1]!.deliver(encodePacket(stolen))
    expect(counters.snapshot().dropped.announceRejected).toBe(1)
    expect(links[2]!.sent.filter(f => f[1] === MessageType.announce).length).toBe(1)
  })

  test('router — a verified leave removes the peer; a forged one does nothing', () => {
    const { links, events } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    links[0]!.deliver(encodePacket(alice.packet(MessageType.leave, new Uint8Array(0), { signature: new Uint8Array(64) })))
    expect(events.filter(e => e[0] === 'left')).toEqual([])
    links[0]!.deliver(encodePacket(alice.packet(MessageType.leave, new Uint8Array(0))))
    expect(events.filter(e => e[0] === 'left')).toEqual([['left', 'p1:leave']])
  })

  test('router — unknown types are relayed as raw bytes and handed up', () => {
    const { links, events } = setup()
    const frame = encodePacket(new Peer(1).packet(0x7e, Uint8Array.of(1, 2, 3), { signature: null }))
    links[0]!.deliver(frame)
    const expected = frame.slice(); expected[2] = 6
    expect(links[1]!.sent).toEqual([expected])
    expect(events).toEqual([['packet', 0x7e]])
  })

  test('router — Noise frames are padded when relayed, as the phones send them', () => {
    const { links } = setup()
    const frame = encodePacket(new Peer(1).packet(MessageType.noiseEncrypted, new Uint8Array(40), { recipientId: new Peer(5).id, signature: null }))
    links[0]!.deliver(frame)
    expect(links[1]!.sent[0]!.length).toBe(256)
  })

  test('router — a waiting relay is cancelled once the policy\'s duplicate count is heard', () => {
    const delayed: RelayPolicy = { name: 'delayed', decide: c => ({ ttl: c.ttl - 1, delayMs: 50, cancelAfterDuplicates: 2, links: c.links }) }
    const { links, clock, counters } = setup(delayed)
    const alice = new Peer(1)
    const a = alice.message('a')
    const b = alice.message('b')
    links[0]!.deliver(a)
    links[1]!.deliver(a)
    links[2]!.deliver(a) // second duplicate: cancelled
    links[0]!.deliver(b)
    links[1]!.deliver(b) // one duplicate only: still relayed
    clock.advance(50)
    expect(counters.relaysCancelled).toBe(1)
    expect(counters.relayed).toBe(1)
    expect(links[2]!.sent.length).toBe(1)
    expect(decodePacket(links[2]!.sent[0]!).payload).toEqual(new TextEncoder().encode('b'))
  })

  test('router — frames over a link\'s MTU are fragmented for that link only, and fragments reassemble downstream', () => {
    const alice = new Peer(1)
    const s = setup(floodPolicy, 0)
    const small = new FakeLink('small', 185)
    s.router.addLink(small)
    const text = 'x'.repeat(2000)
    small.deliver(alice.announce())
    const frame = alice.message(text)
    // A neighbour with a big MTU sends the whole frame to a router whose other link is small.
    const big = new FakeLink('big', 4096)
    s.router.addLink(big)
    big.deliver(frame)
    const fragments = small.sent.filter(f => f[1] === MessageType.fragment)
    expect(fragments.length).toBe(Math.ceil(frame.length / (185 - 22 - 13)))
    for (const f of small.sent) expect(f.length).toBeLessThanOrEqual(185)
    // Downstream: a fresh router gets the fragments (shuffled, one duplicated) and shows the text once.
    const d = setup(floodPolicy, 2)
    d.links[0]!.deliver(alice.announce(6))
    const order = [...fragments].reverse()
    for (const f of [...order, order[0]!]) d.links[0]!.deliver(f)
    expect(d.messages()).toEqual([text])
    expect(d.counters.duplicates).toBe(1)
    expect(d.counters.reassembled).toBe(1)
    // The fragments were relayed; the reassembled packet was not.
    expect(d.links[1]!.sent.filter(f => f[1] === MessageType.message)).toEqual([])
    expect(d.links[1]!.sent.filter(f => f[1] === MessageType.fragment).length).toBe(fragments.length)
  })

  /** A router between a big link and a small one, seeded `seed`, given alice's message whole; the fragments it cut. */
  function cutByRelay (alice: Peer, text: string, ttl: number, seed: number, smallMtu = 185): Uint8Array[] {
    const s = setup(floodPolicy, 0, seed)
    const big = new FakeLink('big', 4096)
    const small = new FakeLink('small', smallMtu)
    s.router.addLink(big)
    s.router.addLink(small)
    big.deliver(alice.announce())
    big.deliver(alice.message(text, { ttl }))
    return small.sent.filter(f => f[1] === MessageType.fragment)
  }

  test('router — relays that cut the same packet for the same link size send one stream, which downstream dedup merges', () => {
    const alice = new Peer(1)
    const text = 'y'.repeat(600)
    const a = cutByRelay(alice, text, 7, 1)
    const b = cutByRelay(alice, text, 5, 2) // another relay, another seed, reached at another TTL
    const idOf = (f: Uint8Array): string => Buffer.from(decodePacket(f).payload.subarray(0, 8)).toString('hex')
    expect(a.length).toBeGreaterThan(2)
    expect(b.map(idOf)).toEqual(a.map(idOf))
    expect(cutByRelay(alice, text, 7, 1, 250).map(idOf)[0]).not.toBe(idOf(a[0]!)) // other chunks, other stream
    const d = setup(floodPolicy, 3)
    d.links[0]!.deliver(alice.announce(6))
    for (const f of a) d.links[0]!.deliver(f)
    for (const f of b) d.links[1]!.deliver(f)
    expect(d.messages()).toEqual([text])
    expect(d.counters.duplicates).toBe(b.length)
    expect(d.links[2]!.sent.filter(f => f[1] === MessageType.fragment).length).toBe(a.length)
  })

  test('router — a stream we cut that comes back to us is a copy, not news to relay', () => {
    const s = setup(floodPolicy, 0)
    const [big, small, other] = [new FakeLink('big', 4096), new FakeLink('small', 185), new FakeLink('other', 512)]
    for (const l of [big, small, other]) s.router.addLink(l)
    const alice = new Peer(1)
    big.deliver(alice.announce())
    big.deliver(alice.message('w'.repeat(600)))
    const fragments = small.sent.filter(f => f[1] === MessageType.fragment)
    expect(fragments.length).toBeGreaterThan(2)
    const before = other.sent.length
    for (const f of fragments) { const back = f.slice(); back[2] = back[2]! - 1; small.deliver(back) }
    expect(s.counters.duplicates).toBe(fragments.length)
    expect(other.sent.length).toBe(before)
  })

  test.each<[number, boolean]>([[5, false], [6, false], [7, true]])(
    'router — after the fragments (TTL 6) delivered a packet, a whole copy at TTL %i is relayed: %s', (ttl, relayed) => {
      const alice = new Peer(1)
      const text = 'v'.repeat(300) // fragments on a 185 link, whole on the 512 ones
      const fragments = cutByRelay(alice, text, 7, 1)
      expect(fragments.map(f => f[2])).toEqual(fragments.map(() => 6))
      const d = setup(floodPolicy, 3)
      d.links[0]!.deliver(alice.announce(6))
      for (const f of fragments) d.links[0]!.deliver(f)
      d.links[1]!.deliver(alice.message(text, { ttl }))
      expect(d.messages()).toEqual([text])
      expect(d.links[2]!.sent.filter(f => f[1] === MessageType.message).length).toBe(relayed ? 1 : 0)
      // The fragments' link holds the packet at 6, which our copy would not better.
      expect(d.links[0]!.sent.filter(f => f[1] === MessageType.message)).toEqual([])
    })

  test('router — Noise addressed to us is handed up, not relayed; addressed to another peer it is relayed, not handed up', () => {
    const { links, me, events } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(encodePacket(alice.packet(MessageType.noiseHandshake, Uint8Array.of(1), { recipientId: me.id, signature: null })))
    expect(events).toEqual([['packet', MessageType.noiseHandshake]])
    links[0]!.deliver(encodePacket(alice.packet(MessageType.noiseHandshake, Uint8Array.of(2), { recipientId: new Peer(7).id, signature: null })))
    expect(events.length).toBe(1)
    expect(links[1]!.sent.length).toBe(1)
  })

  test('router — directed traffic for a neighbour goes only down that neighbour\'s link', () => {
    const { links } = setup()
    const alice = new Peer(1)
    const bob = new Peer(2)
    links[1]!.deliver(bob.announce(7)) // bob is our neighbour on l1
    const toBob = encodePacket(alice.packet(MessageType.noiseEncrypted, Uint8Array.of(1), { recipientId: bob.id, signature: null }))
    links[0]!.deliver(toBob)
    expect(links[1]!.sent.filter(f => f[1] === MessageType.noiseEncrypted).length).toBe(1)
    expect(links[2]!.sent.filter(f => f[1] === MessageType.noiseEncrypted)).toEqual([])
    // Once that link is gone, directed traffic floods again.
    links[1]!.close()
    links[0]!.deliver(encodePacket(alice.packet(MessageType.noiseEncrypted, Uint8Array.of(2), { recipientId: bob.id, signature: null })))
    expect(links[2]!.sent.filter(f => f[1] === MessageType.noiseEncrypted).length).toBe(1)
  })

  // bob is our neighbour on l1, carol on l2; l3's neighbour never announced; alice's packets come on l0.
  const [dave, eve] = [new Peer(4), new Peer(5)]
  test.each<[string, (me: Peer, bob: Peer, carol: Peer) => { route: Peer[], to: Peer }, string[]]>([
    ['we are on it: the hop after us only', (me, bob) => ({ route: [me, bob], to: dave }), ['l1']],
    ['we are its last hop: the recipient only', (me, _, carol) => ({ route: [eve, me], to: carol }), ['l2']],
    ['we are not on it: its first hop only (iOS)', (_, __, carol) => ({ route: [carol, eve], to: dave }), ['l2']],
    ['the hop after us is not our neighbour: it floods', me => ({ route: [me, eve], to: dave }), ['l1', 'l2', 'l3']],
    ['none: it floods, as before', () => ({ route: [], to: dave }), ['l1', 'l2', 'l3']],
    ['a hop named twice: not relayed at all (Android)', (me, bob) => ({ route: [me, bob, bob], to: dave }), []],
  ])('router — a source route (v2), %s', (what, make, expected) => {
    const { links, me, counters, clock } = setup(floodPolicy, 4)
    const alice = new Peer(1)
    const [bob, carol] = [new Peer(2), new Peer(3)]
    links[1]!.deliver(bob.announce(7))
    links[2]!.deliver(carol.announce(7))
    const { route, to } = make(me, bob, carol)
    const packet = alice.packet(MessageType.noiseEncrypted, Uint8Array.of(1, 2, 3), { version: 2, recipientId: to.id, route: route.map(p => p.id), signature: null })
    links[0]!.deliver(encodePacket(packet))
    clock.advance(1_000)
    const got = links.filter(l => l.sent.some(f => f[1] === MessageType.noiseEncrypted)).map(l => l.id)
    expect(got).toEqual(expected)
    // What leaves is what came, one hop older: version, recipient and route as received.
    for (const l of links) {
      for (const f of l.sent.filter(f => f[1] === MessageType.noiseEncrypted)) {
        expect(decodePacket(f)).toMatchObject({ version: 2, ttl: 6, recipientId: to.id, route: route.map(p => p.id) })
      }
    }
    expect(counters.snapshot().dropped.routeLoop).toBe(what.includes('twice') ? 1 : 0)
  })

  test('router — a REQUEST_SYNC on a link bound to another peer is refused (ingress binding)', () => {
    const { links, counters, events } = setup()
    const alice = new Peer(1)
    const bob = new Peer(2)
    links[0]!.deliver(alice.announce(7))
    links[1]!.deliver(bob.announce(7))
    links[0]!.deliver(encodePacket(bob.packet(MessageType.requestSync, Uint8Array.of(1), { ttl: 0 })))
    expect(counters.snapshot().dropped.binding).toBe(1)
    links[1]!.deliver(encodePacket(bob.packet(MessageType.requestSync, Uint8Array.of(1), { ttl: 0 })))
    expect(events.filter(e => e[0] === 'packet')).toEqual([['packet', MessageType.requestSync]])
  })

  test('router — fragments injected into another sender\'s stream are dropped unrelayed, and the stream completes', () => {
    const s = setup(floodPolicy, 0)
    const big = new FakeLink('big', 4096)
    const small = new FakeLink('small', 185)
    s.router.addLink(big)
    s.router.addLink(small)
    const alice = new Peer(1)
    big.deliver(alice.announce())
    big.deliver(alice.message('z'.repeat(600)))
    const fragments = small.sent.filter(f => f[1] === MessageType.fragment)
    expect(fragments.length).toBeGreaterThan(2)
    const d = setup(floodPolicy, 2)
    const [victim, attacker] = d.links as [FakeLink, FakeLink]
    victim.deliver(alice.announce(6))
    victim.deliver(fragments[0]!)
    // The attacker saw fragment 0 and forges index 1 with another total, another type, and other bytes.
    const one = decodePacket(fragments[1]!)
    const forge = (mutate: (p: Uint8Array) => void): Uint8Array => {
      const payload = one.payload.slice()
      mutate(payload)
      return encodePacket({ ...one, payload })
    }
    attacker.deliver(forge(p => { p[11] = p[11]! + 1 })) // total
    attacker.deliver(forge(p => { p[12] = MessageType.announce })) // type
    attacker.deliver(forge(p => { p[9] = 0 })) // index 0 again, other bytes: a copy of a filled slot
    expect(d.counters.snapshot().dropped.fragment).toBe(2)
    expect(d.counters.duplicates).toBe(1)
    expect(victim.sent.filter(f => f[1] === MessageType.fragment)).toEqual([]) // no forgery was relayed
    expect(attacker.sent.filter(f => f[1] === MessageType.fragment).length).toBe(1) // the genuine fragment 0 was
    for (const f of fragments.slice(1)) victim.deliver(f)
    expect(d.messages()).toEqual(['z'.repeat(600)])
  })

  test('router — a closed link is forgotten; relays skip it', () => {
    const { links, router } = setup()
    links[1]!.close()
    expect(router.links.map(l => l.id)).toEqual(['l0', 'l2'])
    links[0]!.deliver(new Peer(1).message('x'))
    expect(links[1]!.sent).toEqual([])
    expect(links[2]!.sent.length).toBe(1)
  })

  const waiting = (cancelAfterDuplicates = Infinity): RelayPolicy => ({ name: 'waiting', decide: c => ({ ttl: c.ttl - 1, delayMs: 50, cancelAfterDuplicates, links: c.links }) })
  const messagesOn = (l: FakeLink): Uint8Array[] => l.sent.filter(f => f[1] === MessageType.message)
  const withTtl = (frame: Uint8Array, ttl: number): Uint8Array => { const c = frame.slice(); c[2] = ttl; return c }

  test('router — stop cancels waiting relays: their timers are cleared and nothing is sent', () => {
    const { links, clock, router, counters } = setup(waiting(), 3)
    links[0]!.deliver(new Peer(1).message('x', { ttl: 5 }))
    links[0]!.deliver(new Peer(2).message('y', { ttl: 5 }))
    expect(router.pendingRelays).toBe(2)
    expect(clock.pending()).toBe(2)
    router.stop()
    expect(router.pendingRelays).toBe(0)
    expect(clock.pending()).toBe(0)
    clock.advance(50)
    expect(links.map(l => messagesOn(l).length)).toEqual([0, 0, 0])
    expect(counters.relayed).toBe(0)
  })

  test('router — links past the dedup slots are never known to hold a copy; a closed link\'s slot is reused', () => {
    const { links, clock, router } = setup(waiting(), LINK_SLOTS + 1)
    const first = new Peer(1).message('x', { ttl: 5 })
    links[0]!.deliver(first)
    links[LINK_SLOTS - 1]!.deliver(first) // the last slot: skipped
    links[LINK_SLOTS]!.deliver(first) // no slot: sent anyway
    clock.advance(50)
    expect([messagesOn(links[LINK_SLOTS - 1]!).length, messagesOn(links[LINK_SLOTS]!).length]).toEqual([0, 1])
    links[3]!.close()
    const late = new FakeLink('late')
    router.addLink(late)
    const second = new Peer(2).message('y', { ttl: 5 })
    links[0]!.deliver(second)
    late.deliver(second)
    clock.advance(50)
    expect(messagesOn(late)).toEqual([])
    expect(messagesOn(links[1]!)).toEqual([withTtl(first, 4), withTtl(second, 4)])
  })

  test('router — a waiting relay skips the links a copy arrived on meanwhile', () => {
    const { links, clock, counters } = setup(waiting(), 4)
    const frame = new Peer(1).message('x', { ttl: 5 })
    links[0]!.deliver(frame)
    links[2]!.deliver(frame)
    clock.advance(50)
    expect(links.map(l => messagesOn(l).length)).toEqual([0, 1, 0, 1])
    expect(counters.relayed).toBe(1)
  })

  test('router — the policy is told how much newer an announce is than the sender\'s last relayed one', () => {
    const gaps: number[] = []
    const fresh: string[] = []
    const { links, clock, router } = setup({
      name: 'spy',
      decide: c => {
        gaps.push(c.announceRelayGapMs)
        fresh.push(c.freshLinks.map(l => l.id).join(' '))
        return { ttl: c.ttl - 1, delayMs: 0, cancelAfterDuplicates: Infinity, links: c.links }
      },
    })
    const alice = new Peer(1)
    const announceAt = (ms: number, ttl: number): Uint8Array => {
      const payload = encodeAnnounce({ nickname: 'p1', noisePublicKey: alice.noise, signingPublicKey: alice.signing, neighbors: [], capabilities: null, geohash: null, unknown: [] })
      return encodePacket(alice.packet(MessageType.announce, payload, { ttl, timestamp: BigInt(NOW + ms) }))
    }
    links[0]!.deliver(announceAt(0, 5))
    links[1]!.deliver(announceAt(0, 7)) // a better copy of the relayed announce
    clock.advance(10_000)
    router.addLink(new FakeLink('l3'))
    links[0]!.deliver(announceAt(30_000, 7))
    links[0]!.deliver(alice.message('not an announce', { ttl: 5 }))
    expect(gaps).toEqual([Infinity, Infinity, 30_000, Infinity])
    // Only a link that came up since the last relay counts as fresh for a governed announce.
    expect(fresh).toEqual(['l1 l2', 'l0 l2', 'l3', 'l1 l2 l3'])
  })

  test('router — the policy is told which links lead towards peers that appeared in the last NEWCOMER_WINDOW_MS', () => {
    const towards: string[] = []
    const { links, clock, router } = setup({
      name: 'spy',
      decide: c => {
        if (c.type === MessageType.announce) towards.push(c.towardsNewcomers.map(l => l.id).join(' '))
        return { ttl: c.ttl - 1, delayMs: 0, cancelAfterDuplicates: Infinity, links: c.links }
      },
    })
    const [alice, bob] = [new Peer(1), new Peer(2)]
    const bobAt = (ms: number): Uint8Array => {
      const payload = encodeAnnounce({ nickname: 'p2', noisePublicKey: bob.noise, signingPublicKey: bob.signing, neighbors: [], capabilities: null, geohash: null, unknown: [] })
      return encodePacket(bob.packet(MessageType.announce, payload, { ttl: 5, timestamp: BigInt(NOW + ms) }))
    }
    links[1]!.deliver(bobAt(0)) // Bob appears here through l1
    links[0]!.deliver(alice.announce(5)) // and Alice through l0
    clock.advance(1_000)
    links[2]!.deliver(bobAt(30_000)) // governed: both newcomers' links
    clock.advance(NEWCOMER_WINDOW_MS)
    router.addLink(new FakeLink('l3'))
    links[2]!.deliver(bobAt(40_000)) // both arrived over a window ago: only the link up since Bob's last relay
    expect(towards).toEqual(['l0 l2', 'l1 l2', 'l0 l1', 'l3'])
  })

  test('router — a link that takes a closed link\'s place is not taken to hold the copies the closed one sent', () => {
    const { links, clock, router } = setup(waiting(), 3)
    const frame = new Peer(1).message('x', { ttl: 6 })
    links[2]!.deliver(frame)
    links[2]!.close()
    const newcomer = new FakeLink('l3')
    router.addLink(newcomer)
    clock.advance(50)
    // A better copy re-runs the relay decision; the newcomer never sent us anything, so it gets the copy.
    links[0]!.deliver(withTtl(frame, 7))
    clock.advance(50)
    expect(messagesOn(newcomer)).toEqual([withTtl(frame, 6)])
    expect(messagesOn(links[1]!)).toEqual([withTtl(frame, 5), withTtl(frame, 6)])
  })

  test('router — a waiting relay whose every link sent us a copy counts as cancelled', () => {
    const { links, clock, counters } = setup(waiting(), 3)
    const frame = new Peer(1).message('x', { ttl: 5 })
    for (const l of links) l.deliver(frame)
    clock.advance(50)
    expect(links.map(l => messagesOn(l).length)).toEqual([0, 0, 0])
    expect(counters.relayed).toBe(0)
    expect(counters.relaysCancelled).toBe(1)
  })

  test('router — a copy with more TTL raises the waiting relay\'s TTL byte, and delivers nothing', () => {
    const { links, clock, messages } = setup(waiting(), 3)
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    const frame = alice.message('up', { ttl: 3 })
    links[0]!.deliver(frame)
    links[1]!.deliver(withTtl(frame, 6))
    clock.advance(50)
    expect(messagesOn(links[2]!)).toEqual([withTtl(frame, 5)])
    expect(messagesOn(links[1]!)).toEqual([]) // it sent us the better copy
    expect(messages()).toEqual(['up'])
  })

  test('router — a copy with more TTL after the relay left is relayed again, except to neighbours holding as good a copy', () => {
    const { links, counters, messages } = setup(floodPolicy, 4)
    const alice = new Peer(1)
    links[3]!.deliver(alice.announce())
    const frame = alice.message('again', { ttl: 3 })
    links[0]!.deliver(frame)
    expect(links.map(l => messagesOn(l).length)).toEqual([0, 1, 1, 1])
    links[1]!.deliver(withTtl(frame, 7))
    expect(messagesOn(links[2]!)).toEqual([withTtl(frame, 2), withTtl(frame, 6)])
    expect(messagesOn(links[3]!)).toEqual([withTtl(frame, 2), withTtl(frame, 6)])
    expect(messagesOn(links[0]!)).toEqual([withTtl(frame, 6)]) // it sent us TTL 3: ours is better
    expect(messagesOn(links[1]!)).toEqual([withTtl(frame, 2)]) // the better copy came from there
    links[2]!.deliver(withTtl(frame, 7)) // not higher than the best: nothing more
    links[3]!.deliver(withTtl(frame, 5))
    expect(messagesOn(links[3]!).length).toBe(2)
    expect(messages()).toEqual(['again'])
    expect(counters.duplicates).toBe(3)
  })

  test('router — a packet first heard at TTL 1 (never relayed) is relayed when a copy with more TTL comes', () => {
    const { links } = setup(floodPolicy, 3)
    const frame = new Peer(1).message('edge', { ttl: 1 })
    links[0]!.deliver(frame)
    expect(links.map(l => messagesOn(l).length)).toEqual([0, 0, 0])
    links[1]!.deliver(withTtl(frame, 4))
    expect(messagesOn(links[2]!)).toEqual([withTtl(frame, 3)])
    expect(messagesOn(links[0]!)).toEqual([withTtl(frame, 3)])
    expect(messagesOn(links[1]!)).toEqual([])
  })

  test('router — a waiting relay skips a neighbour whose copy was as good as ours, not one whose copy was poorer', () => {
    const { links, clock } = setup(waiting(), 4)
    const frame = new Peer(1).message('x', { ttl: 6 })
    links[0]!.deliver(frame) // we will relay TTL 5
    links[1]!.deliver(withTtl(frame, 4)) // it held ≥ 5: skipped
    links[2]!.deliver(withTtl(frame, 2)) // it held ≥ 3: ours is better
    clock.advance(50)
    expect(links.map(l => messagesOn(l).map(f => f[2]))).toEqual([[], [], [5], [5]])
  })

  test('router — a relay waiting on a full link is withdrawn when that neighbour sends us as good a copy, kept for a poorer one', () => {
    const { links, counters } = setup(floodPolicy, 4)
    links[2]!.full = true
    links[3]!.full = true
    const frame = new Peer(1).message('x', { ttl: 6 })
    links[0]!.deliver(frame) // relayed at TTL 5: l1 takes it, l2 and l3 queue it
    links[2]!.deliver(withTtl(frame, 4)) // l2's neighbour held ≥ 5
    links[3]!.deliver(withTtl(frame, 2)) // l3's neighbour held only 3
    links[2]!.unblock()
    links[3]!.unblock()
    expect(links.map(l => messagesOn(l).map(f => f[2]))).toEqual([[], [5], [], [5]])
    expect(counters.withdrawn).toBe(1)
  })

  test('router — relays of one packet are bounded by MAX_TTL_UPGRADES + 1 however its copies arrive', () => {
    const { links } = setup(floodPolicy, 9)
    const frame = new Peer(1).message('bound', { ttl: 1 })
    for (let ttl = 1; ttl <= 7; ttl++) links[ttl - 1]!.deliver(withTtl(frame, ttl))
    for (let ttl = 7; ttl >= 1; ttl--) links[7]!.deliver(withTtl(frame, ttl))
    expect(messagesOn(links[8]!).map(f => f[2])).toEqual([1, 2, 3, 4, 5, 6])
    expect(messagesOn(links[8]!).length).toBeLessThanOrEqual(MAX_TTL_UPGRADES + 1)
  })

  test('router — a forged copy with more TTL from a pinned sender is not relayed, and does not stop the genuine copies after it', () => {
    const { links, messages } = setup(floodPolicy, 3)
    const alice = new Peer(1)
    links[2]!.deliver(alice.announce())
    const genuine = alice.packet(MessageType.message, new TextEncoder().encode('real'), { ttl: 2 })
    links[0]!.deliver(encodePacket(genuine))
    const sentBefore = messagesOn(links[2]!).length
    links[1]!.deliver(encodePacket({ ...genuine, ttl: 7, signature: new Uint8Array(64).fill(3) }))
    expect(messagesOn(links[2]!).length).toBe(sentBefore)
    expect(messages()).toEqual(['real'])
    // The forged TTL was not recorded: a genuine copy with less than it, more than before, still goes out.
    links[1]!.deliver(encodePacket({ ...genuine, ttl: 6 }))
    expect(messagesOn(links[2]!).map(f => f[2]).slice(sentBefore)).toEqual([5])
  })

  test('router — a message that arrives before its sender\'s announce is delivered once the announce pins the key', () => {
    const { links, router, messages } = setup()
    const alice = new Peer(1)
    const frame = alice.message('first')
    links[0]!.deliver(frame)
    expect(messages()).toEqual([])
    expect(router.heldMessages).toBe(1)
    links[0]!.deliver(alice.announce())
    expect(messages()).toEqual(['first'])
    expect(router.heldMessages).toBe(0)
    // Nothing twice: later copies, and a later announce, deliver nothing more.
    links[1]!.deliver(frame)
    links[2]!.deliver(withTtl(frame, 7))
    links[1]!.deliver(alice.announce(6))
    expect(messages()).toEqual(['first'])
  })

  test('router — a forged held message is never delivered, the genuine one is', () => {
    const { links, counters, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(encodePacket(alice.packet(MessageType.message, new TextEncoder().encode('forged'), { signature: new Uint8Array(64).fill(7) })))
    links[0]!.deliver(alice.message('genuine'))
    links[0]!.deliver(alice.announce())
    expect(messages()).toEqual(['genuine'])
    expect(counters.snapshot().dropped.badSignature).toBe(1)
  })

  test('router — held messages expire after HOLD_MS, with or without the maintenance sweep', () => {
    for (const sweep of [false, true]) {
      const { links, router, clock, messages } = setup()
      const alice = new Peer(1)
      links[0]!.deliver(alice.message('late'))
      clock.advance(HOLD_MS)
      if (sweep) {
        router.maintain(clock.now())
        expect(router.heldMessages).toBe(0)
      }
      links[0]!.deliver(alice.announce())
      expect(messages()).toEqual([])
    }
  })

  test('router — holding is bounded per sender and in total, the oldest evicted first', () => {
    const { links, router, messages } = setup()
    const alice = new Peer(1)
    const texts = Array.from({ length: HOLD_MAX_PER_SENDER + 2 }, (_, i) => `a${i}`)
    for (const t of texts) links[0]!.deliver(alice.message(t))
    expect(router.heldMessages).toBe(HOLD_MAX_PER_SENDER)
    links[0]!.deliver(alice.announce())
    expect(messages()).toEqual(texts.slice(2))

    const others = Array.from({ length: HOLD_MAX_TOTAL + 1 }, (_, i) => new Peer(10 + i))
    for (const p of others) links[0]!.deliver(p.message(`from ${p.n}`))
    expect(router.heldMessages).toBe(HOLD_MAX_TOTAL)
    links[0]!.deliver(others[0]!.announce()) // the oldest, evicted
    links[0]!.deliver(others[HOLD_MAX_TOTAL]!.announce())
    expect(messages().slice(texts.length - 2)).toEqual([`from ${10 + HOLD_MAX_TOTAL}`])
  })

  test.each<[string, (s: ReturnType<typeof setup>) => FakeLink]>([
    ['after stop', s => { s.router.stop(); return new FakeLink('late') }],
    ['when the link is closed already', () => { const l = new FakeLink('gone'); l.closed = true; return l }],
    ['when the link was added before', s => s.links[0]!],
  ])('router — addLink does nothing %s', (_, make) => {
    const s = setup(floodPolicy, 1)
    const link = make(s)
    const before = [...s.router.links]
    s.linkEvents.length = 0
    s.router.addLink(link)
    expect(s.router.links).toEqual(before)
    expect(s.linkEvents).toEqual([])
  })

  test('router — a link that closes while it is attached is forgotten and reported down, never up', () => {
    const s = setup(floodPolicy, 1)
    const link = new FakeLink('flaky')
    link.attach = h => { link.handlers = h; link.closed = true }
    s.router.addLink(link)
    expect(s.router.links).toEqual([s.links[0]])
    expect(s.linkEvents).toEqual(['up l0', 'down flaky: closed during attach'])
  })

  test('router — a link closed twice is reported down once', () => {
    const s = setup(floodPolicy, 2)
    s.links[1]!.close()
    s.links[1]!.close()
    expect(s.linkEvents).toEqual(['up l0', 'up l1', 'down l1: closed'])
  })

  // Each way of letting go of bob's old link must leave alone his binding to the new one.
  test.each<[string, (oldLink: FakeLink, now: number) => void]>([
    ['the old link closes', oldLink => oldLink.close()],
    ['a new neighbour\'s direct announce takes the old link over', (oldLink, now) => oldLink.deliver(new Peer(3).announce(7, false, { timestamp: BigInt(now) }))],
  ])('router — after a peer moved to a new link, %s: traffic for the peer keeps to the new one', (_, letGo) => {
    const { links, clock } = setup(floodPolicy, 4)
    const [alice, bob] = [new Peer(1), new Peer(2)]
    links[1]!.deliver(bob.announce())
    clock.advance(LINK_REBIND_COOLDOWN_MS)
    links[2]!.deliver(bob.announce(7, false, { timestamp: BigInt(clock.now()) })) // bob's next direct announce comes over l2
    letGo(links[1]!, clock.now())
    links[0]!.deliver(encodePacket(alice.packet(MessageType.noiseEncrypted, Uint8Array.of(1), { recipientId: bob.id, signature: null, timestamp: BigInt(clock.now()) })))
    expect(links.map(l => l.sent.filter(f => f[1] === MessageType.noiseEncrypted).length)).toEqual([0, 0, 1, 0])
  })

  test('router — linkPeer names a bound link\'s peer while it is present, and nothing for other links', () => {
    const { links, router, clock } = setup(floodPolicy, 2)
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    expect(router.linkPeer(links[0]!)).toBe(Buffer.from(alice.id).toString('hex'))
    expect(router.linkPeer(links[1]!)).toBeNull()
    expect(router.linkPeer(new FakeLink('never added'))).toBeNull()
    clock.advance(1)
    links[0]!.deliver(encodePacket(alice.packet(MessageType.leave, new Uint8Array(0), { timestamp: BigInt(clock.now()) })))
    expect(router.linkPeer(links[0]!)).toBeNull()
  })

  test('router — after stop there are no links, and originate and sendFrame send nothing and count nothing', () => {
    const { links, router, me, counters } = setup(floodPolicy, 2)
    router.stop()
    expect(router.links).toEqual([])
    router.originate(me.packet(MessageType.message, Uint8Array.of(1)), links)
    router.sendFrame(links[0]!, new Peer(1).message('x'))
    expect(links.flatMap(l => l.sent)).toEqual([])
    expect([counters.originated, counters.snapshot().framesOut]).toEqual([0, 0])
  })

  test('router — originate pads Noise frames and leaves others as encoded', () => {
    const { links, router, me } = setup(floodPolicy, 1)
    const noise = me.packet(MessageType.noiseEncrypted, new Uint8Array(10), { recipientId: new Peer(1).id, signature: null })
    const plain = me.packet(MessageType.message, new Uint8Array(10))
    router.originate(noise)
    router.originate(plain)
    const [sentNoise, sentPlain] = links[0]!.sent as [Uint8Array, Uint8Array]
    expect(sentNoise).toEqual(padFrame(encodePacket(noise)))
    expect(sentNoise.length).toBeGreaterThan(encodePacket(noise).length)
    expect(sentPlain).toEqual(encodePacket(plain))
  })

  test('router — only a REQUEST_SYNC we originate opens a link\'s window for answers, and a closed link among the targets is passed over', () => {
    const { clock, router, links, counters, me } = setup(floodPolicy, 2)
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    const closed = links[1]!
    closed.close()
    router.originate(me.packet(MessageType.message, Uint8Array.of(1)), [links[0]!, closed])
    links[0]!.deliver(alice.message('old', { timestamp: BigInt(clock.now() - 600_000), isRSR: true }))
    expect(counters.snapshot().dropped.stale).toBe(1)
    router.originate(me.packet(MessageType.requestSync, Uint8Array.of(1), { ttl: 0, recipientId: alice.id }), [closed, links[0]!])
    links[0]!.deliver(alice.message('older', { timestamp: BigInt(clock.now() - 700_000), isRSR: true }))
    expect(counters.snapshot().dropped.stale).toBe(1)
  })

  test('router — maintain counts each reassembly it expires once, as a dropped fragment', () => {
    const { links, router, clock, counters } = setup(floodPolicy, 2)
    links[0]!.deliver(new Peer(1).fragment(MessageType.message, {}, 0))
    links[0]!.deliver(new Peer(2).fragment(MessageType.message, {}, 0))
    router.maintain(clock.now())
    expect(counters.snapshot().dropped.fragment).toBe(0)
    clock.advance(REASSEMBLY_TIMEOUT_MS + 1)
    router.maintain(clock.now())
    expect(counters.snapshot().dropped.fragment).toBe(2)
    router.maintain(clock.now())
    expect(counters.snapshot().dropped.fragment).toBe(2)
  })

  test('router — a router made without config works on the defaults', () => {
    const clock = new ManualClock(NOW)
    const counters = new Counters()
    const handlers: RouterHandlers = { onPeerAppeared: () => {}, onPeerLeft: () => {}, onPublicMessage: () => {}, onPacket: () => {}, onLinkUp: () => {}, onLinkDown: () => {} }
    const router = new Router({ localId: new Peer(0).id, clock, random: new SeededRandom(1), crypto: fakeCrypto, logger: pino({ level: 'silent' }), policy: floodPolicy, peers: new PeerTable(), counters, security, handlers })
    const [a, b] = [new FakeLink('a'), new FakeLink('b')]
    router.addLink(a)
    router.addLink(b)
    a.deliver(new Peer(1).message('x'))
    expect(b.sent.length).toBe(1)
  })

  test('router — frames arriving after stop are ignored', () => {
    const { links, router, counters, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    router.stop()
    links[0]!.deliver(alice.message('late'))
    expect([messages(), counters.received, links[1]!.sent.filter(f => f[1] === MessageType.message)]).toEqual([[], 1, []])
  })

  test('router — a REQUEST_SYNC of any age is handed up: freshness does not apply to it', () => {
    const { links, events, counters } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    links[0]!.deliver(encodePacket(alice.packet(MessageType.requestSync, Uint8Array.of(1), { ttl: 0, timestamp: BigInt(NOW - 600_000) })))
    expect(events.filter(e => e[0] === 'packet')).toEqual([['packet', MessageType.requestSync]])
    expect(counters.snapshot().dropped.stale ?? 0).toBe(0)
  })

  test.each([
    ['a directed message', (a: Peer) => a.message('to bob', { recipientId: new Peer(5).id }), 1],
    ['a signed file transfer', (a: Peer) => encodePacket(a.packet(MessageType.fileTransfer, Uint8Array.of(1, 2))), 0],
  ])('router — from an unknown sender, %s is relayed but not held', (_, make, unverifiable) => {
    const { links, router, counters } = setup()
    links[0]!.deliver(make(new Peer(1)))
    expect([router.heldMessages, counters.unverifiable, links[1]!.sent.length]).toEqual([0, unverifiable, 1])
  })

  test('router — a packet relayed blind is handed up when a copy verifies after its sender is known; a forged copy is not', () => {
    const { links, events } = setup()
    const alice = new Peer(1)
    const genuine = alice.packet(MessageType.fileTransfer, Uint8Array.of(1, 2, 3))
    links[0]!.deliver(encodePacket(genuine))
    expect(events).toEqual([])
    links[1]!.deliver(alice.announce())
    links[2]!.deliver(encodePacket({ ...genuine, signature: new Uint8Array(64).fill(4) }))
    expect(events).toEqual([['appeared', 'p1']])
    links[2]!.deliver(encodePacket(genuine))
    links[1]!.deliver(encodePacket(genuine))
    expect(events).toEqual([['appeared', 'p1'], ['packet', MessageType.fileTransfer]])
  })

  test.each([
    ['another peer', new Peer(5).id, []],
    ['everyone (the broadcast ID)', new Uint8Array(8).fill(0xff), ['hello']],
  ])('router — a message addressed to %s, verified only on a later copy, is shown as a public message accordingly', (_, recipientId, shown) => {
    const { links, messages } = setup()
    const alice = new Peer(1)
    const frame = alice.message('hello', { recipientId })
    links[0]!.deliver(frame)
    links[1]!.deliver(alice.announce())
    links[2]!.deliver(frame)
    expect(messages()).toEqual(shown)
  })

  test('router — a message addressed to another peer is relayed, never shown', () => {
    const { links, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    links[0]!.deliver(alice.message('for bob', { recipientId: new Peer(5).id }))
    expect([messages(), messagesOn(links[1]!).length]).toEqual([[], 1])
  })

  test('router — a waiting relay is cancelled by exactly its threshold of duplicates', () => {
    for (const threshold of [1, 3]) {
      const { links, clock, counters } = setup(waiting(threshold), 5)
      const frame = new Peer(1).message('t')
      links[0]!.deliver(frame)
      for (let d = 1; d < threshold; d++) links[d]!.deliver(frame)
      expect(counters.relaysCancelled).toBe(0)
      links[threshold]!.deliver(frame)
      clock.advance(50)
      expect([counters.relaysCancelled, counters.relayed]).toEqual([1, 0])
    }
  })

  test('router — TTL upgrades stop after MAX_TTL_UPGRADES, whether or not they were relayed', () => {
    const { links } = setup(floodPolicy, 9)
    const frame = new Peer(1).message('bound', { ttl: 0 })
    // Upgrades to 1 (too low to relay) … 6 are the six allowed; the copy at TTL 7 is one too many.
    for (let ttl = 0; ttl <= 7; ttl++) links[ttl]!.deliver(withTtl(frame, ttl))
    expect(messagesOn(links[8]!).map(f => f[2])).toEqual([1, 2, 3, 4, 5])
  })

  test('router — a copy raised from TTL 0 to 1 is still too low to relay', () => {
    const { links } = setup(floodPolicy, 3)
    const frame = new Peer(1).message('low', { ttl: 0 })
    links[0]!.deliver(frame)
    links[1]!.deliver(withTtl(frame, 1))
    expect(links.map(l => messagesOn(l).length)).toEqual([0, 0, 0])
  })

  test('router — an announce copy with more TTL is relayed again only if it is genuine', () => {
    const { links } = setup(floodPolicy, 3)
    const alice = new Peer(1)
    const low = decodePacket(alice.announce(3))
    links[0]!.deliver(encodePacket(low))
    const announcesOn = (l: FakeLink): number[] => l.sent.filter(f => f[1] === MessageType.announce).map(f => f[2]!)
    expect(announcesOn(links[2]!)).toEqual([2])
    links[1]!.deliver(encodePacket({ ...low, ttl: 7, signature: new Uint8Array(64).fill(8) }))
    expect(announcesOn(links[2]!)).toEqual([2])
    links[1]!.deliver(encodePacket({ ...low, ttl: 6 }))
    expect(announcesOn(links[2]!)).toEqual([2, 5])
  })

  test('router — unsigned types need no verification to be relayed again with more TTL, even from a known sender', () => {
    const { links } = setup(floodPolicy, 3)
    const alice = new Peer(1)
    links[2]!.deliver(alice.announce())
    links[2]!.sent = []
    const frame = encodePacket(alice.packet(0x7e, Uint8Array.of(1), { ttl: 2, signature: null }))
    links[0]!.deliver(frame)
    links[1]!.deliver(withTtl(frame, 6))
    expect(links[2]!.sent.map(f => f[2])).toEqual([1, 5])
  })

  test('router — held messages expire one by one: a later one outlives an earlier one', () => {
    const { links, router, clock, messages } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.message('first', { timestamp: BigInt(clock.now()) }))
    clock.advance(10_000)
    links[0]!.deliver(alice.message('second', { timestamp: BigInt(clock.now()) }))
    clock.advance(HOLD_MS - 10_000)
    router.maintain(clock.now())
    expect(router.heldMessages).toBe(1)
    links[1]!.deliver(alice.announce())
    expect(messages()).toEqual(['second'])
  })

  test.each([
    [LINK_REBIND_COOLDOWN_MS - 1, 'alice'],
    [LINK_REBIND_COOLDOWN_MS, 'bob'],
  ])('router — a link bound to one peer is rebound by another\'s direct announce %i ms later: bound to %s', (after, holder) => {
    const { links, router, clock } = setup()
    const [alice, bob] = [new Peer(1), new Peer(2)]
    links[0]!.deliver(alice.announce())
    clock.advance(after)
    links[0]!.deliver(bob.announce())
    expect(router.linkPeer(links[0]!)).toBe(Buffer.from((holder === 'alice' ? alice : bob).id).toString('hex'))
  })

  test('router — a leave from a peer already gone notifies nothing', () => {
    const { links, events } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    links[0]!.deliver(encodePacket(alice.packet(MessageType.leave, new Uint8Array(0))))
    links[0]!.deliver(encodePacket(alice.packet(MessageType.leave, new Uint8Array(0), { timestamp: BigInt(NOW + 1) })))
    expect(events.filter(e => e[0] === 'left')).toEqual([['left', 'p1:leave']])
  })

  test('router — a fragment first heard at TTL 1 is relayed when a copy with more TTL comes', () => {
    const { links } = setup(floodPolicy, 3)
    const frame = new Peer(1).fragment(MessageType.message, { ttl: 1 })
    links[0]!.deliver(frame)
    links[1]!.deliver(withTtl(frame, 5))
    expect(links[2]!.sent.map(f => f[2])).toEqual([4])
  })

  test('router — fragments addressed to us are not relayed', () => {
    const { links, me } = setup(floodPolicy, 3)
    links[0]!.deliver(new Peer(1).fragment(MessageType.noiseEncrypted, { recipientId: me.id }))
    expect(links.map(l => l.sent.length)).toEqual([0, 0, 0])
  })

  test('router — fragments addressed to another peer are relayed, never reassembled here', () => {
    const { links, router } = setup(floodPolicy, 2)
    links[0]!.deliver(new Peer(1).fragment(MessageType.noiseEncrypted, { recipientId: new Peer(5).id }))
    expect(links[1]!.sent.filter(f => f[1] === MessageType.fragment).length).toBe(1)
    expect(router.reassembly.openStreams).toBe(0)
  })

  test('router — an announce whose keys differ from the pinned ones is dropped, unrelayed, even when it derives the same ID', () => {
    // The peer ID is a hash of the Noise key, and that key is public: anyone can put it in an announce
    // signed with a signing key of their own. Only the pin stops them.
    const { links, counters, events, peers } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    const impostor = new Peer(1)
    Object.assign(impostor, { signing: new Uint8Array(32).fill(77) })
    const forged = decodePacket(impostor.announce())
    forged.timestamp += 1n
    forged.signature = fakeSign(impostor.signing, forged)
    expect(security.acceptAnnounce(forged)).toMatchObject({ nickname: 'p1' })
    links[1]!.deliver(encodePacket(forged))
    expect(counters.snapshot().dropped.keyMismatch).toBe(1)
    expect(links[2]!.sent.filter(f => f[1] === MessageType.announce).length).toBe(1) // alice's own only
    expect(peers.signingKey(peerKey(alice.id))).toEqual(alice.signing)
    expect(events).toEqual([['appeared', 'p1']])
  })

  test.each<[string, 'fragment' | 'reassembly']>([
    ['a fragment whose fragment header is cut short', 'fragment'],
    ['a stream whose reassembled bytes are no packet', 'reassembly'],
  ])('router — %s is counted and dropped', (_, reason) => {
    const { links, counters } = setup()
    const sender = new Peer(1)
    const frames = reason === 'fragment'
      ? [encodePacket(sender.packet(MessageType.fragment, Uint8Array.of(1, 2, 3), { signature: null }))]
      : [0, 1].map(index => sender.fragment(MessageType.message, {}, index)) // 5 5 5 5 5 5: version 5
    for (const frame of frames) links[0]!.deliver(frame)
    expect(counters.snapshot().dropped[reason]).toBe(1)
  })

  test('router — a REQUEST_SYNC on a link bound to nobody is handed up', () => {
    const { links, events } = setup()
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce(6)) // known, but not bound: the announce was relayed
    links[0]!.deliver(encodePacket(alice.packet(MessageType.requestSync, Uint8Array.of(1), { ttl: 0 })))
    expect(events.filter(e => e[0] === 'packet')).toEqual([['packet', MessageType.requestSync]])
  })

  test('router — a relayed announce (TTL 6) binds no link, and rebinds none', () => {
    const { links, router, clock } = setup()
    const [alice, bob] = [new Peer(1), new Peer(2)]
    links[0]!.deliver(bob.announce(6))
    expect(router.linkPeer(links[0]!)).toBeNull()
    links[1]!.deliver(alice.announce())
    clock.advance(LINK_REBIND_COOLDOWN_MS)
    links[1]!.deliver(new Peer(3).announce(6))
    expect(router.linkPeer(links[1]!)).toBe(Buffer.from(alice.id).toString('hex'))
  })

  test('router — a peer whose link was rebound to another is no longer reached through it', () => {
    const { links, clock } = setup()
    const [alice, bob, carol] = [new Peer(1), new Peer(2), new Peer(3)]
    links[1]!.deliver(bob.announce())
    clock.advance(LINK_REBIND_COOLDOWN_MS)
    links[1]!.deliver(carol.announce()) // l1 is carol's now
    links[0]!.deliver(encodePacket(alice.packet(MessageType.noiseEncrypted, Uint8Array.of(1), { recipientId: bob.id, signature: null, timestamp: BigInt(clock.now()) })))
    expect(links.map(l => l.sent.filter(f => f[1] === MessageType.noiseEncrypted).length)).toEqual([0, 1, 1])
  })

  test.each([
    ['declines', null],
    ['offers less TTL than the waiting relay has', 1],
  ])('router — a waiting relay keeps its TTL when, for a better copy, the policy %s', (_, second) => {
    let calls = 0
    const policy: RelayPolicy = { name: 'fickle', decide: c => ++calls === 1 ? { ttl: c.ttl - 1, delayMs: 50, cancelAfterDuplicates: Infinity, links: c.links } : second === null ? null : { ttl: second, delayMs: 0, cancelAfterDuplicates: Infinity, links: c.links } }
    const { links, clock } = setup(policy, 3)
    const frame = new Peer(1).message('x', { ttl: 4 })
    links[0]!.deliver(frame)
    links[1]!.deliver(withTtl(frame, 6))
    clock.advance(50)
    expect([calls, messagesOn(links[2]!).map(f => f[2])]).toEqual([2, [3]])
  })

  test('router — a copy with more TTL of a packet addressed to us is not relayed', () => {
    const { links, me } = setup(floodPolicy, 3)
    const frame = encodePacket(new Peer(1).packet(MessageType.noiseEncrypted, Uint8Array.of(1), { recipientId: me.id, signature: null, ttl: 3 }))
    links[0]!.deliver(frame)
    links[1]!.deliver(withTtl(frame, 7))
    expect(links.map(l => l.sent.length)).toEqual([0, 0, 0])
  })

  test('router — a copy with more TTL of traffic for a neighbour goes only down its link', () => {
    const { links } = setup(floodPolicy, 4)
    const bob = new Peer(2)
    links[3]!.deliver(bob.announce())
    const frame = encodePacket(new Peer(1).packet(MessageType.noiseEncrypted, Uint8Array.of(1), { recipientId: bob.id, signature: null, ttl: 1 }))
    links[0]!.deliver(frame) // TTL 1: not relayed
    links[1]!.deliver(withTtl(frame, 5))
    expect(links.map(l => l.sent.filter(f => f[1] === MessageType.noiseEncrypted).map(f => f[2]))).toEqual([[], [], [], [4]])
  })

  test.each([[0], [5]])('router — a policy that returns TTL %i for a packet at TTL 5 is a programmer error, named', (ttl) => {
    const broken: RelayPolicy = { name: 'broken', decide: c => ({ ttl, delayMs: 0, cancelAfterDuplicates: Infinity, links: c.links }) }
    const { links } = setup(broken)
    expect(() => links[0]!.deliver(new Peer(1).message('x', { ttl: 5 }))).toThrow(`policy broken returned TTL ${ttl} for a packet at TTL 5`)
  })

  test('router — the policy sees a fragment\'s carried type, and how long ago a peer last appeared', () => {
    const seen: Array<[number, number, number]> = []
    const recording: RelayPolicy = { name: 'recording', decide: c => { seen.push([c.type, c.carriedType, c.peerArrivalAgeMs]); return floodPolicy.decide(c) } }
    const { links, clock } = setup(recording)
    const alice = new Peer(1)
    links[0]!.deliver(alice.announce())
    clock.advance(1234)
    links[0]!.deliver(alice.fragment(MessageType.fileTransfer, { timestamp: BigInt(clock.now()) }))
    expect(seen.slice(1)).toEqual([[MessageType.fragment, MessageType.fileTransfer, 1234]])
  })

  test('router — a neighbour that sent us a copy at TTL 0 is skipped by a relay at TTL 1', () => {
    const { links, clock } = setup(waiting(), 3)
    const frame = new Peer(1).message('x', { ttl: 2 })
    links[0]!.deliver(frame) // relayed at TTL 1
    links[1]!.deliver(withTtl(frame, 0)) // it held 1 before it sent us 0
    clock.advance(50)
    expect(links.map(l => messagesOn(l).map(f => f[2]))).toEqual([[], [], [1]])
  })

  test('router — traffic for a neighbour that comes in over that neighbour\'s own link goes to the others', () => {
    const { links } = setup()
    const bob = new Peer(2)
    links[1]!.deliver(bob.announce())
    links[1]!.deliver(encodePacket(new Peer(1).packet(MessageType.noiseEncrypted, Uint8Array.of(1), { recipientId: bob.id, signature: null })))
    expect(links.map(l => l.sent.filter(f => f[1] === MessageType.noiseEncrypted).length)).toEqual([1, 0, 1])
  })

  test('router — what no fragmenting can fit is counted tooLarge, and the link is spared', () => {
    const { router, counters, me } = setup(floodPolicy, 0)
    const tiny = new FakeLink('tiny', 40)
    router.addLink(tiny)
    router.originate(me.packet(MessageType.message, new Uint8Array(20_000), { signature: null }))
    expect([counters.snapshot().dropped.tooLarge, tiny.sent.length]).toEqual([1, 0])
  })

  test('router — reports the reassembly it holds, and fragment relays among pending relays', () => {
    const { links, router } = setup(waiting())
    links[0]!.deliver(new Peer(1).fragment(MessageType.message))
    links[0]!.deliver(new Peer(1).message('whole'))
    expect([router.reassembly.openStreams, router.reassembly.storedBytes > 0, router.pendingRelays]).toEqual([1, true, 2])
  })

  describe('two-hop skip', () => {
    // We have neighbours X (l0), B (l1) and C (l2). X and B are neighbours of each other too, which we learn
    // from each relaying the other's announce to us at TTL 6. A message then comes from X.
    const skipping: RelayPolicy = { name: 'skipping', decide: c => ({ ttl: c.ttl - 1, delayMs: 0, cancelAfterDuplicates: Infinity, links: c.links, twoHopSkip: true }) }
    const x = new Peer(1)
    const b = new Peer(2)
    const c = new Peer(3)
    /** `xListsBAt`: the TTL at which X relays B's announce to us; `xListsBBy`: what of B's X relays (6 = a neighbour's). */
    interface Case { xRelaysNewcomer?: boolean, xFullFanout?: boolean, xListsB?: boolean, xListsBAt?: number, xListsBBy?: 'announce' | 'message', bListsX?: boolean, ageMs?: number, linkLostAgoMs?: number, policy?: RelayPolicy }
    function run ({ xRelaysNewcomer = false, xFullFanout = true, xListsB = true, xListsBAt = 6, xListsBBy = 'announce', bListsX = true, ageMs = TWO_HOP_STABLE_MS, linkLostAgoMs, policy = skipping }: Case) {
      const t = setup(policy, 4)
      const [l0, l1, l2, l3] = t.links as [FakeLink, FakeLink, FakeLink, FakeLink]
      l0.deliver(x.announce(7, xFullFanout))
      if (xRelaysNewcomer) l0.deliver(new Peer(8).announce(6, true))
      l1.deliver(b.announce(7, true))
      l2.deliver(c.announce(7, true))
      if (xListsB && xListsBBy === 'announce') l0.deliver(b.announce(xListsBAt, true))
      if (xListsB && xListsBBy === 'message') {
        const hello = b.message('hello from b')
        l1.deliver(hello)
        l0.deliver(withTtl(hello, xListsBAt))
      }
      if (bListsX) l1.deliver(x.announce(6, xFullFanout))
      if (linkLostAgoMs === undefined) t.clock.advance(ageMs)
      else {
        t.clock.advance(ageMs - linkLostAgoMs)
        l3.close()
        t.clock.advance(linkLostAgoMs)
      }
      for (const l of t.links) l.sent = []
      l0.deliver(new Peer(9).message('m', { ttl: 5, timestamp: BigInt(t.clock.now()) }))
      return { ...t, onB: messagesOn(l1).length, onC: messagesOn(l2).length }
    }

    test('router — a relay skips a neighbour that a full-fanout neighbour who sent us the copy also links to', () => {
      const { onB, onC, counters } = run({})
      expect([onB, onC]).toEqual([0, 1])
      expect(counters.twoHopSkips).toBe(1)
    })

    test.each<[string, Case]>([
      ['X does not announce full fanout (a phone)', { xFullFanout: false }],
      ['X is a phone that relays a full-fanout peer\'s announce', { xFullFanout: false, xRelaysNewcomer: true }],
      ['only X claims the edge', { bListsX: false }],
      ['only B claims the edge', { xListsB: false }],
      ['X relays B\'s announce at TTL 5 (B is further away)', { xListsBAt: 5 }],
      ['X relays B\'s message, not its announce, at TTL 6', { xListsBBy: 'message' }],
      ['the edge was last heard longer ago than NEIGHBOUR_MAX_AGE_MS', { ageMs: NEIGHBOUR_MAX_AGE_MS + 1 }],
      ['the policy does not ask for it', { policy: floodPolicy }],
      ['our links came up less than TWO_HOP_STABLE_MS ago', { ageMs: TWO_HOP_STABLE_MS - 1 }],
      ['one of our links went down less than TWO_HOP_STABLE_MS ago', { ageMs: 60_000, linkLostAgoMs: TWO_HOP_STABLE_MS - 1 }],
    ])('router — no two-hop skip when %s', (_, c) => {
      const { onB, onC, counters } = run(c)
      expect([onB, onC]).toEqual([1, 1])
      expect(counters.twoHopSkips).toBe(0)
    })

    // X's copy at TTL 4 gave B only 4, less than our 5: no skip. At 5 it gave B as much as ours would.
    test.each([[4, [5], 0], [5, [], 1]])('router — a full-fanout neighbour\'s copy at TTL %i against our relay at 5: B gets %j', (xTtl, onB, skips) => {
      const t = setup({ ...skipping, decide: ctx => ({ ...skipping.decide(ctx)!, delayMs: 50 }) }, 3)
      const [l0, l1, l2] = t.links as [FakeLink, FakeLink, FakeLink]
      l0.deliver(x.announce(7, true))
      l1.deliver(b.announce(7, true))
      l0.deliver(b.announce(6, true))
      l1.deliver(x.announce(6, true))
      t.clock.advance(TWO_HOP_STABLE_MS)
      for (const l of t.links) l.sent = []
      const frame = new Peer(9).message('m', { ttl: 6, timestamp: BigInt(t.clock.now()) })
      l2.deliver(frame) // we relay TTL 5
      l0.deliver(withTtl(frame, xTtl))
      t.clock.advance(50)
      expect([messagesOn(l1).map(f => f[2]), t.counters.twoHopSkips]).toEqual([onB, skips])
    })

    test('router — a neighbour rebound to another peer forgets the old one\'s neighbours', () => {
      const t = run({})
      const [l0, l1] = t.links as [FakeLink, FakeLink, FakeLink]
      // B's place on l1 is taken by D after the rebind cool-down. X claims D, but D never relays X's
      // announce: only B did, and what B told us went with B.
      t.clock.advance(60_000)
      const d = new Peer(4)
      l1.deliver(d.announce(7, true))
      l0.deliver(d.announce(6, true))
      for (const l of t.links) l.sent = []
      l0.deliver(new Peer(9).message('n', { ttl: 5, timestamp: BigInt(t.clock.now()) }))
      expect(messagesOn(l1).length).toBe(1)
    })
  })
})
