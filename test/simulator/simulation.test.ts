import { describe, expect, test } from 'vitest'
import { meshNodeFactory } from '../../simulator/mesh-node.js'
import type { SimSummary } from '../../simulator/report-data.js'
import { parseScenario, type Scenario, ScenarioError } from '../../simulator/scenario.js'
import { PROFILES } from '../../simulator/ble-profile.js'
import { DEFAULT_RADIO, type RadioParams } from '../../simulator/radio.js'
import type { SimNode, SimNodeContext, SimNodeFactory } from '../../simulator/sim-node.js'
import { DEFAULT_DRAIN_SECONDS, DEFAULT_MESSAGE_BYTES, radioOf, radioParamsOf, runSimulation, TX_BUCKETS } from '../../simulator/simulation.js'
import { SeededRandom } from '../../src/prng.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { createAdaptivePolicy } from '../../src/mesh/policy/adaptive.js'
import { tinyFloodNode, tinyFloodNodeWith } from './helpers/tiny-flood-node.js'
import type { Clock } from '../../src/clock.js'
import type { MeshNode } from '../../src/node.js'
import { SIM_EPOCH_MS } from '../../simulator/virtual-clock.js'

const TIMING_KEYS = ['eventsPerSecond', 'receptionsPerSecond', 'wallSeconds', 'peakRssMb'] as const

function withoutTiming (s: SimSummary): Omit<SimSummary, typeof TIMING_KEYS[number]> {
  const copy: Partial<SimSummary> = { ...s }
  for (const k of TIMING_KEYS) delete copy[k]
  return copy as Omit<SimSummary, typeof TIMING_KEYS[number]>
}

const grid30: Scenario = parseScenario({
  seed: 11,
  durationSeconds: 60,
  topology: { kind: 'grid', nodes: 30 },
  traffic: { broadcastPerNodePerMinute: 2 },
  crypto: 'cheap',
})

/** One life of a node: when the simulation made it and when it stopped it (null: still on, or crashed). */
interface Life { node: number, startedAt: number, stoppedAt: number | null }

/** Wraps a factory of plain-object nodes (the spread keeps own properties only) to write down every life it is asked for. */
function recordingLives (lives: Life[], inner: SimNodeFactory = tinyFloodNode): SimNodeFactory {
  return ctx => {
    const node = inner(ctx)
    const life: Life = { node: ctx.index, startedAt: ctx.clock.now(), stoppedAt: null }
    lives.push(life)
    return { ...node, stop: () => { life.stoppedAt = ctx.clock.now(); return node.stop() } }
  }
}

/** The life before `life` of the same node. */
function previousLife (lives: Life[], life: Life): Life | undefined {
  return lives.slice(0, lives.indexOf(life)).filter(l => l.node === life.node).at(-1)
}

describe('runSimulation', () => {
  test('runSimulation — same scenario and seed give the same summary and trace hash; another seed does not', async () => {
    const a = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'bitchat-ios' })
    const b = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'bitchat-ios' })
    const c = await runSimulation({ scenario: grid30, seed: 12, nodeFactory: meshNodeFactory, policy: 'bitchat-ios' })
    expect(withoutTiming(a.summary)).toEqual(withoutTiming(b.summary))
    expect(a.traceHash).toBe(b.traceHash)
    expect(a.run.latencyCdf).toEqual(b.run.latencyCdf)
    expect(c.traceHash).not.toBe(a.traceHash)
    expect(a.summary.messages).toBeGreaterThan(0)
  })

  test('runSimulation — the real MeshNode floods a 30-node grid: no duplicates, nearly everyone reached', async () => {
    const r = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'flood' })
    const s = r.summary
    expect(s.nodes).toBe(30)
    expect(s.duplicatesDelivered).toBe(0)
    expect(s.deliveryRatio).toBeGreaterThan(0.95)
    expect(s.deliveryRatioAll).toBeLessThanOrEqual(s.deliveryRatio + 1e-9)
    expect(s.txPerNodePerMessage).toBeGreaterThan(0.9)
    expect(s.controlTxPerNodePerMinute).toBeGreaterThan(0)
    expect(s.receptions).toBe(r.nodeStats.received)
    expect(s.usefulness).toBeGreaterThan(0)
    expect(s.usefulness).toBeLessThan(1)
    expect(s.latencyMs.p50).toBeGreaterThan(0)
    expect(s.latencyMs.p50).toBeLessThanOrEqual(s.latencyMs.p95)
    expect(s.latencyMs.p95).toBeLessThanOrEqual(s.latencyMs.p99)
    expect(r.links.length).toBeGreaterThan(29)
    expect(r.run.nodeMeanLatencyMs).toHaveLength(30)
    expect(r.run.deliveryByHop[0]).toMatchObject({ hops: 1, ratio: 1 })
  })

  test('runSimulation — frames are never changed after sending: copying every frame gives the same run', async () => {
    const shared = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'bitchat-ios' })
    const copied = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'bitchat-ios', copyFrames: true })
    expect(copied.traceHash).toBe(shared.traceHash)
  })

  test('runSimulation — copyFrames really gives each receiver its own copy: a node that scribbles on what it received harms nobody', async () => {
    // tinyFloodNode sends one frame object on all its links; a receiver that zeroes it after handling
    // spoils it for the receivers after it unless each got a copy.
    const scribbler = tinyFloodNodeWith({ scribble: true })
    const clean = await runSimulation({ scenario: grid30, nodeFactory: tinyFloodNode })
    const copied = await runSimulation({ scenario: grid30, nodeFactory: scribbler, copyFrames: true })
    const shared = await runSimulation({ scenario: grid30, nodeFactory: scribbler })
    expect(copied.traceHash).toBe(clean.traceHash)
    expect(copied.summary.deliveryRatio).toBe(clean.summary.deliveryRatio)
    expect(shared.summary.deliveryRatio).toBeLessThan(clean.summary.deliveryRatio)
  })

  test('runSimulation — private traffic: each message to a node within TTL reach is shown there once and receipted, and the public traffic is drawn as without it', async () => {
    const traffic = { broadcastPerNodePerMinute: 1, privatePerNodePerMinute: 1 }
    const scenario = parseScenario({ seed: 5, durationSeconds: 60, topology: { kind: 'random', nodes: 60, meanDegree: 10 }, traffic, crypto: 'cheap' })
    const r = await runSimulation({ scenario, nodeFactory: meshNodeFactory, policy: 'adaptive' })
    const p = r.summary.private!
    // 60 nodes × 1 a minute × 40 s after the warm-up: about 40.
    expect(p.messages).toBeGreaterThan(20)
    expect(p).toMatchObject({ deliveryRatio: 1, receiptRatio: 1, misdelivered: 0 })
    expect(0 < p.latencyMs.p50 && p.latencyMs.p50 <= p.latencyMs.p95).toBe(true)
    expect(p.txPerMessage).toBeGreaterThan(0)
    expect(r.nodeStats['noise.handshakesCompleted']).toBeGreaterThan(0)
    const again = await runSimulation({ scenario, nodeFactory: meshNodeFactory, policy: 'adaptive' })
    expect(again.traceHash).toBe(r.traceHash)
    const publicOnly = await runSimulation({ scenario: { ...scenario, traffic: { broadcastPerNodePerMinute: 1 } }, nodeFactory: meshNodeFactory, policy: 'adaptive' })
    expect(publicOnly.summary.private).toBeUndefined()
    expect(publicOnly.nodeStats['noise.handshakesStarted']).toBe(0)
    expect(publicOnly.summary.messages).toBe(r.summary.messages)
    // The iOS rule (a directed relay is cancelled by the first further copy) loses some where adaptive's does not.
    const ios = (await runSimulation({ scenario, nodeFactory: meshNodeFactory, policy: 'bitchat-ios' })).summary.private!
    expect(ios.messages).toBe(p.messages)
    expect(ios.deliveryRatio).toBeLessThan(0.95)
  })

  test('runSimulation — policies of a comparison see the same topology and traffic', async () => {
    const a = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'flood' })
    const b = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'bitchat-ios' })
    expect(b.summary.messages).toBe(a.summary.messages)
    expect(Array.from(b.placement.xs)).toEqual(Array.from(a.placement.xs))
    expect(b.summary.txPerNodePerMessage).toBeLessThan(a.summary.txPerNodePerMessage)
  })

  test('runSimulation — at scale adaptive relays a sender\'s periodic announces about once a minute: far fewer control frames, every message still delivered', async () => {
    const scenario = parseScenario({
      seed: 3, durationSeconds: 150, topology: { kind: 'random', nodes: 120, meanDegree: 10 }, traffic: { broadcastPerNodePerMinute: 1 }, crypto: 'cheap',
    })
    const governed = (await runSimulation({ scenario, nodeFactory: meshNodeFactory, policy: 'adaptive' })).summary
    const ungoverned = (await runSimulation({ scenario, nodeFactory: meshNodeFactory, relayPolicy: createAdaptivePolicy({ announceGovernMinPeers: Infinity }, 'ungoverned') })).summary
    expect(ungoverned.policy).toBe('ungoverned')
    expect(governed.deliveryRatio).toBe(1)
    expect(ungoverned.deliveryRatio).toBe(1)
    expect(governed.controlTxPerNodePerMinute).toBeLessThan(0.6 * ungoverned.controlTxPerNodePerMinute)
    // Message frames barely move. They rise a little, because the router's two-hop skip learns its
    // neighbours' neighbours from relayed announces, and governed ones are relayed less often.
    expect(governed.txPerNodePerMessage).toBeGreaterThanOrEqual(ungoverned.txPerNodePerMessage)
    expect(governed.txPerNodePerMessage).toBeLessThan(1.05 * ungoverned.txPerNodePerMessage)
  }, 60_000)

  test('runSimulation — where nodes keep arriving, governed announces still go the way newcomers came for 20 s, and without that tail newcomers miss messages', async () => {
    // Governing from 16 known peers makes a 120-node mesh behave like the large ones; seeds 1–6 all show
    // the gap (96.6–99.8 % without the tail), seed 6 the widest.
    const scenario = parseScenario({
      seed: 6, durationSeconds: 80, arrivalSpreadSeconds: 40, topology: { kind: 'random', nodes: 120, meanDegree: 10 }, traffic: { broadcastPerNodePerMinute: 2 }, crypto: 'cheap',
    })
    const withTail = (await runSimulation({ scenario, nodeFactory: meshNodeFactory, relayPolicy: createAdaptivePolicy({ announceGovernMinPeers: 16 }) })).summary
    const without = (await runSimulation({ scenario, nodeFactory: meshNodeFactory, relayPolicy: createAdaptivePolicy({ announceGovernMinPeers: 16, towardsNewcomersMs: 0 }) })).summary
    expect(withTail.deliveryRatio).toBe(1)
    expect(without.deliveryRatio).toBeLessThan(0.99)
  }, 60_000)

  test('runSimulation — where iPhones and Android phones mix, relays that cut a long message share one stream: flood costs what it costs among iPhones alone', async () => {
    // 400-byte messages go whole on Android-sized links and in fragments on iPhone-sized ones. With a
    // random fragment ID per cut, the half-and-half mesh cost flood 96.6 frames a node against 23.8.
    const mesh = (profiles: Record<string, number>): Scenario => parseScenario({
      seed: 1, durationSeconds: 60, drainSeconds: 5, topology: { kind: 'random', nodes: 60, meanDegree: 10 },
      traffic: { broadcastPerNodePerMinute: 1, messageBytes: 400 }, radio: { profiles }, crypto: 'cheap',
    })
    const mixed = (await runSimulation({ scenario: mesh({ phone: 0.5, android: 0.5 }), nodeFactory: meshNodeFactory, policy: 'flood' })).summary
    const iphones = (await runSimulation({ scenario: mesh({ phone: 1 }), nodeFactory: meshNodeFactory, policy: 'flood' })).summary
    expect(mixed.deliveryRatio).toBe(1)
    expect(mixed.duplicatesDelivered).toBe(0)
    expect(mixed.txPerNodePerMessage).toBeLessThan(1.1 * iphones.txPerNodePerMessage)
  }, 60_000)

  test('runSimulation — nodes with clocks days off (Pis without a real-time clock) take the mesh\'s time, and messages still arrive', async () => {
    const scenario = parseScenario({
      seed: 8, durationSeconds: 90, topology: { kind: 'random', nodes: 60, meanDegree: 10 }, traffic: { broadcastPerNodePerMinute: 2, privatePerNodePerMinute: 0.5 },
      clocks: { skewedFraction: 0.2, maxSkewSeconds: 3 * 86_400 }, crypto: 'cheap',
    })
    const made: Array<{ node: SimNode, clock: Clock }> = []
    const r = await runSimulation({ scenario, policy: 'adaptive', nodeFactory: ctx => { const node = meshNodeFactory(ctx); made.push({ node, clock: ctx.clock }); return node } })
    const truth = made.map(m => m.clock.now()).sort((a, b) => a - b)[made.length >> 1]! // most clocks are right
    const nodes = made.map(m => ({ skew: m.clock.now() - truth, stats: (m.node as MeshNode).stats() }))
    const skewed = nodes.filter(x => x.skew !== 0)
    expect(skewed.length).toBe(12)
    for (const { skew, stats } of nodes) {
      if (skew === 0) expect(stats.clockOffsetMs).toBe(0)
      else expect(Math.abs(stats.clockOffsetMs + skew)).toBeLessThan(1_000)
    }
    expect(skewed.filter(x => x.stats.holding.links === 1)).toHaveLength(1) // a leaf: it follows its one link
    expect(r.summary.deliveryRatio).toBeGreaterThanOrEqual(0.99)
    expect(r.summary.private).toMatchObject({ deliveryRatio: 1, receiptRatio: 1 })
    const plain = await runSimulation({ scenario: { ...scenario, clocks: { skewedFraction: 0, maxSkewSeconds: 0 } }, nodeFactory: meshNodeFactory, policy: 'adaptive' })
    expect(plain.nodeStats['dropped.stale']).toBe(0)
  })

  test.each([1, 4, 5])('runSimulation — a line of eight nodes, three quarters of them days behind, all end on the right time (seed %i)', async (seed) => {
    // The first mesh-time rule (a majority either way, a lone link always) left these three seeds split
    // between wrong clocks, right ones pulled back among them, at 44–52 % delivery.
    const scenario = parseScenario({ seed, durationSeconds: 120, topology: { kind: 'line', nodes: 8 }, traffic: { broadcastPerNodePerMinute: 4 }, clocks: { skewedFraction: 0.75, maxSkewSeconds: 3 * 86_400 }, crypto: 'cheap' })
    const made: Array<{ node: SimNode, clock: Clock }> = []
    const r = await runSimulation({ scenario, policy: 'adaptive', nodeFactory: ctx => { const node = meshNodeFactory(ctx); made.push({ node, clock: ctx.clock }); return node } })
    const truth = SIM_EPOCH_MS + (120 + DEFAULT_DRAIN_SECONDS) * 1000
    const behind = made.map(m => Math.round((m.clock.now() - truth) / 1000))
    expect(behind.filter(s => s < 0).length).toBeGreaterThanOrEqual(5)
    expect(made.map(m => Math.abs(m.clock.now() + (m.node as MeshNode).stats().clockOffsetMs - truth) < 1_000)).toEqual(made.map(() => true))
    expect(r.summary.deliveryRatio).toBe(1)
  })

  test('runSimulation — arrivalSpreadSeconds switches nodes on over time, deterministically', async () => {
    const base = { seed: 5, durationSeconds: 30, topology: { kind: 'grid', nodes: 40 }, traffic: { broadcastPerNodePerMinute: 1 }, crypto: 'cheap' }
    const together = await runSimulation({ scenario: parseScenario(base), nodeFactory: meshNodeFactory })
    // Spread over 20× the run: about one node in twenty is on by the end, so few links ever form.
    const spread = parseScenario({ ...base, arrivalSpreadSeconds: 600 })
    const a = await runSimulation({ scenario: spread, nodeFactory: meshNodeFactory })
    const b = await runSimulation({ scenario: spread, nodeFactory: meshNodeFactory })
    expect(a.traceHash).toBe(b.traceHash)
    expect(together.linkChurn.opened).toBeGreaterThan(40)
    expect(a.linkChurn.opened).toBeLessThan(together.linkChurn.opened / 5)
  })

  test('runSimulation — the real crypto provider runs a small mesh', async () => {
    const scenario = parseScenario({ seed: 2, durationSeconds: 30, topology: { kind: 'grid', nodes: 9 }, traffic: { broadcastPerNodePerMinute: 4 }, crypto: 'real' })
    const r = await runSimulation({ scenario, nodeFactory: meshNodeFactory, policy: 'flood', realCrypto: nodeCrypto })
    expect(r.cryptoUsed).toBe(nodeCrypto.name)
    expect(r.summary.duplicatesDelivered).toBe(0)
    expect(r.summary.deliveryRatio).toBeGreaterThan(0.95)
  })

  test('runSimulation — random waypoint gets the scenario\'s speed and pause: fast walkers that pause for a day stand still at their first waypoint', async () => {
    const finalPlaces = async (durationSeconds: number, mobility: Record<string, number | string>): Promise<number[]> => {
      const scenario = parseScenario({ seed: 9, durationSeconds, drainSeconds: 0, topology: { kind: 'random', nodes: 10, meanDegree: 4 }, traffic: { broadcastPerNodePerMinute: 0 }, mobility })
      const { placement } = await runSimulation({ scenario, nodeFactory: tinyFloodNode })
      return [...placement.xs, ...placement.ys]
    }
    // A 44 m square: at 25–75 m/s every node reaches its first waypoint within two 1 s ticks.
    const walkers = { kind: 'random-waypoint', speed: 50, pauseSeconds: 86_400 }
    const arrived = await finalPlaces(3, walkers)
    expect(arrived).not.toEqual(await finalPlaces(3, { kind: 'static' }))
    expect(await finalPlaces(60, walkers)).toEqual(arrived)
    // Without a speed they stroll (DEFAULT_SPEED_MPS, 0.7–2.1 m/s) and are still on their way.
    const strollers = { kind: 'random-waypoint', pauseSeconds: 86_400 }
    expect(await finalPlaces(10, strollers)).not.toEqual(await finalPlaces(5, strollers))
  })

  test('runSimulation — mobility breaks and re-forms links; churn restarts nodes; the run stays deterministic', async () => {
    const scenario = parseScenario({
      seed: 5, durationSeconds: 90, topology: { kind: 'random', nodes: 40, meanDegree: 8 }, traffic: { broadcastPerNodePerMinute: 2 },
      mobility: { kind: 'random-waypoint', speed: 3 }, churn: { crashesPerNodePerHour: 20, leavesPerNodePerHour: 20, restartAfterSeconds: 10 }, crypto: 'cheap',
    })
    const a = await runSimulation({ scenario, nodeFactory: tinyFloodNode, policy: 'flood' })
    const b = await runSimulation({ scenario, nodeFactory: tinyFloodNode, policy: 'flood' })
    expect(a.traceHash).toBe(b.traceHash)
    expect(a.linkChurn.broken).toBeGreaterThan(0)
    expect(a.linkChurn.opened).toBeGreaterThan(a.links.length)
    expect(a.summary.duplicatesDelivered).toBe(0)
  })

  describe('churn', () => {
    const churnRun = async (churn?: Scenario['churn']): Promise<{ lives: Life[], stops: Life[], restarts: Life[] }> => {
      const lives: Life[] = []
      const scenario = parseScenario({
        seed: 3, durationSeconds: 120, drainSeconds: 10, topology: { kind: 'grid', nodes: 30 }, traffic: { broadcastPerNodePerMinute: 0 }, crypto: 'cheap',
        ...(churn === undefined ? {} : { churn }),
      })
      await runSimulation({ scenario, nodeFactory: recordingLives(lives) })
      return { lives, stops: lives.filter(l => l.stoppedAt !== null), restarts: lives.filter(l => previousLife(lives, l) !== undefined) }
    }

    // 30 nodes × 2 minutes at 60 ends a node-hour: ≈ 50 ends, since a node switched off cannot end again
    // (seeds 3–5 give 37–58). Churn stops with the traffic; the drain's 10 s only let nodes come back.
    test.each([
      { name: 'none', churn: undefined, stops: [0, 0], restarts: [0, 0], gracefulShare: [0, 1] },
      { name: 'graceful leaves, back after 10 s', churn: { leavesPerNodePerHour: 60, restartAfterSeconds: 10 }, stops: [25, 80], restarts: [25, 80], gracefulShare: [1, 1] },
      { name: 'crashes, back after 10 s (a crash is never a stop)', churn: { crashesPerNodePerHour: 60, restartAfterSeconds: 10 }, stops: [0, 0], restarts: [25, 80], gracefulShare: [0, 0] },
      { name: 'a quarter leaves, three quarters crashes', churn: { leavesPerNodePerHour: 15, crashesPerNodePerHour: 45, restartAfterSeconds: 10 }, stops: [4, 30], restarts: [25, 80], gracefulShare: [0.1, 0.4] },
      { name: 'leaves for good (each node at most once)', churn: { leavesPerNodePerHour: 60 }, stops: [18, 30], restarts: [0, 0], gracefulShare: [0, 1] },
    ])('runSimulation — churn: $name', async ({ churn, stops, restarts, gracefulShare }) => {
      const r = await churnRun(churn)
      expect(r.lives.length - r.restarts.length).toBe(30)
      expect(r.stops.length).toBeGreaterThanOrEqual(stops[0]!)
      expect(r.stops.length).toBeLessThanOrEqual(stops[1]!)
      expect(r.restarts.length).toBeGreaterThanOrEqual(restarts[0]!)
      expect(r.restarts.length).toBeLessThanOrEqual(restarts[1]!)
      const start = Math.min(...r.lives.map(l => l.startedAt))
      for (const stop of r.stops) expect(stop.stoppedAt! - start).toBeLessThan(120_000)
      const afterStop = r.restarts.filter(l => previousLife(r.lives, l)!.stoppedAt !== null)
      // A node that left comes back exactly restartAfterSeconds later, and one life at a time.
      for (const life of afterStop) expect(life.startedAt - previousLife(r.lives, life)!.stoppedAt!).toBe(10_000)
      if (r.restarts.length > 0) {
        const share = afterStop.length / r.restarts.length
        expect(share).toBeGreaterThanOrEqual(gracefulShare[0]!)
        expect(share).toBeLessThanOrEqual(gracefulShare[1]!)
      }
    })

    test.each([
      ['leaves', { leavesPerNodePerHour: 60, restartAfterSeconds: 10 }],
      ['crashes', { crashesPerNodePerHour: 60, restartAfterSeconds: 10 }],
    ])('runSimulation — churn: a node that %s comes back with the pins it had, as a real node reads them from its store', async (_, churn) => {
      const scenario = parseScenario({ seed: 3, durationSeconds: 120, topology: { kind: 'grid', nodes: 30 }, traffic: { broadcastPerNodePerMinute: 0 }, crypto: 'cheap', churn })
      const given: Array<{ node: number, pins: string[] | undefined, holds: string[] }> = []
      const kept: Array<{ node: number, pins: string[] }> = []
      const names = (pins: Array<[string, unknown]>): string[] => pins.map(([id]) => id)
      await runSimulation({
        scenario,
        nodeFactory: ctx => {
          const node = meshNodeFactory(ctx)
          const pinnedPeers = node.pinnedPeers!.bind(node)
          given.push({ node: ctx.index, pins: ctx.pins === undefined ? undefined : names(ctx.pins), holds: names(pinnedPeers()) })
          return Object.assign(node, { pinnedPeers: () => { const pins = pinnedPeers(); kept.push({ node: ctx.index, pins: names(pins) }); return pins } })
        },
      })
      const restarts = given.filter((g, i) => given.findIndex(e => e.node === g.node) !== i)
      expect(restarts.length).toBeGreaterThan(20)
      expect(given.filter(g => !restarts.includes(g)).every(g => g.pins === undefined)).toBe(true)
      // A node's k-th comeback gets the pins taken when it went down the k-th time.
      for (let node = 0; node < 30; node++) {
        const back = restarts.filter(r => r.node === node).map(r => r.pins)
        const down = kept.filter(k => k.node === node).map(k => k.pins)
        expect(back).toEqual(down.slice(0, back.length))
      }
      expect(restarts.every(r => r.pins!.length > 0)).toBe(true)
      // ...and holds them from its first moment.
      expect(restarts.every(r => r.holds.join() === r.pins!.join())).toBe(true)
    })

    test('runSimulation — churn picks only nodes that are on: one still to arrive neither crashes nor comes back before its time', async () => {
      const lives: Life[] = []
      const scenario = parseScenario({
        seed: 3, durationSeconds: 120, arrivalSpreadSeconds: 100, topology: { kind: 'grid', nodes: 30 }, traffic: { broadcastPerNodePerMinute: 0 },
        churn: { crashesPerNodePerHour: 120, leavesPerNodePerHour: 60, restartAfterSeconds: 5 }, crypto: 'cheap',
      })
      await runSimulation({ scenario, nodeFactory: recordingLives(lives) })
      const first = new Map<number, number>()
      for (const life of lives) if (!first.has(life.node)) first.set(life.node, life.startedAt)
      expect(first.size).toBe(30)
      expect(lives.length).toBeGreaterThan(50)
      // A node's first life is its arrival: no restart came before it.
      for (const life of lives) expect(life.startedAt).toBeGreaterThanOrEqual(first.get(life.node)!)
      expect(lives.filter(l => l.startedAt === first.get(l.node))).toHaveLength(30)
    })

    test('runSimulation — a restarted node that hands its app old messages again is no dedup failure; a node that does so within one life is', async () => {
      const scenario = parseScenario({
        seed: 4, durationSeconds: 120, topology: { kind: 'grid', nodes: 30 }, traffic: { broadcastPerNodePerMinute: 4 },
        churn: { crashesPerNodePerHour: 60, restartAfterSeconds: 5 }, crypto: 'cheap',
      })
      // Like a phone that shows its stored chat again after a restart.
      const history = new Map<number, string[]>()
      let replayed = 0
      const replaying: SimNodeFactory = ctx => {
        const texts = history.get(ctx.index) ?? []
        history.set(ctx.index, texts)
        const earlier = [...texts]
        const node = tinyFloodNode({ ...ctx, deliver (text) { texts.push(text); ctx.deliver(text) } })
        return { ...node, start: () => { for (const text of earlier) { replayed++; ctx.deliver(text) } return node.start() } }
      }
      const twice: SimNodeFactory = ctx => tinyFloodNode({ ...ctx, deliver (text) { ctx.deliver(text); ctx.deliver(text) } })
      const plain = await runSimulation({ scenario, nodeFactory: tinyFloodNode })
      const replay = await runSimulation({ scenario, nodeFactory: replaying })
      expect(replayed).toBeGreaterThan(100)
      expect(withoutTiming(replay.summary)).toEqual(withoutTiming(plain.summary))
      expect((await runSimulation({ scenario, nodeFactory: twice })).summary.duplicatesDelivered).toBeGreaterThan(100)
    })
  })

  test.each([
    { name: 'auto, small mesh, real provider given', scenario: undefined, option: undefined, nodes: 9, real: true, used: 'real' },
    { name: 'auto at the bound', scenario: undefined, option: undefined, nodes: 50, real: true, used: 'real' },
    { name: 'auto above the bound', scenario: undefined, option: undefined, nodes: 51, real: true, used: 'cheap' },
    { name: 'auto, no real provider given', scenario: undefined, option: undefined, nodes: 9, real: false, used: 'cheap' },
    { name: 'scenario cheap', scenario: 'cheap', option: undefined, nodes: 9, real: true, used: 'cheap' },
    { name: 'scenario real', scenario: 'real', option: undefined, nodes: 60, real: true, used: 'real' },
    { name: 'option overrides scenario', scenario: 'real', option: 'cheap', nodes: 9, real: true, used: 'cheap' },
  ] as const)('runSimulation — crypto: $name → $used', async ({ scenario, option, nodes, real, used }) => {
    const s = parseScenario({ seed: 1, durationSeconds: 1, topology: { kind: 'grid', nodes }, traffic: { broadcastPerNodePerMinute: 0 }, ...(scenario === undefined ? {} : { crypto: scenario }) })
    const r = await runSimulation({ scenario: s, nodeFactory: tinyFloodNode, ...(option === undefined ? {} : { crypto: option }), ...(real ? { realCrypto: nodeCrypto } : {}) })
    expect(r.cryptoUsed).toBe(used === 'real' ? nodeCrypto.name : 'cheap-sim')
  })

  test('runSimulation — crypto real without a real provider is an error, not a quiet fallback', async () => {
    const s = parseScenario({ seed: 1, durationSeconds: 1, topology: { kind: 'grid', nodes: 4 }, traffic: { broadcastPerNodePerMinute: 0 }, crypto: 'real' })
    await expect(runSimulation({ scenario: s, nodeFactory: tinyFloodNode })).rejects.toThrow(/no real provider/)
  })

  test.each([
    { messageBytes: undefined, lengths: [DEFAULT_MESSAGE_BYTES] },
    { messageBytes: 150, lengths: [150] },
    { messageBytes: 8, lengths: [8] },
  ])('runSimulation — traffic.messageBytes $messageBytes: messages of $lengths characters', async ({ messageBytes, lengths }) => {
    const sent = new Set<number>()
    const factory: SimNodeFactory = ctx => {
      const node = tinyFloodNode(ctx)
      return { ...node, sendPublic: (text: string) => { sent.add(text.length); return node.sendPublic(text) } }
    }
    const s = parseScenario({ seed: 1, durationSeconds: 60, warmupSeconds: 1, topology: { kind: 'grid', nodes: 9 }, traffic: { broadcastPerNodePerMinute: 4, ...(messageBytes === undefined ? {} : { messageBytes }) } })
    const r = await runSimulation({ scenario: s, nodeFactory: factory })
    expect(r.summary.messages).toBeGreaterThan(20)
    expect([...sent].sort((a, b) => a - b)).toEqual(lengths)
  })

  test('runSimulation — texts that are not the simulation\'s numbered messages are delivered to nobody\'s count', async () => {
    const chatty: SimNodeFactory = ctx => {
      const node = tinyFloodNode(ctx)
      return { ...node, start: () => { ctx.deliver('hello'); ctx.deliver(' #1 not at the start'); return node.start() } }
    }
    const plain = await runSimulation({ scenario: grid30, nodeFactory: tinyFloodNode })
    const r = await runSimulation({ scenario: grid30, nodeFactory: chatty })
    expect(withoutTiming(r.summary)).toEqual(withoutTiming(plain.summary))
  })

  test('runSimulation — nodeStats sums every life\'s numbers by dotted path, those of departed nodes included, and skips the rest', async () => {
    const lives: Life[] = []
    const withStats: SimNodeFactory = ctx => ({
      ...tinyFloodNode(ctx),
      stats: () => ({ lives: 1, nested: { index: ctx.index, deeper: { two: 2 } }, list: [5], name: 'n', none: null, flag: true }),
    })
    const scenario = parseScenario({ seed: 3, durationSeconds: 60, topology: { kind: 'grid', nodes: 10 }, traffic: { broadcastPerNodePerMinute: 0 }, churn: { leavesPerNodePerHour: 120, crashesPerNodePerHour: 60, restartAfterSeconds: 5 } })
    const r = await runSimulation({ scenario, nodeFactory: recordingLives(lives, withStats) })
    expect(lives.length).toBeGreaterThan(15)
    expect(r.nodeStats).toEqual({ lives: lives.length, 'nested.index': lives.reduce((sum, l) => sum + l.node, 0), 'nested.deeper.two': 2 * lives.length, 'list.0': 5 * lives.length })
  })

  test('runSimulation — transmissions over time cover the whole run in TX_BUCKETS buckets, and the control rate is per virtual minute of it', async () => {
    const r = await runSimulation({ scenario: grid30, nodeFactory: meshNodeFactory, policy: 'flood' })
    const tx = r.run.txOverTime
    const runSeconds = 60 + 10
    expect(tx.bucketSeconds * TX_BUCKETS).toBeCloseTo(runSeconds, 9)
    expect(tx.control).toHaveLength(TX_BUCKETS)
    const control = tx.control.reduce((a, b) => a + b, 0)
    expect(control).toBeGreaterThan(0)
    expect(r.summary.controlTxPerNodePerMinute).toBeCloseTo(control / 30 / (runSeconds / 60), 9)
    // Frames keep flowing to the end (announces): the last bucket is no catch-all for a short bucket size.
    expect(tx.control.at(-1)! + tx.application.at(-1)!).toBeLessThan(0.2 * control)
  })

  test('runSimulation — the timing fields: wall time within the call, rates over it, peak RSS within the process\'s', async () => {
    const rssBefore = process.memoryUsage().rss
    const t0 = performance.now()
    const r = await runSimulation({ scenario: grid30, nodeFactory: tinyFloodNode })
    const elapsed = (performance.now() - t0) / 1000
    const s = r.summary
    expect(s.wallSeconds).toBeGreaterThan(0)
    expect(s.wallSeconds).toBeLessThanOrEqual(elapsed + 0.001)
    expect(s.receptions).toBeGreaterThan(1000)
    // The rates use the unrounded wall time; wallSeconds is rounded to the millisecond.
    expect(Math.abs(s.receptionsPerSecond * s.wallSeconds - s.receptions)).toBeLessThanOrEqual(0.0005 * s.receptionsPerSecond + 1)
    expect(Math.abs(s.eventsPerSecond * s.wallSeconds - s.events)).toBeLessThanOrEqual(0.0005 * s.eventsPerSecond + 1)
    expect(s.peakRssMb).toBeGreaterThanOrEqual(Math.floor(0.8 * rssBefore / 1_048_576))
    expect(s.peakRssMb).toBeLessThanOrEqual(Math.ceil(process.resourceUsage().maxRSS / 1024))
  })

  test.each(Object.keys(DEFAULT_RADIO) as Array<keyof RadioParams>)('radioParamsOf — radio.%s overrides that default alone', key => {
    const value = DEFAULT_RADIO[key] - 3
    expect(radioParamsOf({ ...grid30, radio: { [key]: value } })).toEqual({ ...DEFAULT_RADIO, [key]: value })
    expect(radioParamsOf(grid30)).toEqual(DEFAULT_RADIO)
  })

  test.each<{ name: string, radio?: Scenario['radio'], counts: Record<string, number | number[]>, maxLinks: number }>([
    { name: 'no radio: phones', radio: undefined, counts: { phone: 400 }, maxLinks: 7 },
    { name: 'one profile', radio: { profile: 'pi' }, counts: { pi: 400 }, maxLinks: 6 },
    { name: 'a link cap for every profile', radio: { profile: 'android', maxLinks: 3 }, counts: { android: 400 }, maxLinks: 3 },
    { name: 'a profile with no share is never picked', radio: { profiles: { android: 0, phone: 1 } }, counts: { phone: 400 }, maxLinks: 7 },
    { name: 'shares by weight, not order', radio: { profiles: { phone: 1, android: 3 } }, counts: { phone: [70, 130], android: [270, 330] }, maxLinks: 7 },
    { name: 'three shares', radio: { profiles: { phone: 1, android: 1, pi: 2 } }, counts: { phone: [70, 130], android: [70, 130], pi: [170, 230] }, maxLinks: 0 /* the profiles' own */ },
  ])('radioOf — $name', ({ radio, counts, maxLinks }) => {
    const scenario: Scenario = { ...grid30, topology: { kind: 'grid', nodes: 400 }, ...(radio === undefined ? {} : { radio }) }
    const { profiles } = radioOf(scenario, new SeededRandom(1))
    expect(profiles).toHaveLength(400)
    const seen: Record<string, number> = {}
    for (const p of profiles) seen[p.name] = (seen[p.name] ?? 0) + 1
    expect(Object.keys(seen).sort()).toEqual(Object.keys(counts).sort())
    for (const [name, want] of Object.entries(counts)) {
      if (typeof want === 'number') expect(seen[name]).toBe(want)
      else { expect(seen[name]).toBeGreaterThanOrEqual(want[0]!); expect(seen[name]).toBeLessThanOrEqual(want[1]!) }
    }
    if (maxLinks > 0) expect(new Set(profiles.map(p => p.maxLinks))).toEqual(new Set([maxLinks]))
    // Apart from the cap, each node has its named profile as it is.
    for (const p of profiles) expect({ ...p, maxLinks: PROFILES[p.name]!.maxLinks }).toEqual(PROFILES[p.name])
  })

  test('radioOf — a scenario built by hand whose profile fractions add up to 0 is a ScenarioError, as parseScenario would say', () => {
    const scenario: Scenario = { ...grid30, radio: { profiles: { phone: 0, laptop: 0 } } }
    expect(() => radioOf(scenario, new SeededRandom(1))).toThrow(ScenarioError)
  })
})
