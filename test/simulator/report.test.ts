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

/** The labels of a chart's left axes, top to bottom of the page, with their y. */
function leftTicks (svg: string): Array<{ y: number, label: string }> {
  return [...svg.matchAll(/<text x="[^"]+" y="([^"]+)" dy="0.32em" text-anchor="end">([^<]+)<\/text>/g)].map(m => ({ y: Number(m[1]), label: m[2]! }))
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

  test('renderReport — private rows appear when a run had private traffic: a dash for a run without, a flag on misdeliveries', () => {
    const data = syntheticReport({ seed: SEED, nodes: 20, policies: ['flood', 'adaptive'] })
    const table = (d: ReportData): string => renderReport(d).match(/<table class="summary">[\s\S]*?<\/table>/)![0]
    expect(table(data)).not.toContain('private.')
    data.runs[1]!.summary.private = { messages: 12, deliveryRatio: 0.75, receiptRatio: 0.5, latencyMs: { p50: 410, p95: 990 }, txPerMessage: 321.25, misdelivered: 2 }
    const html = table(data)
    const row = (key: string): string => html.match(new RegExp(`<code>${key.replace('.', '\\.')}</code></th>(.*?)</tr>`))![1]!
    expect(row('private.messages')).toBe('<td>—</td><td>12</td>')
    expect(row('private.deliveryRatio')).toBe(`<td>—</td><td>${(75).toFixed(2)} %</td>`)
    expect(row('private.receiptRatio')).toBe(`<td>—</td><td>${(50).toFixed(2)} %</td>`)
    expect(row('private.txPerMessage')).toBe('<td>—</td><td>321.3</td>')
    expect(row('private.misdelivered')).toBe('<td>—</td><td class="warn">2</td>')
    expect(html).toContain('<code>private.latencyMs.p95</code>')
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

  test('renderReport — the map colours each node by the legend range its mean latency falls in, grey without one, and keeps its shape', () => {
    const latencies = [212, 225, 237, 249, 251, 263, 278, 280, 295, null, 340, 209]
    const nodes = latencies.map((_, i) => ({ x: (i % 4) * 100, y: Math.floor(i / 4) * 50 }))
    const data: ReportData = { ...syntheticReport({ seed: SEED, nodes: 12, policies: ['flood'] }), nodes, links: [] }
    data.runs[0] = { ...data.runs[0]!, nodeMeanLatencyMs: latencies }
    const svg = chart(renderReport(data), 'topology')
    const legendSvg = svg.match(/<g class="colour-legend">[\s\S]*?<\/g>/)![0]
    const binColours = [...legendSvg.matchAll(/<rect [^>]*fill="([^"]+)"/g)].map(m => m[1]!).slice(0, -1)
    const bounds = [...legendSvg.matchAll(/dy="0.32em">([^<]+)<\/text>/g)].map(m => m[1]!).slice(0, -1).map(Number)
    expect(bounds).toEqual([200, 220, 240, 260, 280, 300, 320, 340])
    expect(binColours).toHaveLength(7)
    expect(new Set(binColours).size).toBe(7)
    const fillOf = new Map<number, string>()
    const at = new Map<number, [number, number]>()
    for (const group of svg.matchAll(/<g fill="([^"]+)">((?:<circle [^>]*>.*?<\/circle>)*)<\/g>/g)) {
      for (const c of group[2]!.matchAll(/<circle cx="([^"]+)" cy="([^"]+)"[^>]*><title>node (\d+):/g)) {
        fillOf.set(Number(c[3]), group[1]!)
        at.set(Number(c[3]), [Number(c[1]), Number(c[2])])
      }
    }
    expect(fillOf.size).toBe(12)
    latencies.forEach((v, i) => {
      // The last range holds its upper bound too.
      const bin = v === null ? -1 : Math.min(bounds.length - 2, bounds.filter(b => b <= v).length - 1)
      expect([i, fillOf.get(i)]).toEqual([i, bin < 0 ? '#c4c4c4' : binColours[bin]])
    })
    // One scale on both axes, y pointing up: 100 m across is twice 50 m up.
    const [x0, y0] = at.get(0)!
    const [x1] = at.get(1)!
    const [, y4] = at.get(4)!
    expect(x1 - x0).toBeGreaterThan(0)
    expect(y0 - y4).toBeCloseTo((x1 - x0) / 2, 0)
    // The wider extent sets the scale, so every node lies inside the plot.
    const [, , width, height] = svg.match(/viewBox="([^"]+)"/)![1]!.split(' ').map(Number)
    for (const [cx, cy] of at.values()) {
      expect(cx).toBeGreaterThan(0); expect(cx).toBeLessThan(width!)
      expect(cy).toBeGreaterThan(0); expect(cy).toBeLessThan(height!)
    }
  })

  test('renderReport — delivery by hop draws each series in hop order, with ratios outside [0, 1] at the edge', () => {
    const base = syntheticReport({ seed: SEED, nodes: 20, policies: ['flood'] })
    const data = withRuns(base, () => ({ deliveryByHop: [{ hops: 3, ratio: 0.9, count: 5 }, { hops: 1, ratio: 1.5, count: 5 }, { hops: 2, ratio: 0.95, count: 5 }] }))
    const svg = chart(renderReport(data), 'delivery-by-hop')
    const markers = [...svg.matchAll(/<circle cx="([^"]+)" cy="([^"]+)" r="3"><title>flood: (\d+) hops, ([^<]+) of/g)]
    expect(markers.map(m => Number(m[3]))).toEqual([1, 2, 3])
    const xs = markers.map(m => Number(m[1]))
    expect(xs[0]! < xs[1]! && xs[1]! < xs[2]!).toBe(true)
    // 150 % is drawn at the top (where 100 % is) and told as it is.
    const ys = markers.map(m => Number(m[2]))
    expect(ys[0]!).toBeLessThan(ys[1]!)
    expect(markers[0]![4]).toBe('150.00 %')
    const top = leftTicks(svg).find(t => t.label === '100 %')
    expect(top!.y).toBeCloseTo(ys[0]!, 0)
  })

  test('renderReport — transmissions over time are drawn as frames per second, unchanged when long runs\' buckets are merged, to the run\'s end', () => {
    // 800 buckets of 1.5 s, merged 6 to a step (the last step has 2): application at a steady 10 frames/s,
    // control at 20/s for the first 600 s, then none.
    const application = new Array<number>(800).fill(15)
    const control = Array.from({ length: 800 }, (_, i) => i < 400 ? 30 : 0)
    const data = withRuns(syntheticReport({ seed: SEED, nodes: 20, policies: ['flood'] }), () => ({ txOverTime: { bucketSeconds: 1.5, application, control } }))
    const svg = chart(renderReport(data), 'tx-over-time')
    const ticks = leftTicks(svg)
    // The application panel's left axis comes first, then the control panel's.
    const split = ticks.findIndex((t, i) => i > 0 && t.label === '0')
    const yOf = (panel: number, label: string): number => (panel === 0 ? ticks.slice(0, split) : ticks.slice(split)).find(t => t.label === label)!.y
    const paths = [...svg.matchAll(/<path class="series"[^>]* d="([^"]+)"/g)].map(m => m[1]!)
    expect(paths).toHaveLength(2)
    const steps = (d: string): { ys: number[], xs: number[] } => ({
      ys: [...d.matchAll(/V([-\d.]+)/g)].map(m => Number(m[1])),
      xs: [...d.matchAll(/H([-\d.]+)/g)].map(m => Number(m[1])),
    })
    const app = steps(paths[0]!)
    const ctl = steps(paths[1]!)
    expect(app.ys).toHaveLength(134)
    // The short last step too: its rate is over its own 2 buckets, not over 6.
    expect(new Set(app.ys)).toEqual(new Set([yOf(0, '10')]))
    expect(new Set(ctl.ys.slice(0, 66))).toEqual(new Set([yOf(1, '20')]))
    expect(new Set(ctl.ys.slice(67))).toEqual(new Set([yOf(1, '0')]))
    // 1 200 s is 20 minutes: the last step ends on the axis' last tick, not a part-step beyond it.
    expect(svg).toContain('virtual time (min)')
    const lastTickX = Number([...svg.matchAll(/<text x="([^"]+)" y="[^"]+" text-anchor="middle">20<\/text>/g)].at(-1)![1])
    expect(app.xs.at(-1)).toBeCloseTo(lastTickX, 0)
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
