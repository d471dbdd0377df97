// The README's growth curve as a picture: wall time and peak RSS of the bench's 60-second runs against
// nodes, both axes logarithmic, with a dashed line for what growing in proportion to the nodes would give.
// `node --import tsx bench/growth-chart.ts docs/growth.json > docs/growth.svg`; the data are the measured
// rows of the README's table, and a test keeps the picture and the data in step.
import { readFileSync } from 'node:fs'
import { axisBottom, axisLeft, type Box, esc, legend, logScale, logTicks, num, seriesColour, svgChart, type Ticks } from '../simulator/svg.js'

/** One measured run, as the README's table gives it. */
export interface GrowthPoint {
  nodes: number
  wallSeconds: number
  peakRssMb: number
  /** The build it ran. */
  commit: string
}

const WIDTH = 800
const HEIGHT = 330
const PANEL = { width: 280, height: 200, top: 60, gap: 120, left: 80 }
/** The line "in proportion to the nodes" starts from the first run this large: smaller ones are mostly Node starting up. */
const PROPORTIONAL_FROM_NODES = 1_000
/** Standalone: GitHub shows the file as an image, without the report's stylesheet. */
const STYLE = 'text{font:13px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:#1f2328}' +
  '.title{font-size:17px;font-weight:600}.panel-title{font-weight:600}.label{fill:#59636e}' +
  '.axis line{stroke:#6e7781}.axis line.grid{stroke:#eaeef2}'

/** Powers of ten only: three decades of 1-2-5 ticks crowd a 280-unit axis. */
function decades (t: Ticks): Ticks {
  return { ...t, ticks: t.ticks.filter(v => Number.isInteger(Math.log10(v))) }
}

/** 100, 1k, 10k, 100k. */
function short (v: number): string {
  return v >= 1_000 ? `${v / 1_000}k` : String(v)
}

export function growthChart (points: readonly GrowthPoint[]): string {
  if (points.length === 0) throw new Error('growth chart: no points')
  const sorted = [...points].sort((a, b) => a.nodes - b.nodes)
  const xt = decades(logTicks(sorted[0]!.nodes, sorted.at(-1)!.nodes))
  const anchor = sorted.find(p => p.nodes >= PROPORTIONAL_FROM_NODES) ?? sorted[0]!
  const panels = [
    { title: 'wall time', label: 'seconds', value: (p: GrowthPoint) => p.wallSeconds },
    { title: 'peak RSS', label: 'MB', value: (p: GrowthPoint) => p.peakRssMb },
  ]
  let body = ''
  panels.forEach((panel, i) => {
    const box: Box = { x: PANEL.left + i * (PANEL.width + PANEL.gap), y: PANEL.top, width: PANEL.width, height: PANEL.height }
    const values = sorted.map(panel.value)
    // What a constant cost per node would give from the anchor run on.
    const proportional = (nodes: number): number => panel.value(anchor) * nodes / anchor.nodes
    const last = sorted.at(-1)!.nodes
    const yt = decades(logTicks(Math.min(...values), Math.max(...values, proportional(last))))
    const sx = logScale(xt.domain, [box.x, box.x + box.width])
    const sy = logScale(yt.domain, [box.y + box.height, box.y])
    body += `<text class="panel-title" x="${num(box.x)}" y="${num(box.y - 10)}">${esc(panel.title)}</text>` +
      axisBottom(box, { scale: sx, ticks: xt, label: 'nodes', grid: true, format: short }) +
      axisLeft(box, { scale: sy, ticks: yt, label: panel.label, grid: true, format: short })
    body += `<line class="proportional" x1="${num(sx(anchor.nodes))}" y1="${num(sy(proportional(anchor.nodes)))}" x2="${num(sx(last))}" y2="${num(sy(proportional(last)))}" stroke="${seriesColour(1)}" stroke-width="1.5" stroke-dasharray="5 3"/>`
    const path = sorted.map((p, k) => `${k === 0 ? 'M' : 'L'}${num(sx(p.nodes))} ${num(sy(panel.value(p)))}`).join('')
    body += `<path d="${path}" fill="none" stroke="${seriesColour(0)}" stroke-width="2.5"/>`
    for (const p of sorted) {
      body += `<circle class="point" cx="${num(sx(p.nodes))}" cy="${num(sy(panel.value(p)))}" r="4" fill="${seriesColour(0)}">` +
        `<title>${esc(`${p.nodes} nodes: ${panel.value(p)} ${panel.label} (commit ${p.commit})`)}</title></circle>`
    }
  })
  const key = legend([
    { label: 'measured (bench:sim, 60 virtual seconds)', colour: seriesColour(0) },
    { label: `in proportion to the nodes from ${anchor.nodes.toLocaleString('en-US').replace(/,/g, ' ')}`, colour: seriesColour(1), kind: 'dash' },
  ], PANEL.left, HEIGHT - 18, WIDTH - PANEL.left)
  return svgChart({
    chart: 'growth',
    title: 'How a simulation grows with its nodes',
    description: `Wall time and peak RSS of 60-virtual-second runs of ${sorted.map(p => p.nodes).join(', ')} nodes, log–log.`,
    width: WIDTH,
    height: HEIGHT,
    body: `<style>${STYLE}</style>` + body + key.svg,
  }) + '\n'
}

export function parseGrowth (json: string): GrowthPoint[] {
  const data = JSON.parse(json) as unknown
  if (!Array.isArray(data)) throw new Error('growth data: expected an array of runs')
  return data.map((row: Partial<GrowthPoint>, i) => {
    for (const key of ['nodes', 'wallSeconds', 'peakRssMb'] as const) {
      const v = row[key]
      if (typeof v !== 'number' || !(v > 0)) throw new Error(`growth data: run ${i}: '${key}' must be a positive number`)
    }
    if (typeof row.commit !== 'string') throw new Error(`growth data: run ${i}: 'commit' must be a string`)
    return row as GrowthPoint
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (file === undefined) { process.stderr.write('usage: node --import tsx bench/growth-chart.ts docs/growth.json > docs/growth.svg\n'); process.exit(1) }
  process.stdout.write(growthChart(parseGrowth(readFileSync(file, 'utf8'))))
}
