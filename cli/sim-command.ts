// `blemesh sim`: run the simulator on a scenario and print what it measured; `blemesh start` runs the
// default city-block scenario and writes the HTML report. Exit codes: 0 ok, 1 usage error, 2 bad scenario.
import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { totalmem } from 'node:os'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { getHeapStatistics } from 'node:v8'
import { defaultScenario } from '../simulator/default-scenario.js'
import { ADAPTIVE_WITHOUT_TWO_HOP_SKIP, DEFAULT_POLICY, isRelayPolicyName, POLICIES } from '../simulator/policies.js'
import { renderReport } from '../simulator/report.js'
import type { ReportData, SimSummary } from '../simulator/report-data.js'
import { type CryptoChoice, parseScenario, type Scenario, ScenarioError } from '../simulator/scenario.js'
import { radioParamsOf, type SimulationResult } from '../simulator/simulation.js'
import { rangeAtDbm } from '../simulator/radio.js'
import { defaultJobs, estimatedRunMb, HEAP_MB_PER_NODE, heapCeilingGiven, neededHeapMb, raisedHeapCeilingMb, RUN_MB_PER_NODE, runInChildren, type RunSpec, runSpec } from './sim-jobs.js'

export interface SimIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** Whether stderr is a terminal (progress bar) or not (an occasional plain line). */
  stderrIsTTY: boolean
  writeFile: (path: string, text: string) => void
  readFile: (path: string) => string
  /** Throws, saying why, when `path` could not be written: checked before a run, not after it. */
  checkWritable: (path: string) => void
  /** What a large run may use: this process's V8 heap ceiling, whether one was given, and the machine's memory. */
  memory: () => MemoryLimits
}

export interface MemoryLimits {
  heapLimitMb: number
  /** `--max-old-space-size` on node's command line or in NODE_OPTIONS. */
  heapCeilingGiven: boolean
  totalMb: number
}

const processIO: SimIO = {
  stdout: (text) => { process.stdout.write(text) },
  stderr: (text) => { process.stderr.write(text) },
  stderrIsTTY: process.stderr.isTTY === true,
  writeFile: (path, text) => { writeFileSync(path, text) },
  readFile: (path) => readFileSync(path, 'utf8'),
  checkWritable,
  memory: () => ({
    heapLimitMb: getHeapStatistics().heap_size_limit / 1_048_576,
    heapCeilingGiven: heapCeilingGiven(process.execArgv, process.env.NODE_OPTIONS),
    totalMb: totalmem() / 1_048_576,
  }),
}

/** Throws, saying why, when `path` could not be written (its directory missing or read-only, or a directory itself). */
export function checkWritable (path: string): void {
  const full = resolve(path)
  if (!existsSync(full)) { accessSync(dirname(full), constants.W_OK); return }
  if (statSync(full).isDirectory()) throw new Error(`${full} is a directory`)
  accessSync(full, constants.W_OK)
}

/** No progress output for runs shorter than this (ms of wall time). */
export const PROGRESS_AFTER_MS = 2_000
/** Redraw the bar at most this often on a terminal. */
export const PROGRESS_REDRAW_MS = 100
/** Without a terminal, one plain progress line this often. */
export const PROGRESS_LINE_MS = 10_000
/** `blemesh start` writes its report here, in the working directory. */
export const START_REPORT_FILE = 'blemesh-report.html'

const USAGE = `usage: blemesh sim [--scenario file.json] [--seed N] [--policy P | --compare]
                  [--json out.json|-] [--report out.html] [--nodes N] [--duration S]
                  [--crypto auto|real|cheap] [--no-two-hop-skip] [--jobs N]
policies: ${Object.keys(POLICIES).join(', ')}
--jobs N runs up to N of --compare's simulations at once, each in a process of its own (default: one a
core, as many as free memory holds at ~${Math.round(RUN_MB_PER_NODE * 1_000)} KB a node; 1 runs them in turn in this process)
--no-two-hop-skip runs adaptive without its two-hop skip (as ${ADAPTIVE_WITHOUT_TWO_HOP_SKIP})
A run too large for node's heap ceiling (~${Math.round(HEAP_MB_PER_NODE * 1_000)} KB a node) runs in a process of its own under a raised
one; a ceiling you give node (--max-old-space-size, or in NODE_OPTIONS) stands.
`

export interface SimArgs {
  scenario?: string
  seed?: number
  policy?: string
  compare: boolean
  json?: string
  report?: string
  nodes?: number
  duration?: number
  crypto?: CryptoChoice
  /** False with `--no-two-hop-skip`. */
  twoHopSkip: boolean
  /** Simulations run at once with `--compare`; unset, `defaultJobs` decides. */
  jobs?: number
  help: boolean
}

export class UsageError extends Error {}

export function parseSimArgs (argv: string[]): SimArgs {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        policy: { type: 'string' },
        compare: { type: 'boolean', default: false },
        json: { type: 'string' },
        report: { type: 'string' },
        nodes: { type: 'string' },
        duration: { type: 'string' },
        crypto: { type: 'string' },
        'no-two-hop-skip': { type: 'boolean', default: false },
        jobs: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const args: SimArgs = { compare: values.compare === true, twoHopSkip: values['no-two-hop-skip'] !== true, help: values.help === true }
  if (values.scenario !== undefined) args.scenario = values.scenario
  if (values.seed !== undefined) args.seed = integer('--seed', values.seed, 0, 4294967295)
  if (values.policy !== undefined) {
    if (!isRelayPolicyName(values.policy)) throw new UsageError(`unknown policy '${values.policy}' (known: ${Object.keys(POLICIES).join(', ')})`)
    args.policy = values.policy
  }
  if (args.compare && args.policy !== undefined) throw new UsageError('--policy and --compare exclude each other')
  if (values.json !== undefined) args.json = values.json
  if (values.report !== undefined) args.report = values.report
  if (values.jobs !== undefined) args.jobs = integer('--jobs', values.jobs, 1, 256)
  if (values.nodes !== undefined) args.nodes = integer('--nodes', values.nodes, 1, 10_000_000)
  if (values.duration !== undefined) {
    const d = Number(values.duration)
    if (!Number.isFinite(d) || d < 0) throw new UsageError(`--duration must be a number of seconds ≥ 0, got '${values.duration}'`)
    args.duration = d
  }
  if (values.crypto !== undefined) {
    if (values.crypto !== 'auto' && values.crypto !== 'real' && values.crypto !== 'cheap') throw new UsageError("--crypto must be 'auto', 'real' or 'cheap'")
    args.crypto = values.crypto
  }
  return args
}

function integer (flag: string, text: string, min: number, max: number): number {
  const v = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v) || v < min || v > max) throw new UsageError(`${flag} must be an integer in [${min}, ${max}], got '${text}'`)
  return v
}

export async function run (argv: string[], io: SimIO = processIO): Promise<number> {
  let args: SimArgs
  try {
    args = parseSimArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr(`blemesh sim: ${error.message}\n${USAGE}`)
    return 1
  }
  if (args.help) { io.stdout(USAGE); return 0 }
  let scenario: Scenario
  try {
    scenario = args.scenario === undefined ? defaultScenario() : parseScenario(JSON.parse(io.readFile(args.scenario)))
  } catch (error) {
    if (error instanceof ScenarioError || error instanceof SyntaxError || typeof (error as NodeJS.ErrnoException).code === 'string') {
      io.stderr(`blemesh sim: ${args.scenario ?? 'default scenario'}: ${(error as Error).message}\n`)
      return 2
    }
    throw error
  }
  if (args.nodes !== undefined) {
    if (scenario.topology.kind === 'file') { io.stderr('blemesh sim: --nodes does not apply to a file topology\n'); return 1 }
    scenario = { ...scenario, topology: { ...scenario.topology, nodes: args.nodes } }
  }
  if (args.duration !== undefined) scenario = { ...scenario, durationSeconds: args.duration }
  // A run can take hours: an output that cannot be written is found out before it, not after.
  for (const path of [args.json, args.report]) {
    if (path === undefined || path === '-') continue
    try {
      io.checkWritable(path)
    } catch (error) {
      io.stderr(`blemesh sim: cannot write ${path}: ${(error as Error).message}\n`)
      return 2
    }
  }
  const policies = args.compare ? Object.keys(POLICIES) : [args.policy ?? scenario.policy ?? DEFAULT_POLICY]
  const seed = args.seed ?? scenario.seed

  const specs = policies.map((policy): RunSpec => {
    const spec: RunSpec = { scenario, seed, policy, twoHopSkip: args.twoHopSkip }
    if (args.crypto !== undefined) spec.crypto = args.crypto
    return spec
  })
  const nodes = scenario.topology.nodes
  const jobs = args.jobs ?? defaultJobs(specs.length, nodes)
  const memory = io.memory()
  // A run too large for this process's heap goes to a child with a ceiling that holds it.
  const heapMb = memory.heapCeilingGiven ? null : raisedHeapCeilingMb(nodes, memory.heapLimitMb, memory.totalMb)
  const note = memoryNote(nodes, memory, heapMb)
  if (note !== '') io.stderr(note)
  const results: SimulationResult[] = []
  if ((jobs > 1 && specs.length > 1) || heapMb !== null) {
    const progress = progressReporter(io, specs.length > 1 ? `${specs.length} policies, ${Math.min(jobs, specs.length)} at a time` : specs[0]!.policy)
    results.push(...await runInChildren(specs, jobs, progress.update, heapMb ?? undefined))
    progress.done()
  } else {
    for (const [k, spec] of specs.entries()) {
      const progress = progressReporter(io, specs.length > 1 ? `${spec.policy} (${k + 1}/${specs.length})` : spec.policy)
      results.push(await runSpec(spec, progress.update))
      progress.done()
    }
  }
  const summaries = results.map(r => r.summary)

  const tableOut = args.json === '-' ? io.stderr : io.stdout
  tableOut(formatTable(summaries, results.map(r => r.traceHash), results.map(r => r.cryptoUsed)))
  // One node has nobody to reach, and needs no explanation of radio range.
  if (summaries.some(s => s.nodes > 1 && s.messages > 0 && Number.isNaN(s.deliveryRatioAll))) io.stderr(noReceiversHint(scenario))
  if (args.json !== undefined) {
    const json = JSON.stringify(args.compare ? summaries : summaries[0], null, 2) + '\n'
    if (args.json === '-') io.stdout(json)
    else { io.writeFile(args.json, json); tableOut(`summary JSON written to ${resolve(args.json)}\n`) }
  }
  if (args.report !== undefined) {
    io.writeFile(args.report, renderReport(reportData(scenario, seed, results)))
    tableOut(`report written to ${resolve(args.report)}\n`)
  }
  return 0
}

/**
 * What stderr says about memory before a run, '' for most runs: the heap ceiling a large run's child gets,
 * or why a run may not fit (a ceiling given too low, or a machine too small).
 */
export function memoryNote (nodes: number, memory: MemoryLimits, heapMb: number | null): string {
  const mb = (v: number): string => Math.round(v).toLocaleString('en-US').replace(/,/g, ' ')
  if (heapMb !== null) return `blemesh sim: ${mb(nodes)} nodes need more heap than Node's default ${mb(memory.heapLimitMb)} MB: running with a ${mb(heapMb)} MB ceiling\n`
  if (estimatedRunMb(nodes) > memory.totalMb) return `blemesh sim: ${mb(nodes)} nodes may need ~${mb(estimatedRunMb(nodes))} MB, more than this machine's ${mb(memory.totalMb)} MB\n`
  if (neededHeapMb(nodes) > memory.heapLimitMb) return `blemesh sim: ${mb(nodes)} nodes may need ~${mb(neededHeapMb(nodes))} MB of heap, more than this process's ${mb(memory.heapLimitMb)} MB ceiling (node --max-old-space-size=<MB>)\n`
  return ''
}

/**
 * Said when messages were sent but no node could receive one: most often positions further apart than the
 * radio reaches (a file topology in real-world spacing), which a delivery of "—" alone does not explain.
 */
export function noReceiversHint (scenario: Scenario): string {
  const radio = radioParamsOf(scenario)
  const range = rangeAtDbm(radio, radio.gateDbm)
  return `blemesh sim: no message had a receiver within reach, so delivery is undefined (—). Nodes link only above ${radio.gateDbm} dBm, ` +
    `which this scenario's radio reaches at about ${range.toFixed(0)} m on average (${radio.rssiAt1mDbm} dBm at 1 m, path-loss exponent ${radio.pathLossExponent}); ` +
    "place nodes closer or change 'radio'.\n"
}

/** `blemesh start`: the default scenario, every policy compared, the report in the working directory. */
export async function start (argv: string[], io: SimIO = processIO): Promise<number> {
  if (argv.length > 0 && (argv[0] === '--help' || argv[0] === '-h')) {
    io.stdout(`usage: blemesh start\nRuns the default city-block simulation (every policy) and writes ${START_REPORT_FILE} here.\n`)
    return 0
  }
  if (argv.length > 0) { io.stderr('blemesh start: takes no options (use blemesh sim for those)\n'); return 1 }
  io.stdout('blemesh: simulating ~100 phones in a 200 m × 200 m city block for 10 virtual minutes, every relay policy…\n')
  return await run(['--compare', '--report', START_REPORT_FILE], io)
}

export function reportData (scenario: Scenario, seed: number, results: SimulationResult[]): ReportData {
  const first = results[0]!
  const p = first.placement
  return {
    title: `blemesh simulation — ${scenario.name ?? `${scenario.topology.kind} topology`}`,
    scenario: { seed, durationSeconds: scenario.durationSeconds, topology: `${scenario.topology.kind}, ${scenario.topology.nodes} nodes`, areaMetres: Math.round(p.areaMetres) },
    nodes: Array.from(p.xs, (x, i) => ({ x: Math.round(x * 10) / 10, y: Math.round(p.ys[i]! * 10) / 10 })),
    links: first.links,
    runs: results.map(r => r.run),
  }
}

const ROWS: Array<[string, (s: SimSummary) => string]> = [
  ['nodes', s => String(s.nodes)],
  ['messages', s => String(s.messages)],
  ['delivery (TTL reach)', s => pct(s.deliveryRatio)],
  ['delivery (component)', s => pct(s.deliveryRatioAll)],
  ['tx / node / message', s => s.txPerNodePerMessage.toFixed(3)],
  ['control tx / node / min', s => s.controlTxPerNodePerMinute.toFixed(1)],
  ['usefulness', s => pct(s.usefulness)],
  ['latency p50 / p95 / p99 ms', s => `${s.latencyMs.p50.toFixed(0)} / ${s.latencyMs.p95.toFixed(0)} / ${s.latencyMs.p99.toFixed(0)}`],
  ['per-hop latency p50 / p95 ms', s => `${s.hopLatencyMs.p50.toFixed(1)} / ${s.hopLatencyMs.p95.toFixed(1)}`],
  ['duplicates delivered', s => String(s.duplicatesDelivered)],
  ['events', s => String(s.events)],
  ['receptions', s => String(s.receptions)],
  ['receptions / s', s => String(s.receptionsPerSecond)],
  ['wall s', s => s.wallSeconds.toFixed(1)],
  ['peak RSS MB', s => String(s.peakRssMb)],
]

/** After `duplicates delivered`, when some run had private traffic ('—' for a run without). */
const PRIVATE_ROWS: Array<[string, (p: NonNullable<SimSummary['private']>) => string]> = [
  ['private messages', p => String(p.messages)],
  ['private shown / receipted', p => `${pct(p.deliveryRatio)} / ${pct(p.receiptRatio)}`],
  ['private latency p50 / p95 ms', p => `${p.latencyMs.p50.toFixed(0)} / ${p.latencyMs.p95.toFixed(0)}`],
  ['private tx / message', p => p.txPerMessage.toFixed(1)],
  ['private misdelivered', p => String(p.misdelivered)],
]

/** One column per policy; the trace hash and the crypto provider that ran (`auto` picks one) when given. */
export function formatTable (summaries: SimSummary[], traceHashes: string[] = [], cryptoUsed: string[] = []): string {
  const header = ['', ...summaries.map(s => s.policy)]
  const rows = ROWS.map(([name, f]) => [name, ...summaries.map(f)])
  if (summaries.some(s => s.private !== undefined)) {
    const at = ROWS.findIndex(([name]) => name === 'duplicates delivered') + 1
    rows.splice(at, 0, ...PRIVATE_ROWS.map(([name, f]) => [name, ...summaries.map(s => s.private === undefined ? '—' : f(s.private))]))
  }
  if (traceHashes.length === summaries.length) rows.push(['trace hash', ...traceHashes])
  if (cryptoUsed.length === summaries.length) rows.push(['crypto', ...cryptoUsed])
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map(r => r[c]!.length)))
  return all.map(r => r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n'
}

function pct (v: number): string {
  return Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '—'
}

/**
 * Progress in tenths of a percent: a large run's start-up storm holds most of its work in the first few
 * virtual seconds, and whole percents stood still there for half an hour.
 */
function percent (fraction: number): string {
  return (fraction * 100).toFixed(1)
}

/** The progress bar (a TTY) or a line every PROGRESS_LINE_MS (a log), from PROGRESS_AFTER_MS on. */
export function progressReporter (io: SimIO, label: string, clock: () => number = () => performance.now()):
{ update: (fraction: number) => void, done: () => void } {
  const startedAt = clock()
  let lastDraw = 0
  let drawn = false
  return {
    update (fraction: number) {
      const now = clock()
      const elapsed = now - startedAt
      if (elapsed < PROGRESS_AFTER_MS) return
      if (io.stderrIsTTY) {
        if (now - lastDraw < PROGRESS_REDRAW_MS) return
        const width = 30
        const filled = Math.round(fraction * width)
        io.stderr(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent(fraction).padStart(5)} % ${(elapsed / 1000).toFixed(0)} s`)
      } else {
        if (drawn && now - lastDraw < PROGRESS_LINE_MS) return
        io.stderr(`sim ${label}: ${percent(fraction)} % after ${(elapsed / 1000).toFixed(0)} s\n`)
      }
      lastDraw = now
      drawn = true
    },
    done () {
      if (drawn && io.stderrIsTTY) io.stderr('\r\x1b[K')
    },
  }
}
