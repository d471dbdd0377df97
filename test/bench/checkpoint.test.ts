// bench/checkpoint.sh stops a long bench run to disk and resumes it (the 100 000-node run, README). What
// it must not do is change the run: a simulation dumped half-way and restored prints the same table,
// trace hash included, as one left alone. Needs root and CRIU ≥ 4 (`CRIU=/path/to/criu`): Debian 12's
// 3.17 cannot dump on this kernel, so CI, which installs from Debian 12, skips this with the reason.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'

const SCRIPT = join(import.meta.dirname, '../../bench/checkpoint.sh')
const CRIU = process.env.CRIU ?? 'criu'
/** Long enough (~7 s of wall time here) that a dump lands mid-run, small enough for a test. */
const SCENARIO = { seed: 3, durationSeconds: 400, warmupSeconds: 20, topology: { kind: 'random', nodes: 150, meanDegree: 8 }, traffic: { broadcastPerNodePerMinute: 1 }, crypto: 'cheap' }
/** Table rows that measure the machine, not the simulation. */
const MACHINE_ROWS = /^(receptions \/ s|wall s|peak RSS MB)\b/

function whyNot (): string | null {
  if (process.getuid?.() !== 0) return 'not root'
  const version = spawnSync(CRIU, ['--version'], { encoding: 'utf8' })
  if (version.error !== undefined || version.status !== 0) return `no ${CRIU} (set CRIU to a CRIU ≥ 4)`
  const major = Number(/Version: (\d+)/.exec(version.stdout)?.[1])
  if (!(major >= 4)) return `${CRIU} is older than 4 (${version.stdout.trim()})`
  return null
}

const reason = whyNot()
if (reason !== null) console.log(`checkpoint.sh tests skipped: ${reason}`)

function checkpoint (...args: string[]): string {
  const r = spawnSync(SCRIPT, args, { encoding: 'utf8', env: { ...process.env, CRIU } })
  if (r.status !== 0) throw new Error(`checkpoint.sh ${args.join(' ')} failed: ${r.stderr}`)
  return r.stdout
}

function running (dir: string): boolean {
  return spawnSync('kill', ['-0', readFileSync(join(dir, 'pid'), 'utf8').trim()]).status === 0
}

async function until (what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

function simulated (table: string): string {
  return table.split('\n').filter(row => !MACHINE_ROWS.test(row)).join('\n')
}

describe.skipIf(reason !== null)('checkpoint.sh', () => {
  test('checkpoint.sh — a run dumped mid-way and restored prints what the run left alone prints', async () => {
    const work = mkdtempSync(join(tmpdir(), 'blemesh-checkpoint-'))
    const scenario = join(work, 'scenario.json')
    writeFileSync(scenario, JSON.stringify(SCENARIO))
    const command = [process.execPath, '--import', 'tsx', join(import.meta.dirname, '../../cli/main.ts'), 'sim', '--scenario', scenario, '--policy', 'flood']
    const alone = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' })
    expect(alone.status).toBe(0)

    const dir = join(work, 'run')
    checkpoint('start', dir, '--', ...command)
    // The first progress line (2 s in) says the simulation is under way.
    await until('progress', () => existsSync(join(dir, 'run.err')) && readFileSync(join(dir, 'run.err'), 'utf8').includes('%'))
    expect(running(dir)).toBe(true)
    checkpoint('dump', dir)
    expect(running(dir)).toBe(false)
    const before = readFileSync(join(dir, 'run.out'), 'utf8')
    checkpoint('restore', dir)
    await until('the restored run to end', () => !running(dir))

    expect(before).toBe('')
    const resumed = readFileSync(join(dir, 'run.out'), 'utf8')
    expect(resumed).toMatch(/trace hash/)
    expect(simulated(resumed)).toBe(simulated(alone.stdout))
    expect(readFileSync(join(dir, 'segments'), 'utf8')).toMatch(/^start \d+\ndump \d+ cpu \d+ peak-rss-mb \d+ took \d+\nrestore \d+ took \d+\n$/)
  }, 120_000)
})
