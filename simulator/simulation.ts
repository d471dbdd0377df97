// One run: a scenario, a seed and a relay policy in; a summary, the report's data and a trace hash out.
import { getHeapStatistics } from 'node:v8'
import pino, { type Logger } from 'pino'
import type { CryptoProvider } from '../src/crypto/provider.js'
import type { PeerKeys } from '../src/mesh/peers.js'
import { SharedPinPool } from '../src/mesh/pin-pool.js'
import type { RelayPolicy } from '../src/mesh/policy/relay-policy.js'
import { SeededRandom } from '../src/prng.js'
import { MAX_PRIVATE_MESSAGE_FIELD_BYTES } from '../src/wire/private-message.js'
import { Air } from './air.js'
import { type BleProfile, profileByName } from './ble-profile.js'
import { createCheapCrypto } from './cheap-crypto.js'
import { Engine, EventKind, settle } from './engine.js'
import { Metrics, ORIGIN_TTL_HOPS } from './metrics.js'
import { MOBILITY_TICK_MS, RandomWaypoint, DEFAULT_SPEED_MPS } from './mobility.js'
import { DEFAULT_POLICY, policyByName } from './policies.js'
import { DEFAULT_RADIO, type RadioParams } from './radio.js'
import type { ReportPolicyRun, SimSummary } from './report-data.js'
import { type CryptoChoice, type Scenario, ScenarioError } from './scenario.js'
import type { SimNode, SimNodeFactory } from './sim-node.js'
import { SimTransport } from './sim-transport.js'
import { placeNodes, type Placement } from './topology.js'
import { SIM_EPOCH_MS, VirtualClock } from './virtual-clock.js'

/**
 * Up to this many nodes `crypto: auto` uses the real provider; above it the cheap one. Our measurement: the
 * 100-node city block (flood, 2 virtual minutes) took 17.4 s of CPU with node:crypto and 4.2 s with the
 * cheap provider, so `blemesh start` (every policy, 10 minutes) would keep people waiting for minutes.
 */
export const REAL_CRYPTO_MAX_NODES = 50
/** Default seconds of quiet after the traffic so messages in flight land. */
export const DEFAULT_DRAIN_SECONDS = 10
/** Default seconds before the first message so links form and announces spread. */
export const DEFAULT_WARMUP_SECONDS = 20
/** Default public message length (bytes of text): a short chat line. */
export const DEFAULT_MESSAGE_BYTES = 64
/** Buckets in the transmissions-over-time chart. */
export const TX_BUCKETS = 60

export interface SimulationOptions {
  scenario: Scenario
  /** Overrides scenario.seed. */
  seed?: number
  /** Overrides scenario.policy. */
  policy?: string
  /** A policy object outside the registry (a variant under study); overrides `policy`. */
  relayPolicy?: RelayPolicy
  /** Overrides scenario.crypto. */
  crypto?: CryptoChoice
  nodeFactory: SimNodeFactory
  /** The real provider, used when crypto resolves to 'real'. */
  realCrypto?: CryptoProvider
  /** Called now and then with the fraction of virtual time done. */
  onProgress?: (fraction: number) => void
  /** Give every receiver its own copy of each frame (slower; checks that no node changes frames). */
  copyFrames?: boolean
}

export interface SimulationResult {
  summary: SimSummary
  run: ReportPolicyRun
  traceHash: string
  placement: Placement
  links: Array<[number, number]>
  cryptoUsed: string
  /** Sum of every node's stats() (numbers only), when nodes expose them. */
  nodeStats: Record<string, number>
  /** Connections opened over the run, and broken by distance. */
  linkChurn: { opened: number, broken: number }
  /** The process's V8 heap ceiling (`--max-old-space-size` plus the young generation), which bounds the run. */
  heapLimitMb: number
}

/** The scenario's radio: the defaults with its overrides. */
export function radioParamsOf (scenario: Scenario): RadioParams {
  const r = scenario.radio ?? {}
  const radio: RadioParams = { ...DEFAULT_RADIO }
  for (const key of ['pathLossExponent', 'rssiAt1mDbm', 'shadowingSigmaDb', 'gateDbm', 'halfLossDbm', 'lossSlopeDb', 'extraLoss'] as const) {
    const v = r[key]
    if (v !== undefined) radio[key] = v
  }
  return radio
}

/** Resolves the radio parameters and per-node profiles of a scenario. */
export function radioOf (scenario: Scenario, random: SeededRandom): { radio: RadioParams, profiles: BleProfile[] } {
  const r = scenario.radio ?? {}
  const radio = radioParamsOf(scenario)
  const n = scenario.topology.nodes
  let pick: () => BleProfile
  if (r.profiles !== undefined) {
    const entries = Object.entries(r.profiles).map(([name, f]) => [profileByName(name), f] as const)
    const total = entries.reduce((s, [, f]) => s + f, 0)
    if (!(total > 0)) throw new ScenarioError("scenario: 'radio.profiles' fractions must add up to more than 0")
    pick = () => {
      let x = random.next() * total
      for (const [p, f] of entries) { if (x < f) return p; x -= f }
      return entries[entries.length - 1]![0]
    }
  } else {
    const p = profileByName(r.profile ?? 'phone')
    pick = () => p
  }
  const profiles = Array.from({ length: n }, () => {
    const p = pick()
    return r.maxLinks === undefined ? p : { ...p, maxLinks: r.maxLinks }
  })
  return { radio, profiles }
}

export async function runSimulation (options: SimulationOptions): Promise<SimulationResult> {
  const wallStart = performance.now()
  let peakRss = process.memoryUsage().rss
  const scenario = options.scenario
  const seed = options.seed ?? scenario.seed
  const policy = options.relayPolicy ?? policyByName(options.policy ?? scenario.policy ?? DEFAULT_POLICY)
  const policyName = policy.name
  const n = scenario.topology.nodes

  // One stream per concern, so changing how one concern draws never shifts another (and a policy that
  // draws more jitter does not move the traffic or the topology of a comparison).
  const root = new SeededRandom(seed)
  const placementRandom = root.fork('placement')
  const profileRandom = root.fork('profiles')
  const shadowSeed = root.fork('shadowing').u32()
  const discoveryRandom = root.fork('discovery')
  const connectRandom = root.fork('connect')
  const lossRandom = root.fork('loss')
  const trafficRandom = root.fork('traffic')
  const mobilityRandom = root.fork('mobility')
  const churnRandom = root.fork('churn')
  const metricsRandom = root.fork('metrics')
  const nodeRandomRoot = root.fork('nodes')
  const identityRoot = root.fork('identity')
  const cryptoRandom = root.fork('crypto')
  const arrivalRandom = root.fork('arrival')
  // Last, so scenarios without private traffic or skewed clocks draw every other stream as before.
  const privateRandom = root.fork('private')
  const clockRandom = root.fork('clocks')

  const { radio, profiles } = radioOf(scenario, profileRandom)
  const placement = placeNodes(scenario.topology, radio, placementRandom)
  const engine = new Engine()
  const durationMs = scenario.durationSeconds * 1000
  const drainMs = (scenario.drainSeconds ?? DEFAULT_DRAIN_SECONDS) * 1000
  const warmupMs = Math.min((scenario.warmupSeconds ?? DEFAULT_WARMUP_SECONDS) * 1000, durationMs)
  const endMs = durationMs + drainMs
  const ratePerMs = scenario.traffic.broadcastPerNodePerMinute / 60_000
  const metrics = new Metrics({
    nodes: n,
    expectedMessages: n * ratePerMs * (durationMs - warmupMs),
    bucketMs: Math.max(1, endMs / TX_BUCKETS),
    buckets: TX_BUCKETS,
    sample: () => metricsRandom.next(),
    time: engine,
  })
  const air = new Air({ engine, radio, shadowSeed, profiles, xs: placement.xs, ys: placement.ys, discoveryRandom, connectRandom, lossRandom, observer: metrics, copyFrames: options.copyFrames === true })

  const choice = options.crypto ?? scenario.crypto ?? 'auto'
  const useReal = choice === 'real' || (choice === 'auto' && n <= REAL_CRYPTO_MAX_NODES && options.realCrypto !== undefined)
  if (choice === 'real' && options.realCrypto === undefined) throw new Error("crypto 'real' asked for but no real provider given")
  const crypto = useReal ? options.realCrypto! : createCheapCrypto(cryptoRandom)
  const logger = silentLogger()
  const pinPool = new SharedPinPool()

  const nodeRandoms = Array.from({ length: n }, (_, i) => nodeRandomRoot.fork(`node${i}`))
  const clockSkews = skewClocks(n, scenario.clocks, clockRandom)
  const identitySeeds = Array.from({ length: n }, () => identityRoot.bytes(64))
  const nodes: Array<SimNode | undefined> = new Array(n)
  const clocks: Array<VirtualClock | undefined> = new Array(n)
  const transports: Array<SimTransport | undefined> = new Array(n)
  const alive = new Uint8Array(n)
  const lives = new Uint32Array(n)
  /** What each node that is down had pinned: a real node finds its pins in its store when it comes back. */
  const savedPins: Array<Array<[string, PeerKeys]> | undefined> = new Array(n)
  const finishedStats: Array<Record<string, number>> = []
  const MESSAGE_ID = /^#(\d+) /
  /** Private messages in flight, by the message ID their sender's node gave them (its receipt names it). */
  const privateIds = new Map<string, number>()

  const spawn = (i: number): void => {
    const clock = new VirtualClock(engine, i, SIM_EPOCH_MS + clockSkews[i]!)
    const transport = new SimTransport(air, i)
    // A restarted node draws from a fresh stream so its second life does not replay its first.
    const random = lives[i] === 0 ? nodeRandoms[i]! : nodeRandoms[i]!.fork(`life${lives[i]}`)
    const node = options.nodeFactory({
      index: i,
      transport,
      clock,
      random,
      crypto,
      logger,
      policy,
      pinPool,
      identitySeed: identitySeeds[i]!,
      config: scenario.node ?? {},
      ...(savedPins[i] === undefined ? {} : { pins: savedPins[i] }),
      deliver (text: string) {
        const m = MESSAGE_ID.exec(text)
        if (m !== null) metrics.delivered(Number(m[1]), i)
      },
      deliverPrivate (text: string) {
        const m = MESSAGE_ID.exec(text)
        if (m !== null) metrics.privateDelivered(Number(m[1]), i)
      },
      receipt (messageId: string) {
        const id = privateIds.get(messageId)
        if (id !== undefined) metrics.privateReceipt(id)
      },
    })
    savedPins[i] = undefined
    nodes[i] = node
    clocks[i] = clock
    transports[i] = transport
    alive[i] = 1
    if (lives[i]! > 0) metrics.nodeRestarted(i)
    lives[i]!++
    if (node.start() instanceof Promise) engine.requestDrain()
  }

  const collectStats = (node: SimNode | undefined): void => {
    if (node?.stats === undefined) return
    finishedStats.push(flattenNumbers(node.stats()))
  }

  // Everyone switches on at time 0 (the air spreads their first scans over a second), or spread out.
  const spreadMs = (scenario.arrivalSpreadSeconds ?? 0) * 1000
  for (let i = 0; i < n; i++) {
    if (spreadMs <= 0) spawn(i)
    else engine.call(arrivalRandom.next() * spreadMs, EventKind.custom, i, () => { spawn(i) })
  }
  await settle()

  /**
   * A Poisson stream of arrivals at `ratePerMs` over the traffic's time: at each, `draw` takes what the
   * arrival needs from `random`, the next arrival is scheduled, then `arrive` acts on the draws (the order
   * every run so far was measured with).
   */
  const poissonTraffic = <T>(random: SeededRandom, ratePerMs: number, draw: () => T, arrive: (drawn: T) => void): void => {
    const schedule = (from: number): void => {
      if (ratePerMs <= 0) return
      const at = from - Math.log(1 - random.next()) / ratePerMs
      if (at >= durationMs) return
      engine.at(at, { kind: EventKind.traffic, node: -1, cancelled: false, fire: () => {
        const drawn = draw()
        schedule(engine.now)
        arrive(drawn)
      } })
    }
    schedule(warmupMs)
  }
  /** The text of message `id`: its number first, where `deliver` reads it back, padded to `bytes`. */
  const numbered = (id: number, bytes: number): string => {
    const head = `#${id} `
    return head + 'x'.repeat(Math.max(0, bytes - head.length))
  }

  // Traffic: one Poisson stream of rate n·λ with a uniformly chosen origin is n Poisson streams of rate λ.
  const messageBytes = scenario.traffic.messageBytes ?? DEFAULT_MESSAGE_BYTES
  let nextMessageId = 0
  const hopsFrom = (origin: number, out: Uint8Array): void => air.hopDistances(origin, out)
  poissonTraffic(trafficRandom, n * ratePerMs, () => Math.floor(trafficRandom.next() * n), origin => {
    const node = nodes[origin]
    if (alive[origin] === 0 || node === undefined) return
    const id = nextMessageId++
    metrics.messageSent(id, origin, hopsFrom)
    if (node.sendPublic(numbered(id, messageBytes)) instanceof Promise) engine.requestDrain()
  })

  // Private traffic: its own Poisson stream; each message goes to a node within the sender's TTL reach
  // over the links of the moment, as a person writes to someone their phone lists nearby.
  const privateRate = n * (scenario.traffic.privatePerNodePerMinute ?? 0) / 60_000
  const privateBytes = Math.min(messageBytes, MAX_PRIVATE_MESSAGE_FIELD_BYTES)
  const reach = new Uint8Array(n)
  const candidates = new Int32Array(n)
  let nextPrivateId = 0
  poissonTraffic(privateRandom, privateRate, () => [Math.floor(privateRandom.next() * n), privateRandom.next()] as const, ([origin, pick]) => {
    const node = nodes[origin]
    if (alive[origin] === 0 || node?.sendPrivate === undefined) return
    air.hopDistances(origin, reach)
    let count = 0
    for (let j = 0; j < n; j++) if (reach[j]! > 1 && reach[j]! - 1 <= ORIGIN_TTL_HOPS && nodes[j]?.peerId !== undefined) candidates[count++] = j
    if (count === 0) return
    const destination = candidates[Math.floor(pick * count)]!
    const id = nextPrivateId++
    metrics.privateSent(id, origin, destination)
    privateIds.set(node.sendPrivate(nodes[destination]!.peerId!, numbered(id, privateBytes)), id)
  })

  // Mobility.
  const mobility = scenario.mobility
  if (mobility?.kind === 'random-waypoint') {
    const walker = new RandomWaypoint(placement.xs, placement.ys, placement.areaMetres, mobility.speed ?? DEFAULT_SPEED_MPS, (mobility.pauseSeconds ?? 0) * 1000, mobilityRandom, placement.originX, placement.originY)
    const tick = (): void => {
      walker.step(engine.now, MOBILITY_TICK_MS)
      air.positionsChanged()
      air.checkLinks()
      if (engine.now + MOBILITY_TICK_MS < endMs) engine.call(MOBILITY_TICK_MS, EventKind.mobility, -1, tick)
    }
    engine.call(MOBILITY_TICK_MS, EventKind.mobility, -1, tick)
  }

  // Churn: graceful leaves and crashes, each a Poisson stream per node; optionally back after a while.
  const churn = scenario.churn
  const leaveRate = (churn?.leavesPerNodePerHour ?? 0) / 3_600_000
  const crashRate = (churn?.crashesPerNodePerHour ?? 0) / 3_600_000
  const churnRate = n * (leaveRate + crashRate)
  const scheduleChurn = (from: number): void => {
    if (churnRate <= 0) return
    const at = from - Math.log(1 - churnRandom.next()) / churnRate
    if (at >= durationMs) return
    engine.at(at, { kind: EventKind.churn, node: -1, cancelled: false, fire: () => {
      const i = Math.floor(churnRandom.next() * n)
      const crash = churnRandom.next() * (leaveRate + crashRate) < crashRate
      scheduleChurn(engine.now)
      if (alive[i] === 0) return
      alive[i] = 0
      const node = nodes[i]
      collectStats(node)
      if (churn?.restartAfterSeconds !== undefined) savedPins[i] = node?.pinnedPeers?.()
      if (crash) {
        clocks[i]!.kill()
        transports[i]!.crash()
      } else if (node?.stop() instanceof Promise) {
        engine.requestDrain()
      }
      nodes[i] = undefined
      const back = churn?.restartAfterSeconds
      if (back !== undefined) engine.call(back * 1000, EventKind.churn, i, () => { if (alive[i] === 0) spawn(i) })
    } })
  }
  scheduleChurn(0)

  const progress = (): void => {
    const rss = process.memoryUsage().rss
    if (rss > peakRss) peakRss = rss
    options.onProgress?.(Math.min(1, engine.now / endMs))
  }
  await engine.runUntil(endMs, progress)
  progress()

  const links = air.linkPairs()
  for (let i = 0; i < n; i++) if (alive[i] === 1) collectStats(nodes[i])
  const nodeStats: Record<string, number> = {}
  for (const s of finishedStats) for (const [k, v] of Object.entries(s)) nodeStats[k] = (nodeStats[k] ?? 0) + v
  const wallSeconds = (performance.now() - wallStart) / 1000
  const base = metrics.summarize(policyName, endMs / 60_000)
  const summary: SimSummary = {
    ...base,
    events: engine.events,
    eventsPerSecond: Math.round(engine.events / wallSeconds),
    receptionsPerSecond: Math.round(base.receptions / wallSeconds),
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    peakRssMb: Math.round(peakRss / 1_048_576),
  }
  // Stop the nodes politely so nothing they hold keeps the process alive.
  for (let i = 0; i < n; i++) {
    if (alive[i] === 1) { clocks[i]!.kill(); transports[i]!.crash() }
  }
  return { summary, run: metrics.reportRun(summary), traceHash: engine.traceHash, placement, links, cryptoUsed: crypto.name, nodeStats, linkChurn: { opened: air.opened, broken: air.broken }, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1_048_576) }
}

/**
 * One silent logger for every node, whose children are itself: a pino child logger is an object with
 * bindings and level functions of its own, and each node makes three (node, router, noise) that log
 * nothing here. Heap after a full collection, 1 000 nodes × 20 s: 53.9 MB instead of 55.8.
 */
function silentLogger (): Logger {
  const base = pino({ level: 'silent' })
  const logger: Logger = Object.create(base) as Logger
  logger.child = (() => logger) as unknown as Logger['child']
  return logger
}

/** Each node's clock error (ms, whole): with probability `skewedFraction` behind by up to maxSkewSeconds (uniform), else 0. */
function skewClocks (n: number, clocks: Scenario['clocks'], random: SeededRandom): Float64Array {
  const skews = new Float64Array(n)
  if (clocks === undefined) return skews
  for (let i = 0; i < n; i++) {
    const skewed = random.next() < clocks.skewedFraction
    const amount = -Math.round(random.next() * clocks.maxSkewSeconds * 1000)
    if (skewed) skews[i] = amount
  }
  return skews
}

function flattenNumbers (value: unknown, prefix = '', out: Record<string, number> = {}): Record<string, number> {
  if (typeof value === 'number') out[prefix] = value
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) flattenNumbers(v, prefix === '' ? k : `${prefix}.${k}`, out)
  }
  return out
}
