// `npm run bench:sim`: the simulator's figures, from the compiled code (`tsconfig.bench.json`), as `blemesh
// sim` runs: under tsx, esbuild's keepNames gave every closure a property array (4 % CPU, ~15 KB a node).
// Each run is a child process of its own, so its peak RSS is its own. Lines: `sim receptions` (1 000 nodes, storm-heavy), `sim receptions city block <policy>` (steady
// chat traffic, the median of three runs and their range), then per size wall time, peak RSS, real-time factor, the announce share of link frames,
// receptions and delivery. 100 000 nodes only with BLEMESH_BENCH_100K=1: it took 5.0 CPU-hours and
// 21.2 GB here (README). `--print 'RESULT {…}'` prints the lines of a child run made alone. Receptions
// per second are per CPU-second of the process (user + system), so they mean "per core" even on a busy
// machine; wall time is wall time.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { report } from './harness.js'
import { defaultScenario } from '../simulator/default-scenario.js'
import { meshNodeFactory } from '../simulator/mesh-node.js'
import { parseScenario } from '../simulator/scenario.js'
import { runSimulation } from '../simulator/simulation.js'
import { DEFAULT_POLICY } from '../simulator/policies.js'

/** Issue "Simulator": degree ≈ 10, Bitchat-default announces, 1 message per node per 10 minutes. */
const MEAN_DEGREE = 10
const BROADCASTS_PER_NODE_PER_MINUTE = 0.1
/** A run size; `heapMb` overrides CHILD_HEAP_MB. */
interface Size { nodes: number, seconds: number, heapMb?: number }
const SIZES: Size[] = [
  { nodes: 100, seconds: 300 },
  { nodes: 1_000, seconds: 300 },
  { nodes: 3_000, seconds: 300 },
  { nodes: 10_000, seconds: 300, heapMb: 900 },
]
const HUGE: Size = { nodes: 100_000, seconds: 60 }
/** The receptions/s figure: a mid-size run with the full router and link model. */
const RECEPTIONS_RUN = { nodes: 1_000, seconds: 60 }
/**
 * The same figure on steady chat traffic: `npm start`'s city block (100 phones, 10 virtual minutes, a
 * message per phone per minute, cheap crypto). There most receptions are copies of messages, which the
 * router drops from the header; in RECEPTIONS_RUN most of the cost is the start-up storm's first copies of
 * announces (accepted, decided, relayed). The two bound what a reception costs.
 */
const STEADY_POLICIES = ['flood', 'adaptive']
/**
 * Each city-block child runs this many times and the line gives the median: one run takes ~6 CPU-seconds,
 * and on this VM repeated runs of one build have differed by up to 40 %. The range follows on its own line.
 */
const STEADY_RUNS = 3
/** How often a child prints a progress line (ms of wall time). */
const PROGRESS_LINE_MS = 30_000
/**
 * V8's old-space ceiling for a child, MB: high enough that a run over the 2 GB goal still finishes and is
 * measured. A size may set its own. Under a high ceiling, V8 on a machine with more than 2 GB lets the
 * heap grow to up to 4× its live set between full collections. The 10 000-node start-up storm holds about
 * 650 MB live (forced-collection samples every 0.4 virtual s), so its 900 MB leaves 1.4× room, paid for
 * with more collections. The smaller sizes have no memory goal and run under this one.
 */
const CHILD_HEAP_MB = 16_000

interface ChildResult { nodes: number, virtualSeconds: number, wallSeconds: number, cpuSeconds: number, peakRssMb: number, heapLimitMb: number, receptions: number, announceShare: number, summary: unknown }

async function child (nodes: number, seconds: number): Promise<void> {
  const scenario = parseScenario({
    seed: 1,
    durationSeconds: seconds,
    drainSeconds: 0,
    warmupSeconds: Math.min(20, seconds / 4),
    topology: { kind: 'random', nodes, meanDegree: MEAN_DEGREE },
    traffic: { broadcastPerNodePerMinute: BROADCASTS_PER_NODE_PER_MINUTE },
    crypto: 'cheap',
  })
  const cpu0 = process.cpuUsage()
  // A plain progress line on stderr now and then: the large sizes run for many minutes.
  let lastLine = performance.now()
  const onProgress = (fraction: number): void => {
    const now = performance.now()
    if (now - lastLine < PROGRESS_LINE_MS) return
    lastLine = now
    process.stderr.write(`sim bench ${nodes} nodes: ${(fraction * 100).toFixed(1)} % of virtual time, rss ${Math.round(process.memoryUsage().rss / 1_048_576)} MB\n`)
  }
  const r = await runSimulation({ scenario, nodeFactory: meshNodeFactory, policy: DEFAULT_POLICY, onProgress })
  const cpu = process.cpuUsage(cpu0)
  const framesOut = r.nodeStats.framesOut ?? 0
  const result: ChildResult = {
    nodes,
    virtualSeconds: seconds,
    wallSeconds: r.summary.wallSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: r.summary.peakRssMb,
    heapLimitMb: r.heapLimitMb,
    receptions: r.summary.receptions,
    announceShare: framesOut === 0 ? 0 : (r.nodeStats['framesOutByType.announce'] ?? 0) / framesOut,
    summary: r.summary,
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
}

function spawnRun (nodes: number, seconds: number, heapMb = CHILD_HEAP_MB): ChildResult {
  return spawnChild(['--child', String(nodes), String(seconds)], heapMb, `${nodes} nodes`) as ChildResult
}

/** Runs this file again with `args` and returns the object its RESULT line carries. */
function spawnChild (args: string[], heapMb: number, what: string): unknown {
  const self = fileURLToPath(import.meta.url)
  const tsx = self.endsWith('.ts') ? ['--import', 'tsx'] : [] // run directly with tsx, this file is still TypeScript
  const out = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, ...tsx, self, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] })
  const line = out.stdout.split('\n').find(l => l.startsWith('RESULT '))
  if (out.status !== 0 || line === undefined) throw new Error(`sim bench child for ${what} failed (status ${out.status}, signal ${out.signal})`)
  return JSON.parse(line.slice('RESULT '.length))
}

interface SteadyResult { receptions: number, cpuSeconds: number, deliveryRatio: number }

async function steadyChild (policy: string): Promise<void> {
  const cpu0 = process.cpuUsage()
  const r = await runSimulation({ scenario: defaultScenario(), nodeFactory: meshNodeFactory, policy, crypto: 'cheap' })
  const cpu = process.cpuUsage(cpu0)
  const result: SteadyResult = { receptions: r.summary.receptions, cpuSeconds: (cpu.user + cpu.system) / 1e6, deliveryRatio: r.summary.deliveryRatio }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
}

export async function run (): Promise<void> {
  const r = spawnRun(RECEPTIONS_RUN.nodes, RECEPTIONS_RUN.seconds)
  report('sim receptions', r.receptions / r.cpuSeconds, 'receptions/s')
  for (const policy of STEADY_POLICIES) {
    const runs = Array.from({ length: STEADY_RUNS }, () => spawnChild(['--steady', policy], CHILD_HEAP_MB, `the city block (${policy})`) as SteadyResult)
    const rates = runs.map(s => s.receptions / s.cpuSeconds).sort((a, b) => a - b)
    report(`sim receptions city block ${policy}`, rates[Math.floor(rates.length / 2)]!, 'receptions/s')
    report(`sim receptions city block ${policy} slowest`, rates[0]!, 'receptions/s')
    report(`sim receptions city block ${policy} fastest`, rates[rates.length - 1]!, 'receptions/s')
    report(`sim receptions city block ${policy} delivery`, runs[0]!.deliveryRatio * 100, '% within TTL reach')
  }
  let sizes = process.env.BLEMESH_BENCH_100K === '1' ? [...SIZES, HUGE] : SIZES
  // BLEMESH_BENCH_SIZES=100,1000 runs only those sizes (a quick look without the 10 000-node run).
  const only = process.env.BLEMESH_BENCH_SIZES
  if (only !== undefined) {
    const wanted = new Set(only.split(',').map(Number))
    sizes = [...SIZES, HUGE].filter(s => wanted.has(s.nodes))
  }
  for (const { nodes, seconds, heapMb } of sizes) printSize(spawnRun(nodes, seconds, heapMb))
}

/** The lines of one size; also used to print a child's RESULT line measured on its own. */
export function printSize (s: ChildResult): void {
  const nodes = s.nodes
  report(`sim ${nodes} nodes wall`, s.wallSeconds, 's')
  report(`sim ${nodes} nodes peak rss`, s.peakRssMb, 'MB')
  report(`sim ${nodes} nodes heap limit`, s.heapLimitMb, 'MB')
  report(`sim ${nodes} nodes real-time factor`, s.virtualSeconds / s.wallSeconds, 'x')
  report(`sim ${nodes} nodes announce share`, s.announceShare * 100, '% of link frames')
  report(`sim ${nodes} nodes receptions`, s.receptions / s.cpuSeconds, 'receptions/s')
  // A speed figure means little if the run stopped delivering: print delivery beside it.
  report(`sim ${nodes} nodes delivery`, (s.summary as { deliveryRatio: number }).deliveryRatio * 100, '% within TTL reach')
}

const args = process.argv.slice(2)
if (args[0] === '--child') await child(Number(args[1]), Number(args[2]))
else if (args[0] === '--steady') await steadyChild(args[1]!)
else if (args[0] === '--print') printSize(JSON.parse(args[1]!.replace(/^RESULT /, '')) as ChildResult)
else if (import.meta.url === `file://${process.argv[1]}`) await run()
