// Runs a comparison's simulations side by side, one child process each. The runs share nothing but the
// scenario, and a laptop or a Raspberry Pi 4 has cores to spare: `blemesh start` ran its four policies one
// after another on one core. A child also measures its own peak RSS, where a run in a shared process
// starts from whatever the runs before it left held.
import { fork } from 'node:child_process'
import { availableParallelism, freemem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { nodeCrypto } from '../src/crypto/node-provider.js'
import { meshNodeFactory } from '../simulator/mesh-node.js'
import { relayPolicyWithoutTwoHopSkip } from '../simulator/policies.js'
import type { CryptoChoice, Scenario } from '../simulator/scenario.js'
import { runSimulation, type SimulationOptions, type SimulationResult } from '../simulator/simulation.js'

/** One simulation, as plain data that crosses to a child. */
export interface RunSpec {
  scenario: Scenario
  seed: number
  policy: string
  /** False runs the policy's variant without the two-hop skip. */
  twoHopSkip: boolean
  crypto?: CryptoChoice
}

/** Messages between the two sides. */
export type ChildMessage = { progress: number } | { result: SimulationResult } | { error: string }

export async function runSpec (spec: RunSpec, onProgress?: (fraction: number) => void): Promise<SimulationResult> {
  const options: SimulationOptions = { scenario: spec.scenario, seed: spec.seed, policy: spec.policy, nodeFactory: meshNodeFactory, realCrypto: nodeCrypto }
  if (onProgress !== undefined) options.onProgress = onProgress
  if (!spec.twoHopSkip) options.relayPolicy = relayPolicyWithoutTwoHopSkip(spec.policy)
  if (spec.crypto !== undefined) options.crypto = spec.crypto
  return await runSimulation(options)
}

/** What a run holds a node, MB: ~220 KB, as measured from 10 000 nodes on (README, "Growth at 60 virtual seconds"). */
export const RUN_MB_PER_NODE = 0.22

/** What one run is expected to hold, MB: Node and the simulator's code (~120 MB for `npm start`'s 100 nodes), then its nodes. */
export function estimatedRunMb (nodes: number): number {
  return 120 + nodes * RUN_MB_PER_NODE
}

/**
 * V8 heap a node needs, MB, in a mesh like the bench's (random, mean degree 10): at the start-up storm's
 * peak 10 000 nodes hold ~650 MB live (forced-collection samples, bench/sim.bench.ts), and V8 wants room
 * above its live set. 100 KB a node is that ~65 KB with half again as room. (1 000 such nodes × 10 s
 * still finished under an 80 MB old space, slowly: 36 s of wall time against 20 under 130 MB.) Denser
 * meshes need more: 1 000 nodes in the city block's 200 m square did not finish under 130 MB. There a
 * ceiling given to node is the way.
 */
export const HEAP_MB_PER_NODE = 0.1

/** V8 heap a run needs, MB: Node and the simulator's code, then its nodes. */
export function neededHeapMb (nodes: number): number {
  return 200 + nodes * HEAP_MB_PER_NODE
}

/** Whether Node was given a heap ceiling, on its command line or in NODE_OPTIONS: the person's choice stands. */
export function heapCeilingGiven (execArgv: readonly string[], nodeOptions = ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some(a => /^--max[-_]old[-_]space[-_]size(=|$)/.test(a))
}

/**
 * The heap ceiling (MB) to run children under when this process's (`limitMb`; Node's default is a quarter
 * of the memory, at most ~4 GB) is too small for a run of `nodes`, or null when it will do or the machine
 * has no more to give. Twice the need, within three quarters of the machine's memory: a ceiling only
 * bounds the heap, and one close to the need makes V8 collect far more often (+20 % CPU at 10 000 nodes
 * under 900 MB, docs/performance.md).
 */
export function raisedHeapCeilingMb (nodes: number, limitMb: number, totalMb: number): number | null {
  const need = neededHeapMb(nodes)
  if (need <= limitMb) return null
  const ceiling = Math.min(Math.ceil(need * 2), Math.floor(totalMb * 0.75))
  return ceiling > limitMb ? ceiling : null
}

/**
 * How many runs go at once by default: one a core, no more than there are runs, and only as many as four
 * fifths of the free memory holds by `estimatedRunMb`, so a large comparison that fits when run in turn
 * still fits.
 */
export function defaultJobs (runs: number, nodes: number, cores = availableParallelism(), freeMb = freemem() / 1_048_576): number {
  return Math.max(1, Math.min(runs, cores, Math.floor(freeMb * 0.8 / estimatedRunMb(nodes))))
}

/**
 * The Node options a child runs with: the parent's (a heap ceiling given to `blemesh sim` is meant for its
 * runs), less those about the parent's own entry (`-e` code, `--input-type`) or that would clash (a
 * second inspector on the parent's port). Under the TypeScript sources the child needs tsx's loader too.
 */
export function childExecArgv (parent: readonly string[], fromSources: boolean, heapMb?: number): string[] {
  const out: string[] = []
  for (let i = 0; i < parent.length; i++) {
    const a = parent[i]!
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') { i++; continue }
    if (/^--(eval|print|input-type)=/.test(a) || /^--inspect(-brk|-port|-wait)?(=|$)/.test(a)) continue
    out.push(a)
  }
  if (fromSources && !out.includes('tsx') && !out.includes('--import=tsx')) out.push('--import', 'tsx')
  if (heapMb !== undefined) out.push(`--max-old-space-size=${heapMb}`)
  return out
}

/**
 * Runs `specs` in up to `jobs` children at once and returns their results in the order of `specs`.
 * `onProgress` gets the mean fraction done over all runs. The first failure stops the other children and
 * rejects, naming the policy. `heapMb`: the children's heap ceiling (`raisedHeapCeilingMb`).
 */
export async function runInChildren (specs: RunSpec[], jobs: number, onProgress: (fraction: number) => void = () => {}, heapMb?: number): Promise<SimulationResult[]> {
  if (specs.length === 0) return []
  const own = fileURLToPath(import.meta.url)
  // Under the TypeScript sources (tests, tsx) the child is a .ts file too.
  const fromSources = own.endsWith('.ts')
  const entry = own.replace(/sim-jobs\.(ts|js)$/, 'sim-child.$1')
  const execArgv = childExecArgv(process.execArgv, fromSources, heapMb)
  const fractions = specs.map(() => 0)
  const results: Array<SimulationResult | undefined> = specs.map(() => undefined)
  const running = new Set<ReturnType<typeof fork>>()
  let next = 0
  let failed = false

  const report = (): void => { onProgress(fractions.reduce((a, b) => a + b, 0) / specs.length) }

  return await new Promise<SimulationResult[]>((resolve, reject) => {
    const fail = (error: Error): void => {
      if (failed) return
      failed = true
      for (const c of running) c.kill()
      reject(error)
    }
    const startNext = (): void => {
      if (failed) return
      if (next === specs.length) {
        if (running.size === 0) resolve(results as SimulationResult[])
        return
      }
      const k = next++
      const spec = specs[k]!
      // 'advanced' serialisation carries the typed arrays and NaN ratios of a result, which JSON would not.
      const child = fork(entry, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      running.add(child)
      let error: string | undefined
      child.on('message', (m: ChildMessage) => {
        if ('progress' in m) {
          fractions[k] = m.progress
          report()
        } else if ('result' in m) {
          results[k] = m.result
        } else {
          error = m.error
        }
      })
      child.on('error', (e) => { fail(new Error(`simulation of ${spec.policy}: ${e.message}`)) })
      // 'close', not 'exit': it comes after the channel has delivered the child's last message.
      child.on('close', (code, signal) => {
        running.delete(child)
        if (results[k] === undefined) {
          fail(new Error(`simulation of ${spec.policy} failed: ${error ?? `its process ended (${signal ?? `exit code ${code}`}) without a result`}`))
          return
        }
        fractions[k] = 1
        report()
        startNext()
      })
      child.send(spec)
    }
    for (let j = 0; j < Math.min(jobs, specs.length); j++) startNext()
  })
}
