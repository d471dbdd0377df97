// Over BlueZ-emulated controllers (btvirt; no air time, so these are stack figures): frames/s and KB/s over
// one GATT link between two BleTransports in this process (central writes without response, peripheral
// receives), then the median per-hop latency of a public message through a chain of three node processes,
// and what a private message from one end of that chain to the other takes, with and without the handshake.
// Needs btvirt, socat and cc (apt-get install -y bluez-test-tools socat).
import pino from 'pino'
import { openAdapters } from '../hardware/adapters.js'
import { BleTransport } from '../hardware/ble-transport.js'
import { DEFAULT_LINK_PACING } from '../hardware/ble-link.js'
import { withTimeout } from '../hardware/with-timeout.js'
import { systemClock } from '../cli/system.js'
import type { Link } from '../src/mesh/link.js'
import { SeededRandom } from '../src/prng.js'
import { Emulator, emulatorAvailability, type Controller, type NodeProcess } from '../test/emulator/harness.js'
import { collectGarbage, liveObjects, report } from './harness.js'

/** Frames sent per throughput run: a few seconds at the default pacing. */
const FRAMES = 1_500
/** Messages timed through the chain, and the gap between them (well apart so queues are empty). */
const CHAIN_MESSAGES = 60
const CHAIN_GAP_MS = 80
/** The central finds and links the peripheral in well under a second on the emulator. */
const LINK_WAIT_MS = 30_000
/** A throughput run ends when nothing arrived for this long. */
const STALL_MS = 2_000

const logger = pino({ level: process.env.BLEMESH_LOG ?? 'warn' }, pino.destination(2))

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function linkThroughput (emulator: Emulator, pacing = DEFAULT_LINK_PACING): Promise<{ framesPerSecond: number, kbPerSecond: number, delivered: number }> {
  const [p, c] = [await emulator.addController(), await emulator.addController()]
  const random = new SeededRandom(1)
  const pa = await openAdapters({ central: null, peripheral: { kind: 'uart', port: p.port, baudRate: 1_000_000 } }, systemClock, logger)
  const ca = await openAdapters({ central: { kind: 'uart', port: c.port, baudRate: 1_000_000 }, peripheral: null }, systemClock, logger)
  const receiver = new BleTransport({ ...pa, clock: systemClock, random, logger, pacing, peekAnnounces: false })
  const sender = new BleTransport({ ...ca, clock: systemClock, random, logger, pacing, peekAnnounces: false })
  let received = 0
  let bytes = 0
  let done: () => void = () => {}
  const finished = new Promise<void>(resolve => { done = resolve })
  await receiver.start({
    onLink: link => {
      link.attach({ onFrame: f => { received++; bytes += f.length; if (received === FRAMES) done() }, onDrain: () => {}, onClose: () => {} })
    },
  })
  const link = await withTimeout(systemClock, new Promise<Link>(resolve => {
    void sender.start({ onLink: l => { resolve(l) } })
  }), LINK_WAIT_MS, 'the benchmark link to come up')
  const frame = new Uint8Array(link.mtu).fill(0x5a)
  let sent = 0
  const pump = (): void => { while (sent < FRAMES && link.send(frame)) sent++ }
  link.attach({ onFrame: () => {}, onDrain: pump, onClose: () => {} })
  const start = performance.now()
  let last = start
  pump()
  // Wait for every frame, or give up once nothing arrived for STALL_MS (frames lost underneath us).
  let lastCount = -1
  while (received < FRAMES) {
    const progressed = await Promise.race([finished.then(() => true), new Promise<boolean>(resolve => setTimeout(() => { resolve(false) }, STALL_MS))])
    if (progressed) break
    if (received === lastCount) break
    lastCount = received
    last = performance.now()
  }
  if (received < FRAMES) {
    process.stderr.write(`emulator bench: ${FRAMES - received} of ${FRAMES} frames never arrived (sent ${sent}, link counters ${JSON.stringify(sender.linkStats()[0]?.counters)})\n`)
  } else {
    last = performance.now()
  }
  const seconds = (last - start) / 1000
  await sender.stop()
  await receiver.stop()
  pa.close()
  ca.close()
  return { framesPerSecond: received / seconds, kbPerSecond: bytes / 1024 / seconds, delivered: received / FRAMES }
}

/** Link churn: links made and dropped; the first CHURN_WARMUP only warm up (JIT, library caches). */
const CHURN_CYCLES = 400
const CHURN_WARMUP = 200

/** Listeners on an event emitter, all events together: a library that keeps one per connection shows here. */
function listeners (emitter: unknown): number {
  const e = emitter as { eventNames?: () => Array<string | symbol>, listenerCount?: (name: string | symbol) => number }
  return e.eventNames?.().reduce((n, name) => n + e.listenerCount!(name), 0) ?? 0
}

/**
 * A relay's links come and go all day. One central dials one peripheral CHURN_CYCLES times, sends a
 * frame and drops the link; after the warm-up the live objects (after a full collection) and the
 * listeners on noble and bleno must stay where they were. Needs `--expose-gc`.
 */
async function linkChurn (emulator: Emulator): Promise<{ objectsWarm: number, objectsEnd: number, listenersAdded: number, reconnectMs: number, delivered: number }> {
  collectGarbage() // without --expose-gc, fail now rather than 200 links in
  const [p, c] = [await emulator.addController(), await emulator.addController()]
  const random = new SeededRandom(3)
  const pa = await openAdapters({ central: null, peripheral: { kind: 'uart', port: p.port, baudRate: 1_000_000 } }, systemClock, logger)
  const ca = await openAdapters({ central: { kind: 'uart', port: c.port, baudRate: 1_000_000 }, peripheral: null }, systemClock, logger)
  // Links this short would count as flaps and get the central blocked; here they are the point.
  const policy = { flapMs: 0 }
  const receiver = new BleTransport({ ...pa, clock: systemClock, random, logger, policy, peekAnnounces: false })
  const sender = new BleTransport({ ...ca, clock: systemClock, random, logger, policy, peekAnnounces: false, scanRestartMs: 200 })
  let received = 0
  await receiver.start({ onLink: link => { link.attach({ onFrame: () => { received++ }, onDrain: () => {}, onClose: () => {} }) } })
  let arrived: (link: Link) => void = () => {}
  await sender.start({ onLink: link => { arrived(link) } })
  const libraries = [ca.central!.noble, pa.peripheral!.bleno]
  const sample = (): { objects: number, listeners: number } => {
    collectGarbage()
    return { objects: liveObjects(), listeners: libraries.reduce((n, lib) => n + listeners(lib), 0) }
  }
  let warm = { objects: 0, listeners: 0 }
  let reconnectMs = 0
  try {
    for (let cycle = 0; cycle < CHURN_CYCLES; cycle++) {
      const asked = performance.now()
      const link = await withTimeout(systemClock, new Promise<Link>(resolve => { arrived = resolve }), LINK_WAIT_MS, `link ${cycle}`)
      if (cycle >= CHURN_WARMUP) reconnectMs += performance.now() - asked
      const closed = new Promise<void>(resolve => { link.attach({ onFrame: () => {}, onDrain: () => {}, onClose: () => { resolve() } }) })
      link.send(new Uint8Array(64).fill(cycle & 0xff))
      await new Promise(resolve => setTimeout(resolve, 20))
      sender.dropLinks('churn')
      await closed
      if (cycle === CHURN_WARMUP - 1) warm = sample()
    }
    const end = sample()
    const measured = CHURN_CYCLES - CHURN_WARMUP
    return { objectsWarm: warm.objects, objectsEnd: end.objects, listenersAdded: end.listeners - warm.listeners, reconnectMs: reconnectMs / measured, delivered: received / CHURN_CYCLES }
  } finally {
    await sender.stop()
    await receiver.stop()
    pa.close()
    ca.close()
  }
}

/** A central and a peripheral controller for each of a, b and c, shared by the chain runs (btvirt holds only so many). */
type ChainControllers = [Controller, Controller, Controller, Controller, Controller, Controller]

async function chainControllers (emulator: Emulator): Promise<ChainControllers> {
  const ctl: Controller[] = []
  for (let i = 0; i < 6; i++) ctl.push(await emulator.addController())
  return ctl as ChainControllers
}

/** Runs `body` on node processes a–b–c linked in a line over `ctl`, each with `extraArgs`, logging at warn. */
async function withChain<T> (emulator: Emulator, ctl: ChainControllers, extraArgs: string[], body: (a: NodeProcess, b: NodeProcess, c: NodeProcess) => Promise<T>): Promise<T> {
  const [ac, ap, bc, bp, cc, cp] = ctl
  const env = process.env.BLEMESH_LOG
  process.env.BLEMESH_LOG = 'warn'
  const nodes: NodeProcess[] = []
  try {
    const a = await emulator.startNode({ name: 'a', central: ac, peripheral: ap, allow: [bp.address], extraArgs })
    const b = await emulator.startNode({ name: 'b', central: bc, peripheral: bp, allow: [ac.address, cp.address], extraArgs })
    const c = await emulator.startNode({ name: 'c', central: cc, peripheral: cp, allow: [bc.address], extraArgs })
    nodes.push(a, b, c)
    return await body(a, b, c)
  } finally {
    for (const n of nodes) await n.stop()
    if (env === undefined) delete process.env.BLEMESH_LOG
    else process.env.BLEMESH_LOG = env
  }
}

async function chainHopLatency (emulator: Emulator, ctl: ChainControllers, policy: string): Promise<number> {
  return await withChain(emulator, ctl, ['--policy', policy], async (a, b, c) => {
    const aId = String((await a.waitFor(e => e.event === 'ready', 'ready')).peerId)
    await c.waitFor(e => e.event === 'peer' && e.peerId === aId, 'a known at c', 60_000)
    const hops: number[] = []
    for (let i = 0; i < CHAIN_MESSAGES; i++) {
      const text = `latency probe ${i}`
      a.write(text)
      const atB = await b.waitFor(e => e.event === 'message' && e.text === text, text)
      const atC = await c.waitFor(e => e.event === 'message' && e.text === text, text)
      hops.push(atC.at - atB.at)
      await new Promise(resolve => setTimeout(resolve, CHAIN_GAP_MS))
    }
    return median(hops)
  })
}

/** Private messages a → c over the chain a–b–c (default policy): the first (handshake included), then on the session. */
async function chainPrivateLatency (emulator: Emulator, ctl: ChainControllers): Promise<{ first: number, shown: number, receipt: number }> {
  return await withChain(emulator, ctl, [], async (a, _b, c) => {
    const cId = String((await c.waitFor(e => e.event === 'ready', 'ready')).peerId)
    await a.waitFor(e => e.event === 'peer' && e.peerId === cId, 'c known at a', 60_000)
    const send = async (text: string): Promise<{ shown: number, receipt: number }> => {
      const from = a.events.length
      a.write(`/msg c ${text}`)
      const sent = await a.waitFor(e => e.event === 'private-sent' && e.text === text, 'sent', 10_000, from)
      const shown = await c.waitFor(e => e.event === 'private-message' && e.text === text, text, 30_000)
      const receipt = await a.waitFor(e => e.event === 'receipt' && e.messageId === sent.messageId, 'receipt', 30_000, from)
      return { shown: shown.at - sent.at, receipt: receipt.at - sent.at }
    }
    const first = await send('private probe, first')
    const shown: number[] = []
    const receipts: number[] = []
    for (let i = 0; i < CHAIN_MESSAGES / 3; i++) {
      const t = await send(`private probe ${i}`)
      shown.push(t.shown)
      receipts.push(t.receipt)
      await new Promise(resolve => setTimeout(resolve, CHAIN_GAP_MS))
    }
    return { first: first.shown, shown: median(shown), receipt: median(receipts) }
  })
}

async function main (): Promise<number> {
  const availability = emulatorAvailability()
  if (!availability.ok) {
    process.stderr.write(`emulator bench skipped: ${availability.reason}\n`)
    return process.env.CI === 'true' ? 1 : 0
  }
  const emulator = await Emulator.start()
  try {
    const paced = await linkThroughput(emulator)
    report('emulator link frames', paced.framesPerSecond, 'frames/s')
    report('emulator link throughput', paced.kbPerSecond, 'KB/s')
    // Headroom of the stack underneath our pacing (the libraries have no backpressure of their own).
    const unpaced = await linkThroughput(emulator, { ...DEFAULT_LINK_PACING, framesPerSecond: 1e6, burstFrames: 1e6 })
    report('emulator link frames (unpaced)', unpaced.framesPerSecond, 'frames/s')
    report('emulator link delivery (unpaced)', unpaced.delivered * 100, '%')
    const ctl = await chainControllers(emulator)
    report('emulator per-hop latency (median)', await chainHopLatency(emulator, ctl, 'flood'), 'ms')
    report('emulator per-hop latency with bitchat-ios relay jitter (median)', await chainHopLatency(emulator, ctl, 'bitchat-ios'), 'ms')
    const secret = await chainPrivateLatency(emulator, ctl)
    report('emulator private message a to c, first (handshake included)', secret.first, 'ms')
    report('emulator private message a to c on the session (median)', secret.shown, 'ms')
    report('emulator private message delivery receipt round trip (median)', secret.receipt, 'ms')
    const churn = await linkChurn(emulator)
    report(`emulator link churn: reconnect (mean of ${CHURN_CYCLES - CHURN_WARMUP})`, churn.reconnectMs, 'ms')
    report(`emulator link churn: live objects after ${CHURN_WARMUP} links`, churn.objectsWarm, 'objects')
    report(`emulator link churn: live objects after ${CHURN_CYCLES} links`, churn.objectsEnd, 'objects')
    report('emulator link churn: library listeners added', churn.listenersAdded, 'listeners')
    report('emulator link churn: frames delivered (one per link)', churn.delivered * 100, '%')
  } finally {
    await emulator.stop()
  }
  return 0
}

process.exitCode = await main()
// The UART driver's reconnect timers can outlive the transports; the figures are printed.
setTimeout(() => process.exit(), 500).unref()
