import { describe, expect, test } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  PROGRESS_AFTER_MS, PROGRESS_LINE_MS, PROGRESS_REDRAW_MS, checkWritable, formatTable, memoryNote, type MemoryLimits, parseSimArgs, progressReporter, run, type SimIO, UsageError,
} from '../../cli/sim-command.js'
import { ADAPTIVE_WITHOUT_TWO_HOP_SKIP, POLICIES } from '../../simulator/policies.js'

const SMALL = JSON.stringify({ seed: 4, durationSeconds: 20, warmupSeconds: 5, topology: { kind: 'grid', nodes: 9 }, traffic: { broadcastPerNodePerMinute: 6 }, crypto: 'cheap' })

/** A `files` entry that reads as a directory. */
const DIRECTORY = '<directory>'

/** This VM: Node's default heap ceiling, 24 GB. */
const ROOMY: MemoryLimits = { heapLimitMb: 4_144, heapCeilingGiven: false, totalMb: 24_105 }

function fakeIO (files: Record<string, string> = { 'small.json': SMALL }, memory = ROOMY): SimIO & { out: string, err: string, written: Record<string, string> } {
  const io = {
    out: '',
    err: '',
    written: {} as Record<string, string>,
    stdout: (t: string) => { io.out += t },
    stderr: (t: string) => { io.err += t },
    stderrIsTTY: false,
    writeFile: (path: string, text: string) => { io.written[path] = text },
    readFile: (path: string) => {
      const text = files[path]
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' })
      if (text === DIRECTORY) throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' })
      return text
    },
    checkWritable,
    memory: () => memory,
  }
  return io
}

describe('parseSimArgs', () => {
  test.each([
    [[], { compare: false, twoHopSkip: true, help: false }],
    [['--scenario', 's.json', '--seed', '42', '--policy', 'flood'], { scenario: 's.json', seed: 42, policy: 'flood', compare: false, twoHopSkip: true, help: false }],
    [['--compare', '--json', '-', '--report', 'r.html'], { compare: true, json: '-', report: 'r.html', twoHopSkip: true, help: false }],
    [['--nodes', '500', '--duration', '30.5', '--crypto', 'cheap'], { nodes: 500, duration: 30.5, crypto: 'cheap', compare: false, twoHopSkip: true, help: false }],
    [['--compare', '--no-two-hop-skip'], { compare: true, twoHopSkip: false, help: false }],
    [['--seed', '0', '--nodes', '1', '--duration', '0'], { seed: 0, nodes: 1, duration: 0, compare: false, twoHopSkip: true, help: false }],
    [['--seed', '4294967295', '--nodes', '10000000', '--crypto', 'auto'], { seed: 4294967295, nodes: 10_000_000, crypto: 'auto', compare: false, twoHopSkip: true, help: false }],
    [['--crypto', 'real', '-h'], { crypto: 'real', compare: false, twoHopSkip: true, help: true }],
    [['--compare', '--jobs', '3'], { compare: true, jobs: 3, twoHopSkip: true, help: false }],
  ])('parseSimArgs — %j', (argv, expected) => {
    expect(parseSimArgs(argv)).toEqual(expected)
  })

  test.each([
    [['--seed', '-1']],
    [['--seed', 'x']],
    [['--policy', 'nope']],
    [['--policy', 'toString']],
    [['--policy', 'flood', '--compare']],
    [['--crypto', 'weak']],
    [['--seed', '4294967296']],
    [['--seed', '1.5']],
    [['--seed', '1x']],
    [['--seed', 'x1']],
    [['--seed', '99999999999999999999']],
    [['--seed', '1e3']],
    [['--seed', '0x10']],
    [['--nodes', ' 5']],
    [['--nodes', '0']],
    [['--nodes', '10000001']],
    [['--duration', '-1']],
    [['--duration', 'soon']],
    [['--duration', 'Infinity']],
    [['--jobs', '0']],
    [['--jobs', 'many']],
    [['--jobs', '257']],
    [['--bogus']],
    [['positional']],
  ])('parseSimArgs — rejects %j', (argv) => {
    expect(() => parseSimArgs(argv)).toThrow(UsageError)
  })
})

describe('run', () => {
  test('run — nodes out of radio range: delivery is "—" (null in JSON), not 100 %, and stderr says how far the radio reaches', async () => {
    const apart = JSON.stringify({ seed: 1, durationSeconds: 30, topology: { kind: 'file', positions: [{ x: 0, y: 0 }, { x: 60, y: 0 }, { x: 120, y: 0 }] }, traffic: { broadcastPerNodePerMinute: 10 }, crypto: 'cheap' })
    const io = fakeIO({ 'apart.json': apart })
    expect(await run(['--scenario', 'apart.json', '--policy', 'flood', '--json', '-'], io)).toBe(0)
    const summary = JSON.parse(io.out)
    expect(summary.messages).toBeGreaterThan(0)
    expect(summary.deliveryRatio).toBeNull()
    expect(summary.deliveryRatioAll).toBeNull()
    expect(io.err).toMatch(/delivery \(TTL reach\) +—/)
    expect(io.err).toMatch(/no message had a receiver within reach.*about 14 m/)
  })

  test('run — no hint when receivers were in reach, nor for a single node', async () => {
    const io = fakeIO()
    expect(await run(['--scenario', 'small.json', '--policy', 'flood'], io)).toBe(0)
    expect(io.out).toMatch(/delivery \(TTL reach\) +\d/)
    expect(io.err).not.toMatch(/no message had a receiver/)
    const alone = fakeIO({ 'alone.json': JSON.stringify({ seed: 1, durationSeconds: 120, topology: { kind: 'file', positions: [{ x: 0, y: 0 }] }, traffic: { broadcastPerNodePerMinute: 10 }, crypto: 'cheap' }) })
    expect(await run(['--scenario', 'alone.json', '--policy', 'flood', '--json', '-'], alone)).toBe(0)
    expect(JSON.parse(alone.out).messages).toBeGreaterThan(0)
    expect(alone.err).not.toMatch(/no message had a receiver/)
  })

  test.each([
    ['--json into a missing directory', ['--json', '/nonexistent/blemesh/out.json'], /cannot write \/nonexistent\/blemesh\/out.json: ENOENT/],
    ['--report onto a directory', ['--report', tmpdir()], /cannot write .*: .* is a directory/],
  ])('run — %s: exit 2 before running, saying why', async (_, flags, message) => {
    const io = fakeIO()
    expect(await run(['--scenario', 'small.json', ...flags], io)).toBe(2)
    expect(io.err).toMatch(message)
    expect(io.out).toBe('')
  })

  test('run — a run too large for this process\'s heap runs in a child under a raised ceiling, and gives what it gives here', async () => {
    const here = fakeIO()
    expect(await run(['--scenario', 'small.json', '--policy', 'adaptive'], here)).toBe(0)
    // Pretend this process may use 100 MB of heap: the 9-node run's estimate, 201 MB, exceeds it.
    const cramped = fakeIO(undefined, { heapLimitMb: 100, heapCeilingGiven: false, totalMb: 4_000 })
    expect(await run(['--scenario', 'small.json', '--policy', 'adaptive'], cramped)).toBe(0)
    expect(cramped.err).toMatch(/^blemesh sim: 9 nodes need more heap than Node's default 100 MB: running with a 402 MB ceiling$/m)
    const simulated = (table: string): string => table.replace(/^(receptions \/ s|wall s|peak RSS MB) .*$/gm, '')
    expect(simulated(cramped.out)).toBe(simulated(here.out))
    expect(here.err).toBe('')
  })

  test('run — --seed, --nodes, --duration and --crypto run what a scenario with those values runs', async () => {
    const overridden = { ...JSON.parse(SMALL) as Record<string, unknown>, seed: 9, durationSeconds: 5, topology: { kind: 'grid', nodes: 4 }, crypto: 'real' }
    const hashOf = async (argv: string[]): Promise<string> => {
      const io = fakeIO({ 'small.json': SMALL, 'overridden.json': JSON.stringify(overridden) })
      expect(await run([...argv, '--policy', 'flood'], io)).toBe(0)
      return /^trace hash\s+(\S+)$/m.exec(io.out)![1]! + ' ' + /^crypto\s+(\S+)$/m.exec(io.out)![1]!
    }
    const flagged = await hashOf(['--scenario', 'small.json', '--seed', '9', '--nodes', '4', '--duration', '5', '--crypto', 'real'])
    expect(flagged).toMatch(/ node$/)
    expect(flagged).toBe(await hashOf(['--scenario', 'overridden.json']))
    expect(await hashOf(['--scenario', 'small.json'])).toMatch(/ cheap-sim$/)
    expect(flagged.split(' ')[0]).not.toBe((await hashOf(['--scenario', 'small.json'])).split(' ')[0])
  })

  test('run — --help prints the usage and runs nothing', async () => {
    const io = fakeIO()
    expect(await run(['--help'], io)).toBe(0)
    expect(io.out).toMatch(/^usage: blemesh sim/)
    expect(io.err).toBe('')
  })

  test('run — a scenario path that is a directory: exit 2 with the reason', async () => {
    const io = fakeIO({ scenarios: DIRECTORY })
    expect(await run(['--scenario', 'scenarios'], io)).toBe(2)
    expect(io.err).toMatch(/^blemesh sim: scenarios: EISDIR/)
  })

  test('run — --json - writes only the summary JSON to stdout, the table to stderr', async () => {
    const io = fakeIO()
    expect(await run(['--scenario', 'small.json', '--policy', 'flood', '--json', '-'], io)).toBe(0)
    const summary = JSON.parse(io.out)
    expect(Object.keys(summary).sort()).toEqual(['controlTxPerNodePerMinute', 'deliveryRatio', 'deliveryRatioAll', 'duplicatesDelivered', 'events', 'eventsPerSecond',
      'hopLatencyMs', 'latencyMs', 'messages', 'nodes', 'peakRssMb', 'policy', 'receptions', 'receptionsPerSecond', 'txPerNodePerMessage', 'usefulness', 'wallSeconds'])
    expect(summary.policy).toBe('flood')
    expect(summary.nodes).toBe(9)
    expect(io.err).toMatch(/delivery \(TTL reach\)/)
  })

  test('run — --no-two-hop-skip runs adaptive as its variant, and the summary names it', async () => {
    const io = fakeIO()
    expect(await run(['--scenario', 'small.json', '--policy', 'adaptive', '--no-two-hop-skip', '--json', '-'], io)).toBe(0)
    expect(JSON.parse(io.out).policy).toBe(ADAPTIVE_WITHOUT_TWO_HOP_SKIP)
  })

  test('run — --compare runs every registered policy on the same traffic, and --report writes the HTML', async () => {
    const io = fakeIO()
    expect(await run(['--scenario', 'small.json', '--compare', '--json', 'out.json', '--report', 'out.html'], io)).toBe(0)
    const summaries = JSON.parse(io.written['out.json']!) as Array<{ policy: string, messages: number }>
    expect(summaries.map(s => s.policy)).toEqual(Object.keys(POLICIES))
    expect(new Set(summaries.map(s => s.messages)).size).toBe(1)
    expect(io.written['out.html']).toMatch(/<svg/)
    expect(io.out).toMatch(/report written to .*out\.html/)
    for (const p of Object.keys(POLICIES)) expect(io.out).toContain(p)
  })

  test('run — --compare in children (--jobs 2) gives each policy the summary and trace hash it gets in turn (--jobs 1)', async () => {
    const outcome = async (jobs: string): Promise<unknown[]> => {
      const io = fakeIO()
      expect(await run(['--scenario', 'small.json', '--compare', '--jobs', jobs, '--json', 'out.json'], io)).toBe(0)
      const hashes = /^trace hash\s+(.+)$/m.exec(io.out)![1]!.split(/\s+/)
      // Time and memory are the process's own; everything simulated must match.
      const summaries = (JSON.parse(io.written['out.json']!) as Array<Record<string, unknown>>)
        .map(({ wallSeconds, peakRssMb, eventsPerSecond, receptionsPerSecond, ...simulated }) => simulated)
      return summaries.map((s, k) => ({ ...s, hash: hashes[k] }))
    }
    const inChildren = await outcome('2')
    expect(inChildren.map(s => (s as { policy: string }).policy)).toEqual(Object.keys(POLICIES))
    expect(inChildren).toEqual(await outcome('1'))
  })

  test('run — usage errors exit 1, scenario errors exit 2', async () => {
    const a = fakeIO()
    expect(await run(['--seed'], a)).toBe(1)
    expect(a.err).toMatch(/usage: blemesh sim/)
    const b = fakeIO({ 'bad.json': '{"seed": 1}' })
    expect(await run(['--scenario', 'bad.json'], b)).toBe(2)
    expect(b.err).toMatch(/topology/)
    const c = fakeIO()
    expect(await run(['--scenario', 'missing.json'], c)).toBe(2)
    const d = fakeIO({ 'broken.json': '{' })
    expect(await run(['--scenario', 'broken.json'], d)).toBe(2)
  })

  test('formatTable — private rows follow the duplicates when a run had private traffic, a dash for a run without', () => {
    const s = { nodes: 1, messages: 2, policy: 'p', deliveryRatio: 1, deliveryRatioAll: 1, txPerNodePerMessage: 1, controlTxPerNodePerMinute: 1, usefulness: 0.5, latencyMs: { p50: 1, p95: 2, p99: 3 }, hopLatencyMs: { p50: 1, p95: 2 }, duplicatesDelivered: 0, events: 1, eventsPerSecond: 1, receptions: 1, receptionsPerSecond: 1, wallSeconds: 1, peakRssMb: 1 }
    expect(formatTable([s])).not.toMatch(/private/)
    const withPrivate = { ...s, policy: 'q', private: { messages: 7, deliveryRatio: 1, receiptRatio: 6 / 7, latencyMs: { p50: 412.4, p95: 980.6 }, txPerMessage: 55.55, misdelivered: 0 } }
    const lines = formatTable([s, withPrivate]).split('\n')
    const at = lines.findIndex(l => l.startsWith('duplicates delivered'))
    expect(lines.slice(at + 1, at + 6).map(l => l.split(/\s{2,}/))).toEqual([
      ['private messages', '—', '7'],
      ['private shown / receipted', '—', '100.0 % / 85.7 %'],
      ['private latency p50 / p95 ms', '—', '412 / 981'],
      ['private tx / message', '—', '55.5'],
      ['private misdelivered', '—', '0'],
    ])
    expect(lines[at + 6]).toMatch(/^events/)
  })

  test('formatTable — one column per policy, aligned', () => {
    const s = { nodes: 1, messages: 2, policy: 'p', deliveryRatio: 1, deliveryRatioAll: 1, txPerNodePerMessage: 1, controlTxPerNodePerMinute: 1, usefulness: 0.5, latencyMs: { p50: 1, p95: 2, p99: 3 }, hopLatencyMs: { p50: 1, p95: 2 }, duplicatesDelivered: 0, events: 1, eventsPerSecond: 1, receptions: 1, receptionsPerSecond: 1, wallSeconds: 1, peakRssMb: 1 }
    const table = formatTable([s, { ...s, policy: 'longer-name' }], ['aaaa', 'bbbb'])
    const lines = table.trimEnd().split('\n')
    expect(lines[0]).toMatch(/p\s+longer-name$/)
    expect(lines.at(-1)).toMatch(/^trace hash\s+aaaa\s+bbbb$/)
    expect(table).toMatch(/^delivery \(TTL reach\)\s+100\.0 %\s+100\.0 %$/m)
    expect(formatTable([{ ...s, deliveryRatio: 0.5 }])).toMatch(/^delivery \(TTL reach\)\s+50\.0 %$/m)
    expect(formatTable([s])).not.toMatch(/trace hash|crypto/)
    expect(formatTable([s], ['aaaa'], ['node'])).toMatch(/^trace hash\s+aaaa\ncrypto\s+node\n$/m)
    expect(new Set(lines.map(l => l.length)).size).toBeLessThanOrEqual(2)
  })
})

describe('memoryNote', () => {
  test.each([
    ['a run that fits says nothing', 10_000, ROOMY, null, ''],
    ['a raised ceiling is said', 50_000, ROOMY, 10_400, "blemesh sim: 50 000 nodes need more heap than Node's default 4 144 MB: running with a 10 400 MB ceiling\n"],
    ['a machine too small is said', 100_000, { heapLimitMb: 4_144, heapCeilingGiven: false, totalMb: 16_000 }, null, "blemesh sim: 100 000 nodes may need ~22 120 MB, more than this machine's 16 000 MB\n"],
    ['a ceiling given too low is said', 50_000, { heapLimitMb: 2_048, heapCeilingGiven: true, totalMb: 24_105 }, null, "blemesh sim: 50 000 nodes may need ~5 200 MB of heap, more than this process's 2 048 MB ceiling (node --max-old-space-size=<MB>)\n"],
  ])('memoryNote — %s', (_, nodes, memory, heapMb, note) => {
    expect(memoryNote(nodes, memory, heapMb)).toBe(note)
  })
})

describe('progressReporter', () => {
  function reporter (tty: boolean): { io: ReturnType<typeof fakeIO>, at: (ms: number, fraction: number) => void, done: () => void } {
    const io = fakeIO()
    io.stderrIsTTY = tty
    let now = 1_000
    const progress = progressReporter(io, 'flood', () => now)
    return { io, at: (ms, fraction) => { now = 1_000 + ms; progress.update(fraction) }, done: progress.done }
  }

  test('progressReporter — a TTY gets a bar from PROGRESS_AFTER_MS on, redrawn at most every PROGRESS_REDRAW_MS, cleared when done', () => {
    const { io, at, done } = reporter(true)
    at(PROGRESS_AFTER_MS - 1, 0.1)
    expect(io.err).toBe('')
    at(PROGRESS_AFTER_MS, 0.5)
    expect(io.err).toBe(`\rflood [${'#'.repeat(15)}${'-'.repeat(15)}]  50.0 % 2 s`)
    at(PROGRESS_AFTER_MS + PROGRESS_REDRAW_MS - 1, 0.6)
    expect(io.err.split('\r')).toHaveLength(2)
    at(PROGRESS_AFTER_MS + PROGRESS_REDRAW_MS, 1)
    expect(io.err.endsWith(`\rflood [${'#'.repeat(30)}] 100.0 % 2 s`)).toBe(true)
    done()
    expect(io.err.endsWith('\r\x1b[K')).toBe(true)
  })

  test('progressReporter — a log gets a line at once after PROGRESS_AFTER_MS, then one every PROGRESS_LINE_MS, and no clearing', () => {
    const { io, at, done } = reporter(false)
    at(PROGRESS_AFTER_MS - 1, 0.1)
    at(PROGRESS_AFTER_MS, 0.0213)
    at(PROGRESS_AFTER_MS + PROGRESS_LINE_MS - 1, 0.5)
    at(PROGRESS_AFTER_MS + PROGRESS_LINE_MS, 0.75)
    done()
    expect(io.err).toBe('sim flood: 2.1 % after 2 s\nsim flood: 75.0 % after 12 s\n')
  })

  test('progressReporter — a short run draws nothing and clears nothing', () => {
    const { io, at, done } = reporter(true)
    at(PROGRESS_AFTER_MS - 1, 1)
    done()
    expect(io.err).toBe('')
  })
})

describe('checkWritable', () => {
  test('checkWritable — a new file in a writable directory and an existing file pass; a missing directory and a directory do not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'blemesh-writable-'))
    const existing = join(dir, 'old.json')
    writeFileSync(existing, '{}')
    expect(() => checkWritable(join(dir, 'new.html'))).not.toThrow()
    expect(() => checkWritable(existing)).not.toThrow()
    expect(() => checkWritable(join(dir, 'missing', 'new.html'))).toThrow(/ENOENT/)
    expect(() => checkWritable(dir)).toThrow(/is a directory/)
  })
})
