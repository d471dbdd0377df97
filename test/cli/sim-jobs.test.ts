// Also covers cli/sim-child.ts, the other end of the channel: every run here goes through a child.
import { execFileSync } from 'node:child_process'
import { describe, expect, test } from 'vitest'
import { defaultJobs, estimatedRunMb, runInChildren, type RunSpec, runSpec } from '../../cli/sim-jobs.js'
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
    for (let i = 0; i < 40 && children().includes('sim-child'); i++) await new Promise(resolve => setTimeout(resolve, 50))
    expect(children()).not.toContain('sim-child')
  })
})
