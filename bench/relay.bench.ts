// The relay hot path through the real Router (decode → freshness → dedup → verify? → policy → re-encode
// with the new TTL → queue → a null link), and fragmentation + reassembly throughput.
import pino from 'pino'
import type { Clock } from '../src/clock.js'
import { nodeCrypto } from '../src/crypto/node-provider.js'
import { generateIdentity } from '../src/crypto/identity.js'
import { signPacket, verifyPacket } from '../src/crypto/signing.js'
import type { Link, LinkHandlers } from '../src/mesh/link.js'
import { PeerTable, peerKey } from '../src/mesh/peers.js'
import { floodPolicy } from '../src/mesh/policy/flood.js'
import { Router, type PacketSecurity } from '../src/mesh/router.js'
import { Counters } from '../src/mesh/stats.js'
import { fragmentFrame } from '../src/mesh/fragmenter.js'
import { Reassembler } from '../src/mesh/reassembler.js'
import { decodeFragment } from '../src/wire/fragment.js'
import { decodePacket, encodePacket } from '../src/wire/packet.js'
import { MessageType, type Packet } from '../src/wire/packet-types.js'
import { SeededRandom } from '../src/prng.js'
import { measure, report } from './harness.js'

const NOW = 1_700_000_000_000
/** More distinct frames than the 1000-entry dedup cache holds, so every delivery is a new packet. */
const FRAMES = 4096

class NullLink implements Link {
  readonly info = {}
  readonly closed = false
  handlers!: LinkHandlers
  sent = 0
  constructor (readonly id: string, readonly mtu = 512) {}
  attach (h: LinkHandlers): void { this.handlers = h }
  send (): boolean { this.sent++; return true }
  close (): void {}
}

const clock: Clock = { now: () => NOW, setTimer: () => 0, clearTimer: () => {} }

function relayRate (verify: boolean): number {
  const crypto = nodeCrypto
  const sender = generateIdentity(crypto)
  const local = generateIdentity(crypto)
  const peers = new PeerTable()
  // With verification the sender is pinned, so each new packet is checked against its key; without, the
  // sender is unknown and the router relays blind (as the phones do).
  if (verify) peers.announce(sender.peerId, 'sender', sender, NOW)
  const security: PacketSecurity = {
    acceptAnnounce: () => 'unused',
    verify: (key, packet) => verifyPacket(crypto, key, packet),
  }
  const router = new Router({
    localId: local.peerId, clock, random: new SeededRandom(1), crypto, logger: pino({ level: 'silent' }),
    policy: floodPolicy, peers, counters: new Counters(), security,
    handlers: { onPeerAppeared () {}, onPeerLeft () {}, onPublicMessage () {}, onPacket () {}, onLinkUp () {}, onLinkDown () {} },
  })
  const ingress = new NullLink('in')
  const egress = new NullLink('out')
  router.addLink(ingress)
  router.addLink(egress)
  const frames: Uint8Array[] = []
  for (let i = 0; i < FRAMES; i++) {
    const packet: Packet = {
      version: 1, type: MessageType.message, ttl: 7, timestamp: BigInt(NOW - i), senderId: sender.peerId, recipientId: null,
      route: [], payload: new TextEncoder().encode(`relay bench message number ${i}, a typical short chat line`),
      isCompressed: false, isRSR: false, signature: null,
    }
    frames.push(encodePacket(signPacket(crypto, sender, packet)))
  }
  let i = 0
  const { opsPerSecond } = measure(() => { ingress.handlers.onFrame(frames[i++ % FRAMES]!) }, 2)
  if (egress.sent === 0 || (verify && peers.pinned(peerKey(sender.peerId)) === undefined)) throw new Error('bench relayed nothing')
  return opsPerSecond
}

function fragmentRate (): number {
  const crypto = nodeCrypto
  const sender = generateIdentity(crypto)
  const payload = new Uint8Array(60_000).map((_, i) => i & 0xff)
  const packet: Packet = { version: 1, type: MessageType.message, ttl: 7, timestamp: BigInt(NOW), senderId: sender.peerId, recipientId: null, route: [], payload, isCompressed: false, isRSR: false, signature: null }
  const frame = encodePacket(packet)
  const random = new SeededRandom(2)
  const { opsPerSecond } = measure(() => {
    const fragments = fragmentFrame(frame, packet, 512, random.bytes(8))!
    const r = new Reassembler()
    let out: unknown = null
    for (const f of fragments) out = r.add('s', decodeFragment(decodePacket(f).payload), NOW)
    if (!(out instanceof Uint8Array) || out.length !== frame.length) throw new Error('reassembly failed')
  }, 2)
  return (opsPerSecond * frame.length) / 1e6
}

export function run (): void {
  report('relay hot path (no verify)', relayRate(false), 'packets/s')
  report('relay hot path (verify)', relayRate(true), 'packets/s')
  report('fragment + reassemble', fragmentRate(), 'MB/s')
}
