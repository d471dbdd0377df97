// `npm run bench:soak`: a relay that meets a new phone every 3 virtual seconds, 20 000 of them over 16.7
// virtual hours (BLEMESH_SOAK_VISITORS changes the count), as a Pi beacon at a station would. Each visitor
// has a fresh identity, links to the relay, announces, sends a public message, a long one (fragments), a
// private message to the relay and one through it to another visitor, then leaves. Every table the relay
// keeps is bounded, so its heap after a full collection must level off; this measures where, and how fast
// it still grows. Every tenth phone brings a hostile neighbour along (security.md's cheap attacks, for its
// whole stay): announces under fresh keys, fragment streams never finished, handshake openers from
// strangers, messages from unknown senders and garbage. It needs `--expose-gc`, which the npm script passes.
import pino from 'pino'
import { nodeCrypto } from '../src/crypto/node-provider.js'
import { identityFromSecrets } from '../src/crypto/identity.js'
import { signPacket } from '../src/crypto/signing.js'
import type { Link } from '../src/mesh/link.js'
import { createNode, type MeshNode } from '../src/node.js'
import { MemoryNetwork, type MemoryPipe, type MemoryTransport } from '../src/mesh/memory-transport.js'
import { SeededRandom } from '../src/prng.js'
import { encodeAnnounce } from '../src/wire/announce.js'
import { encodeFragment } from '../src/wire/fragment.js'
import { encodePacket } from '../src/wire/packet.js'
import { MessageType, type Packet } from '../src/wire/packet-types.js'
import { Engine, EventKind } from '../simulator/engine.js'
import { VirtualClock } from '../simulator/virtual-clock.js'
import { collectGarbage, liveObjects, report } from './harness.js'

/** One new visitor this often (virtual ms); with DWELL_MS it keeps about 10 at the relay at once. */
const ARRIVAL_EVERY_MS = 3_000
const DWELL_MS = 30_000
const LONG_TEXT = 'x'.repeat(1_500)
/** One phone in this many brings a hostile neighbour, which sends HOSTILE_BATCHES × HOSTILE_KINDS frames. */
const HOSTILE_EVERY = 10
const HOSTILE_BATCHES = 40
const HOSTILE_KINDS = 5

interface Visitor { node: MeshNode, transport: MemoryTransport, pipe: MemoryPipe }

export interface SoakResult {
  /** After a full collection, at each checkpoint's visitor count: heap used plus array buffers, and live data objects. */
  checkpoints: Array<{ visitors: number, bytes: number, objects: number }>
  relayStats: ReturnType<MeshNode['stats']>
  /** Private messages the visitors sent, and delivery receipts they got back. */
  privateSent: number
  receipts: number
  /** Frames the hostile neighbours put on their links. */
  hostileFrames: number
  wallSeconds: number
}

export async function soak (visitors: number, checkpointEvery: number, seed = 1): Promise<SoakResult> {
  const started = performance.now()
  const logger = pino({ level: 'silent' })
  const random = new SeededRandom(seed)
  const engine = new Engine()
  const clock = new VirtualClock(engine)
  const net = new MemoryNetwork(clock, random.fork('net'))
  const newIdentity = (): ReturnType<typeof identityFromSecrets> => identityFromSecrets(nodeCrypto, random.bytes(32), random.bytes(32))
  const relayTransport = net.createTransport('relay')
  const relay = createNode({ identity: newIdentity(), transport: relayTransport, clock, random: random.fork('relay'), crypto: nodeCrypto, logger, config: { nickname: 'relay' } })
  await relay.start()

  const present: Visitor[] = []
  let arrived = 0
  let privateSent = 0
  let receipts = 0
  let hostileFrames = 0
  const at = (ms: number, fn: () => void): void => { engine.call(ms, EventKind.custom, -1, fn) }

  const packet = (type: number, senderId: Uint8Array, payload: Uint8Array, recipientId: Uint8Array | null = null): Packet => ({
    version: 1, type, ttl: 7, timestamp: BigInt(clock.now()), senderId, recipientId, route: [], payload, isCompressed: false, isRSR: false, signature: null,
  })
  /** One of each attack; every call a new forged identity or a new stranger. */
  const hostileBatch = (): Uint8Array[] => {
    const forger = newIdentity()
    const stranger = random.bytes(8)
    const announce = encodeAnnounce({ nickname: 'forger', noisePublicKey: forger.noisePublicKey, signingPublicKey: forger.signingPublicKey, neighbors: [], capabilities: null, geohash: null, unknown: [] })
    const unfinished = encodeFragment({ fragmentId: random.bytes(8), index: 0, total: 10, originalType: MessageType.message, data: random.bytes(200) })
    return [
      encodePacket(signPacket(nodeCrypto, forger, packet(MessageType.announce, forger.peerId, announce))),
      encodePacket(packet(MessageType.fragment, stranger, unfinished)),
      encodePacket(packet(MessageType.noiseHandshake, stranger, random.bytes(32), relayId)),
      encodePacket(signPacket(nodeCrypto, newIdentity(), packet(MessageType.message, stranger, random.bytes(60)))),
      random.bytes(1 + random.int(300)),
    ]
  }
  const relayId = Uint8Array.from(Buffer.from(relay.peerId, 'hex'))
  const hostile = (index: number): void => {
    const transport = net.createTransport(`h${index}`)
    let link: Link | null = null
    void transport.start({ onLink: l => { link = l; l.attach({ onFrame: () => {}, onDrain: () => {}, onClose: () => { link = null } }) } })
    const pipe = net.connect(transport, relayTransport, { inFlightFrames: 64 })
    engine.requestDrain()
    for (let b = 0; b < HOSTILE_BATCHES; b++) {
      at(1_000 + b * 500, () => {
        for (const frame of hostileBatch()) if (link?.send(frame) === true) hostileFrames++
      })
    }
    at(DWELL_MS, () => { void transport.stop().then(() => { pipe.cut() }); engine.requestDrain() })
  }
  const arrive = (): void => {
    const index = arrived++
    const name = `v${index}`
    const transport = net.createTransport(name)
    const node = createNode({ identity: newIdentity(), transport, clock, random: random.fork(name), crypto: nodeCrypto, logger, config: { nickname: name } })
    const visitor: Visitor = { node, transport, pipe: net.connect(transport, relayTransport) }
    present.push(visitor)
    node.on('receipt', r => { if (r.kind === 'delivered') receipts++ })
    void node.start()
    engine.requestDrain()
    if (index % HOSTILE_EVERY === HOSTILE_EVERY - 1) hostile(index)
    at(2_000, () => { node.sendPublic(`hello from ${name}`) })
    at(3_000, () => { node.sendPrivate(relay.peerId, `hi relay, ${name} here`); privateSent++ })
    at(5_000, () => {
      const other = present[(index * 7) % present.length]!
      if (other !== visitor) { node.sendPrivate(other.node.peerId, `hi ${other.node.nickname}`); privateSent++ }
    })
    at(10_000, () => { node.sendPublic(LONG_TEXT) })
    at(DWELL_MS, () => {
      present.splice(present.indexOf(visitor), 1)
      void node.stop().then(() => { visitor.pipe.cut() })
      engine.requestDrain()
    })
  }

  const checkpoints: SoakResult['checkpoints'] = []
  const measure = (): void => {
    collectGarbage()
    const m = process.memoryUsage()
    checkpoints.push({ visitors: arrived, bytes: m.heapUsed + m.arrayBuffers, objects: liveObjects() })
  }
  measure()
  while (arrived < visitors) {
    arrive()
    await engine.runUntil(engine.now + ARRIVAL_EVERY_MS)
    if (arrived % checkpointEvery === 0) measure()
  }
  // Let the last visitors leave and everything they left behind expire (peers go stale after 180 s).
  await engine.runUntil(engine.now + DWELL_MS + 200_000)
  const relayStats = relay.stats()
  await relay.stop()
  return { checkpoints, relayStats, privateSent, receipts, hostileFrames, wallSeconds: (performance.now() - started) / 1000 }
}

export async function run (): Promise<void> {
  const visitors = Number(process.env.BLEMESH_SOAK_VISITORS ?? 20_000)
  const every = Math.max(1, Math.round(visitors / 10))
  const result = await soak(visitors, every)
  const mb = (bytes: number): number => bytes / 1048576
  for (const c of result.checkpoints) report(`soak relay heap after ${c.visitors} visitors`, mb(c.bytes), 'MB')
  for (const c of result.checkpoints) report(`soak live objects after ${c.visitors} visitors`, c.objects, 'objects')
  const half = result.checkpoints.slice(Math.floor(result.checkpoints.length / 2))
  const first = half[0]!
  const last = half[half.length - 1]!
  const thousands = (last.visitors - first.visitors) / 1000
  report('soak heap growth over the second half', (last.bytes - first.bytes) / 1024 / thousands, 'KB per 1000 visitors')
  report('soak live objects added over the second half', (last.objects - first.objects) / thousands, 'per 1000 visitors')
  report('soak virtual hours', visitors * ARRIVAL_EVERY_MS / 3_600_000, 'h')
  report('soak private messages shown at the relay', result.relayStats.private.shown, 'messages')
  report('soak private messages receipted', 100 * result.receipts / result.privateSent, '%')
  report('soak hostile frames sent', result.hostileFrames, 'frames')
  report('soak relay frames dropped as undecodable', result.relayStats.dropped.decode, 'frames')
  report('soak relay handshakes refused by the rate limits', result.relayStats.noise.handshakesLimited, 'handshakes')
  report('soak relay handshakes failed', result.relayStats.noise.handshakesFailed, 'handshakes')
  report('soak wall', result.wallSeconds, 's')
  process.stdout.write(`# relay holding at the end: ${JSON.stringify(result.relayStats.holding)}\n`)
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
