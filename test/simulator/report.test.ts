import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { MAX_DRAWN_LINKS, MAX_DRAWN_NODES, renderReport } from '../../simulator/report.js'
import { SeededRandom } from '../../src/prng.js'
import type { ReportData, ReportPolicyRun } from '../../simulator/report-data.js'
import { DEFAULT_POLICIES, syntheticReport, testSeed } from './report-fixture.js'

const CHARTS = ['topology', 'delivery-by-hop', 'latency-cdf', 'tx-over-time', 'policy-comparison'] as const

/** The one `<svg>` carrying data-chart="name" (charts never nest, so the first `</svg>` closes it). */
function chart (html: string, name: string): string {
  const matches = [...html.matchAll(new RegExp(`<svg[^>]*data-chart="${name}"[\\s\\S]*?</svg>`, 'g'))]
  expect(matches, `chart ${name}`).toHaveLength(1)
  return matches[0]![0]
}

function count (text: string, pattern: RegExp): number {
  return [...text.matchAll(new RegExp(pattern.source, 'g'))].length
}

/** Text that must never reach the page: a number that failed to compute, or a field that was missing. */
const BROKEN = /NaN|undefined|Infinity|null/

function withRuns (data: ReportData, change: (run: ReportPolicyRun) => Partial<ReportPolicyRun>): ReportData {
  return { ...data, runs: data.runs.map((r) => ({ ...r, ...change(r) })) }
}

const SEED = testSeed(20_261_122)

describe('renderReport', () => {
  test('renderReport — one self-contained document with every chart, labelled for assistive technology', () => {
    const html = renderReport(syntheticReport({ seed: SEED, nodes: 120 }))
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html.trimEnd().endsWith('</html>')).toBe(true)
    for (const name of CHARTS) {
      const svg = chart(html, name)
      expect(svg).toMatch(/^<svg[^>]* role="img"/)
      expect(svg).toMatch(/^<svg[^>]* aria-labelledby="[^"]+"/)
      expect(svg).toMatch(/<title id="[^"]+">[^<]+<\/title>/)
      expect(svg).toMatch(/class="axis x"/)
    }
    // Nothing to fetch and nothing to run: the only URL is the SVG namespace.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0])
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']))
    expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(|@import|\bsrc=/i)
  })

  test('renderReport — the summary table has one column per run and every summary key', () => {
    const data = syntheticReport({ seed: SEED, nodes: 50 })
    const html = renderReport(data)
    const table = html.match(/<table class="summary">[\s\S]*?<\/table>/)![0]
    expect(count(table.match(/<thead>[\s\S]*<\/thead>/)![0], /<th /)).toBe(1 + data.runs.length)
    for (const key of ['nodes', 'messages', 'deliveryRatio', 'deliveryRatioAll', 'txPerNodePerMessage',
      'controlTxPerNodePerMinute', 'usefulness', 'latencyMs.p50', 'latencyMs.p95', 'latencyMs.p99',
      'hopLatencyMs.p50', 'hopLatencyMs.p95', 'duplicatesDelivered', 'eventsPerSecond', 'receptionsPerSecond',
      'wallSeconds', 'peakRssMb']) {
      expect(table).toContain(`<code>${key}</code>`)
    }
    const first = data.runs[0]!.summary
    expect(table).toContain(`${(first.deliveryRatio * 100).toFixed(2)} %`)
    expect(table).toContain(first.txPerNodePerMessage.toFixed(3))
  })

  test('renderReport — a run that delivered duplicates is flagged in the table', () => {
    const data = syntheticReport({ seed: SEED, nodes: 20, policies: ['flood', 'adaptive'] })
    data.runs[1]!.summary.duplicatesDelivered = 3
    const html = renderReport(data)
    expect(count(html, /<td class="warn">/)).toBe(1)
    expect(html).toContain('<td class="warn">3</td>')
  })

  test.each([1, 2, 3, 4, 6, 9])('renderReport — %i policies give that many series in every chart', (n) => {
    const policies = Array.from({ length: n }, (_, i) => DEFAULT_POLICIES[i] ?? `policy-${i}`)
    const html = renderReport(syntheticReport({ seed: SEED + n, nodes: 40, policies }))
    expect(count(chart(html, 'delivery-by-hop'), /<path class="series"/)).toBe(n)
    expect(count(chart(html, 'latency-cdf'), /<path class="series"/)).toBe(n)
    expect(count(chart(html, 'tx-over-time'), /<path class="series"/)).toBe(2 * n)
    expect(count(chart(html, 'policy-comparison'), /<rect class="bar"/)).toBe(2 * n)
    for (const name of ['delivery-by-hop', 'latency-cdf', 'tx-over-time']) {
      const legend = chart(html, name).match(/<g class="legend">[\s\S]*?<\/g>/)![0]
      expect(count(legend, /<text/), name).toBe(n)
    }
    for (const policy of policies) expect(chart(html, 'latency-cdf')).toContain(`data-series="${policy}"`)
  })

  test('renderReport — the topology map draws one circle per node and every link below the cap', () => {
    const data = syntheticReport({ seed: SEED, nodes: 300 })
    const svg = chart(renderReport(data), 'topology')
    const nodes = svg.match(/<g class="nodes">[\s\S]*?<\/g><\/g>/)![0]
    expect(count(nodes, /<circle /)).toBe(300)
    const links = svg.match(/<path class="links" d="([^"]*)"/)![1]!
    expect(count(links, /M/)).toBe(data.links.length)
    expect(svg).not.toContain('evenly sampled')
    // Nodes with no delivery are grey; here isolated nodes exist only if the fixture made some.
    const isolated = data.runs[0]!.nodeMeanLatencyMs.filter((v) => v === null).length
    const grey = nodes.match(/<g fill="#c4c4c4">([\s\S]*?)<\/g>/)![1]!
    expect(count(grey, /<circle /)).toBe(isolated)
  })

  test('renderReport — 10 000 nodes: links capped and said so, file stays small', () => {
    const data = syntheticReport({ seed: SEED, nodes: 10_000, meanDegree: 10 })
    expect(data.links.length).toBeGreaterThan(MAX_DRAWN_LINKS)
    const html = renderReport(data)
    const svg = chart(html, 'topology')
    expect(count(svg.match(/<path class="links" d="([^"]*)"/)![1]!, /M/)).toBe(MAX_DRAWN_LINKS)
    expect(svg).toContain(`${MAX_DRAWN_LINKS.toLocaleString('en-US')} drawn (evenly sampled)`)
    expect(count(svg, /<circle /)).toBe(10_000)
    expect(svg).not.toContain('<title>node ')
    expect(html.length).toBeLessThan(1_500_000)
    expect(html).not.toMatch(BROKEN)
  })

  test('renderReport — a long latency tail turns the CDF axis logarithmic, a short one keeps it linear', () => {
    const base = syntheticReport({ seed: SEED, nodes: 20, policies: ['flood', 'adaptive'] })
    const tail = withRuns(base, () => ({ latencyCdf: [[10, 0.25], [20, 0.5], [40, 0.9], [5000, 1]] }))
    const svg = chart(renderReport(tail), 'latency-cdf')
    expect(svg).toContain('delivery latency (ms, log scale)')
    for (const label of ['10', '100', '1000', '10k']) expect(svg).toContain(`text-anchor="middle">${label}</text>`)
    expect(svg).not.toMatch(BROKEN)
    expect(chart(renderReport(base), 'latency-cdf')).toContain('delivery latency (ms)<')
  })

  test('renderReport — 100 000 nodes: an even sample is drawn and the map says so', () => {
    const rnd = new SeededRandom(SEED)
    const nodes = Array.from({ length: 100_000 }, () => ({ x: rnd.next() * 3000, y: rnd.next() * 3000 }))
    const base = syntheticReport({ seed: SEED, nodes: 10, policies: ['flood'] })
    const data: ReportData = {
      ...base,
      nodes,
      links: [],
      runs: withRuns(base, () => ({ nodeMeanLatencyMs: nodes.map((n) => n.x / 10) })).runs,
    }
    const html = renderReport(data)
    const svg = chart(html, 'topology')
    expect(count(svg, /<circle /)).toBe(MAX_DRAWN_NODES)
    expect(svg).toContain(`100,000 nodes, ${MAX_DRAWN_NODES.toLocaleString('en-US')} drawn (evenly sampled)`)
    // The sample spans the map: some drawn node in each tenth of the x range.
    const cx = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]))
    const lo = Math.min(...cx)
    const width = Math.max(...cx) - lo
    const tenths = new Set(cx.map((x) => Math.min(9, Math.floor((x - lo) / (width / 10)))))
    expect(tenths.size).toBe(10)
    expect(html.length).toBeLessThan(1_500_000)
  })

  test('renderReport — same data, same bytes', () => {
    const a = renderReport(syntheticReport({ seed: SEED, nodes: 80 }))
    const b = renderReport(syntheticReport({ seed: SEED, nodes: 80 }))
    expect(a).toBe(b)
  })

  test('renderReport — text from the data is escaped everywhere it appears', () => {
    const hostile = '<script>alert("x")</script>'
    const data = syntheticReport({ seed: SEED, nodes: 10, policies: [`${hostile}&'`, 'flood'], title: hostile })
    data.scenario.topology = '"><img src=x onerror=alert(1)>'
    const html = renderReport(data)
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(html).toContain('data-series="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"')
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;')
  })

  const base = syntheticReport({ seed: SEED, nodes: 30, policies: ['flood', 'adaptive'] })
  const emptyCases: Array<{ name: string, data: ReportData, notes: Partial<Record<typeof CHARTS[number], string>> }> = [
    {
      name: 'no runs',
      data: { ...base, runs: [] },
      notes: { 'delivery-by-hop': 'no deliveries to measure', 'latency-cdf': 'no deliveries', 'tx-over-time': 'no transmissions recorded', 'policy-comparison': 'no runs' },
    },
    { name: 'no nodes and no links', data: { ...base, nodes: [], links: [], runs: base.runs.map((r) => ({ ...r, nodeMeanLatencyMs: [] })) }, notes: { topology: 'no nodes' } },
    { name: 'zero links', data: { ...base, links: [] }, notes: {} },
    {
      name: 'no deliveries',
      data: withRuns(base, (r) => ({
        deliveryByHop: [],
        latencyCdf: [],
        nodeMeanLatencyMs: r.nodeMeanLatencyMs.map(() => null),
        summary: { ...r.summary, deliveryRatio: 0, deliveryRatioAll: 0, latencyMs: { p50: NaN, p95: NaN, p99: NaN }, hopLatencyMs: { p50: NaN, p95: NaN } },
      })),
      notes: { 'delivery-by-hop': 'no deliveries to measure', 'latency-cdf': 'no deliveries' },
    },
    {
      name: 'no time buckets',
      data: withRuns(base, () => ({ txOverTime: { bucketSeconds: 0, application: [], control: [] } })),
      notes: { 'tx-over-time': 'no transmissions recorded' },
    },
    {
      name: 'single points',
      data: withRuns(base, () => ({
        deliveryByHop: [{ hops: 1, ratio: 1, count: 1 }],
        latencyCdf: [[12, 1]],
        txOverTime: { bucketSeconds: 5, application: [3], control: [1] },
      })),
      notes: {},
    },
    { name: 'one policy', data: { ...base, runs: base.runs.slice(0, 1) }, notes: {} },
    {
      name: 'one node, same latency everywhere',
      data: { ...base, nodes: [{ x: 0, y: 0 }], links: [], runs: base.runs.map((r) => ({ ...r, nodeMeanLatencyMs: [5] })) },
      notes: {},
    },
  ]

  test.each(emptyCases)('renderReport — $name: every chart renders, says why it is empty, and has no NaN', ({ data, notes }) => {
    const html = renderReport(data)
    expect(html).not.toMatch(BROKEN)
    for (const name of CHARTS) {
      const svg = chart(html, name)
      const note = notes[name]
      if (note === undefined) expect(svg, name).not.toContain('class="empty"')
      else expect(svg, name).toContain(`>${note}</text>`)
    }
  })

  test('renderReport — non-finite and absurd numbers anywhere never throw nor reach the page', () => {
    const number = fc.oneof(
      { weight: 3, arbitrary: fc.double({ min: -10, max: 2000, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e308, -1e308, 5e-324) },
      { weight: 1, arbitrary: fc.double() },
    )
    const label = fc.string({ maxLength: 12 }).map((s) => s.replace(/NaN|undefined|Infinity|null/g, '_'))
    const run = fc.record({
      summary: fc.record({
        nodes: number, messages: number, policy: label, deliveryRatio: number, deliveryRatioAll: number,
        txPerNodePerMessage: number, controlTxPerNodePerMinute: number, usefulness: number,
        latencyMs: fc.record({ p50: number, p95: number, p99: number }), hopLatencyMs: fc.record({ p50: number, p95: number }),
        duplicatesDelivered: number, events: number, eventsPerSecond: number, receptions: number,
        receptionsPerSecond: number, wallSeconds: number, peakRssMb: number,
      }),
      deliveryByHop: fc.array(fc.record({ hops: number, ratio: number, count: number }), { maxLength: 10 }),
      latencyCdf: fc.array(fc.tuple(number, number), { maxLength: 20 }),
      txOverTime: fc.record({ bucketSeconds: number, application: fc.array(number, { maxLength: 400 }), control: fc.array(number, { maxLength: 20 }) }),
      nodeMeanLatencyMs: fc.array(fc.option(number), { maxLength: 30 }),
    })
    const data = fc.record({
      title: label,
      scenario: fc.record({ seed: fc.integer(), durationSeconds: number, topology: label, areaMetres: number }),
      nodes: fc.array(fc.record({ x: number, y: number }), { maxLength: 30 }),
      // Indices may point past the node list: a bad link is skipped, not drawn from garbage.
      links: fc.array(fc.tuple(fc.integer({ min: -1, max: 35 }), fc.integer({ min: -1, max: 35 })), { maxLength: 60 }),
      runs: fc.array(run, { maxLength: 4 }),
    })
    const seed = process.env.BLEMESH_SEED === undefined ? {} : { seed: Number(process.env.BLEMESH_SEED) }
    fc.assert(fc.property(data, (d) => {
      const html = renderReport(d)
      expect(html).not.toMatch(BROKEN)
      for (const name of CHARTS) chart(html, name)
    }), { numRuns: 300, ...seed })
  })
})
