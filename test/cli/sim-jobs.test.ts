// Also covers cli/sim-child.ts, the other end of the channel: every run here goes through a child.
import { execFileSync, spawn } from 'node:child_process'
import { describe, expect, test } from 'vitest'
import { childExecArgv, defaultJobs, estimatedRunMb, heapCeilingGiven, neededHeapMb, raisedHeapCeilingMb, runInChildren, type RunSpec, runSpec } from '../../cli/sim-jobs.js'
import { defaultScenario } from '../../simulator/default-scenario.js'
import { parseScenario } from '../../simulator/scenario.js'

const scenario = (seconds: number): RunSpec['scenario'] =>
  parseScenario({ seed: 3, durationSeconds: seconds, warmupSeconds: 2, topology: { kind: 'grid', nodes: 9 }, traffic: { broadcastPerNodePerMinute: 6 }, crypto: 'cheap' })

describe('defaultJobs', () => {
  test.each([
    // runs, nodes, cores, free MB → jobs
    [4, 100, 2, 16_000, 2],
    [4, 100, 8, 16_000, 4],
    [1, 100, 8, 16_000, 1],
    [4, 10_000, 8, 6_000, 2],
    [4, 100_000, 8, 8_000, 1],
    [4, 100, 2, 0, 1],
  ])('defaultJobs — %i runs of %i nodes, %i cores, %i MB free: %i at once', (runs, nodes, cores, freeMb, jobs) => {
    expect(defaultJobs(runs, nodes, cores, freeMb)).toBe(jobs)
  })

  test('estimatedRunMb — 220 KB a node over a fixed base', () => {
    expect(estimatedRunMb(10_000) - estimatedRunMb(0)).toBeCloseTo(2_200)
  })
})

describe('raisedHeapCeilingMb', () => {
  test.each([
    // nodes, this process's heap ceiling MB, machine MB → children's ceiling MB (null: run here)
    [10_000, 4_144, 24_105, null],
    [38_000, 4_144, 24_105, null],
    [40_000, 4_144, 24_105, 8_400],
    [100_000, 4_144, 24_105, 18_078],
    [100_000, 4_144, 5_000, null],
    [30_000, 2_000, 8_000, 6_000],
  ])('raisedHeapCeilingMb — %i nodes, %i MB here, %i MB machine: %s', (nodes, limitMb, totalMb, ceiling) => {
    expect(raisedHeapCeilingMb(nodes, limitMb, totalMb)).toBe(ceiling)
  })

  test('neededHeapMb — 100 KB a node over a fixed base', () => {
    expect(neededHeapMb(10_000) - neededHeapMb(0)).toBeCloseTo(1_000)
  })

  test.each([
    [[], '', false],
    [['--max-old-space-size=900'], '', true],
    [['--max_old_space_size', '900'], '', true],
    [['--expose-gc'], '--max-old-space-size=16000 --trace-gc', true],
    [['--max-semi-space-size=64'], '--stack-size=2000', false],
  ])('heapCeilingGiven — %j, NODE_OPTIONS %j: %s', (argv, nodeOptions, given) => {
    expect(heapCeilingGiven(argv, nodeOptions)).toBe(given)
  })
})

describe('childExecArgv', () => {
  test.each([
    [[], false, []],
    [['--max-old-space-size=900', '--expose-gc'], false, ['--max-old-space-size=900', '--expose-gc']],
    [['--import', 'tsx'], true, ['--import', 'tsx']],
    [['--import=tsx'], true, ['--import=tsx']],
    [['--max-old-space-size=900'], true, ['--max-old-space-size=900', '--import', 'tsx']],
    [['--import', 'tsx', '--input-type=module', '-e', 'code'], true, ['--import', 'tsx']],
    [['--eval', 'code', '--print=1', '-p', '1', '--stack-size=2000'], false, ['--stack-size=2000']],
    [['--inspect', '--inspect-brk=9230', '--inspect-port=1', '--inspect-wait', '--cpu-prof'], false, ['--cpu-prof']],
  ])('childExecArgv — %j (sources: %s) → %j', (parent, fromSources, expected) => {
    expect(childExecArgv(parent, fromSources)).toEqual(expected)
  })

  test('childExecArgv — a raised heap ceiling comes last', () => {
    expect(childExecArgv(['--expose-gc'], true, 8_400)).toEqual(['--expose-gc', '--import', 'tsx', '--max-old-space-size=8400'])
  })
})

describe('runInChildren', () => {
  test('runInChildren — results come in the order of the specs, each what the same run gives in this process, whatever finishes first', async () => {
    const specs: RunSpec[] = [
      // ~0.7 s against ~0.03 s: the first spec finishes last.
      { scenario: scenario(3_600), seed: 3, policy: 'flood', twoHopSkip: true },
      { scenario: scenario(10), seed: 3, policy: 'adaptive', twoHopSkip: false },
      { scenario: scenario(10), seed: 5, policy: 'bitchat-ios', twoHopSkip: true, crypto: 'real' },
    ]
    const fractions: number[] = []
    const results = await runInChildren(specs, 2, f => fractions.push(f))
    for (const [k, spec] of specs.entries()) {
      const here = await runSpec(spec)
      expect(results[k]!.traceHash).toBe(here.traceHash)
      expect(results[k]!.summary.receptions).toBe(here.summary.receptions)
      expect(results[k]!.summary.policy).toBe(here.summary.policy)
      expect(results[k]!.cryptoUsed).toBe(here.cryptoUsed)
      expect(results[k]!.placement.xs).toEqual(here.placement.xs)
    }
    expect(results[1]!.summary.policy).toMatch(/^adaptive.+/)
    expect(fractions.at(-1)).toBe(1)
    expect(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!))).toBe(true)
  })

  test('runInChildren — children run under the heap ceiling given, and without one under the default', async () => {
    const spec: RunSpec = { scenario: scenario(10), seed: 3, policy: 'flood', twoHopSkip: true }
    const [raised] = await runInChildren([spec], 1, undefined, 6_000)
    const [plain] = await runInChildren([spec], 1)
    // heap_size_limit is the old-space ceiling plus the young generation's few tens of MB.
    expect(raised!.heapLimitMb).toBeGreaterThanOrEqual(6_000)
    expect(raised!.heapLimitMb).toBeLessThan(6_200)
    expect(plain!.heapLimitMb).toBe((await runSpec(spec)).heapLimitMb)
    expect(raised!.traceHash).toBe(plain!.traceHash)
  })

  test('runInChildren — no specs, no children and no results', async () => {
    expect(await runInChildren([], 2)).toEqual([])
  })

  test('runInChildren — a run that fails rejects with its policy and why, and the others stop', async () => {
    // Two hours of the city block take 25–60 s a run.
    const long = { ...defaultScenario(), durationSeconds: 7_200 }
    const specs: RunSpec[] = [
      { scenario: long, seed: 3, policy: 'flood', twoHopSkip: true },
      { scenario: scenario(10), seed: 3, policy: 'no-such-policy', twoHopSkip: true },
      { scenario: long, seed: 3, policy: 'adaptive', twoHopSkip: true },
    ]
    await expect(runInChildren(specs, 3)).rejects.toThrow(/simulation of no-such-policy failed: .*no-such-policy/)
    // A killed child takes a moment to go; a forgotten one runs on for a minute.
    const children = (): string => execFileSync('ps', ['--ppid', String(process.pid), '-o', 'args='], { encoding: 'utf8' })
    await expect.poll(children, { timeout: 2_000 }).not.toContain('sim-child')
  })

  test('runInChildren — children whose parent was killed stop at once and quietly, instead of simulating on', async () => {
    const jobs = new URL('../../cli/sim-jobs.ts', import.meta.url).pathname
    const scenarios = new URL('../../simulator/default-scenario.ts', import.meta.url).pathname
    const script = `import { runInChildren } from '${jobs}'
      import { defaultScenario } from '${scenarios}'
      const long = { ...defaultScenario(), durationSeconds: 7200 }
      let said = false
      await runInChildren(['flood', 'adaptive'].map(policy => ({ scenario: long, seed: 1, policy, twoHopSkip: true })), 2,
        () => { if (!said) { said = true; console.log('running') } })`
    // The children write to the parent's stderr, which outlives it here: a child that died of writing to
    // the closed channel would say so there.
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    parent.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const running = await new Promise<boolean>(resolve => {
      parent.stdout.on('data', (d: Buffer) => { if (d.toString().includes('running')) resolve(true) })
      parent.on('exit', () => { resolve(false) })
    })
    expect(running).toBe(true)
    const pids = execFileSync('ps', ['--ppid', String(parent.pid), '-o', 'pid='], { encoding: 'utf8' }).trim().split(/\s+/).map(Number)
    expect(pids.length).toBeGreaterThan(0)
    parent.kill('SIGKILL')
    const alive = (): number[] => pids.filter(pid => { try { process.kill(pid, 0); return true } catch { return false } })
    await expect.poll(alive, { timeout: 3_000 }).toEqual([])
    expect(stderr).toBe('')
  })
})
