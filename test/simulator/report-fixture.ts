// Synthetic ReportData for the report's tests: plausible shapes (a random geometric graph, latencies that grow
// with distance, delivery that falls with hops), all drawn from one seed so a failure can be replayed.
import { SeededRandom } from '../../src/prng.js'
import type { ReportData, ReportPolicyRun, SimSummary } from '../../simulator/report-data.js'

export const DEFAULT_POLICIES = ['flood', 'bitchat-ios', 'bitchat-android', 'adaptive']

export interface FixtureOptions {
  seed: number
  nodes: number
  meanDegree?: number
  policies?: readonly string[]
  durationSeconds?: number
  title?: string
}

/** The seed tests use, overridable to replay a failure (house rule: BLEMESH_SEED). */
export function testSeed (fallback: number): number {
  const env = process.env.BLEMESH_SEED
  return env === undefined || env === '' ? fallback : Number(env)
}

export function syntheticReport (o: FixtureOptions): ReportData {
  const rnd = new SeededRandom(o.seed)
  const policies = o.policies ?? DEFAULT_POLICIES
  const durationSeconds = o.durationSeconds ?? 600
  const meanDegree = o.meanDegree ?? 8
  // A square sized so that ~meanDegree nodes fall within radio range of each other.
  const range = 30
  const side = Math.max(range, Math.sqrt(o.nodes * Math.PI * range * range / meanDegree))
  const nodes = Array.from({ length: o.nodes }, () => ({ x: rnd.next() * side, y: rnd.next() * side }))
  const links = geometricLinks(nodes, range)
  const degree = new Array<number>(o.nodes).fill(0)
  for (const [a, b] of links) { degree[a]!++; degree[b]!++ }
  const centre = side / 2

  const runs: ReportPolicyRun[] = policies.map((policy, p) => {
    const r = rnd.fork(policy)
    const loss = 0.002 + 0.01 * p
    const hopMs = 40 + 25 * p
    const maxHops = 7
    const deliveryByHop = Array.from({ length: maxHops }, (_, h) => ({
      hops: h + 1,
      ratio: Math.max(0, 1 - loss * (h + 1) - r.next() * 0.005),
      count: Math.max(1, Math.round(o.nodes * 20 / (h + 2))),
    }))
    const samples = Array.from({ length: 1000 }, () => hopMs * (1 + r.int(maxHops)) * (0.6 + r.next() * 0.8)).sort((a, b) => a - b)
    const latencyCdf: Array<[number, number]> = []
    for (let i = 4; i < samples.length; i += 5) latencyCdf.push([samples[i]!, (i + 1) / samples.length])
    const bucketSeconds = 10
    const buckets = Math.ceil(durationSeconds / bucketSeconds)
    const txOverTime = {
      bucketSeconds,
      application: Array.from({ length: buckets }, (_, k) => Math.round(o.nodes * (3 - p * 0.5) * (1 + 0.3 * Math.sin(k / 6)) * (0.95 + r.next() * 0.1))),
      control: Array.from({ length: buckets }, (_, k) => Math.round(o.nodes * (k < 3 ? 6 : 1.5) * (0.8 + r.next() * 0.4))),
    }
    const nodeMeanLatencyMs = nodes.map((n, i) => degree[i] === 0
      ? null
      : hopMs * (1 + Math.hypot(n.x - centre, n.y - centre) / range) * (0.8 + r.next() * 0.4))
    const summary: SimSummary = {
      nodes: o.nodes,
      messages: Math.round(o.nodes * durationSeconds / 600),
      policy,
      deliveryRatio: 1 - loss,
      deliveryRatioAll: 1 - loss * 2,
      txPerNodePerMessage: meanDegree - 1 - p * 1.8,
      controlTxPerNodePerMinute: 12 - p,
      usefulness: 0.2 + p * 0.15,
      latencyMs: { p50: samples[500]!, p95: samples[950]!, p99: samples[990]! },
      hopLatencyMs: { p50: hopMs, p95: hopMs * 1.6 },
      duplicatesDelivered: 0,
      events: o.nodes * 1000,
      eventsPerSecond: 450_000 + r.int(100_000),
      receptions: o.nodes * 700,
      receptionsPerSecond: 320_000 + r.int(100_000),
      wallSeconds: o.nodes / 400,
      peakRssMb: 80 + o.nodes / 20,
    }
    return { summary, deliveryByHop, latencyCdf, txOverTime, nodeMeanLatencyMs }
  })

  return {
    title: o.title ?? `Synthetic report, ${o.nodes} nodes`,
    scenario: { seed: o.seed, durationSeconds, topology: 'random', areaMetres: Math.round(side) },
    nodes,
    links,
    runs,
  }
}

/** Pairs closer than `range`, found through a grid of range-sized cells (quadratic is too slow at 10 000). */
function geometricLinks (nodes: ReadonlyArray<{ x: number, y: number }>, range: number): Array<[number, number]> {
  const cells = new Map<string, number[]>()
  nodes.forEach((n, i) => {
    const key = `${Math.floor(n.x / range)},${Math.floor(n.y / range)}`
    const cell = cells.get(key)
    if (cell === undefined) cells.set(key, [i]); else cell.push(i)
  })
  const links: Array<[number, number]> = []
  nodes.forEach((n, i) => {
    const cx = Math.floor(n.x / range)
    const cy = Math.floor(n.y / range)
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const j of cells.get(`${cx + dx},${cy + dy}`) ?? []) {
          if (j > i && Math.hypot(nodes[j]!.x - n.x, nodes[j]!.y - n.y) < range) links.push([i, j])
        }
      }
    }
  })
  return links
}
