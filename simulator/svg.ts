// Small, dependency-free helpers for building SVG charts as strings: escaping, linear scales with "nice"
// ticks, axes, legends and colours. The report builds every chart from these so they share one look.

/** Escapes text for use in HTML/SVG text nodes and double- or single-quoted attributes. */
export function esc (text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * A coordinate as SVG text, rounded to 0.1 px (finer is invisible and only grows the file). Coordinates far
 * off the canvas (an outlier in the data, even one that overflowed to ±Infinity) are pinned at
 * ±MAX_COORDINATE; NaN is a bug in the caller (data must be filtered before it reaches a scale), so it throws.
 */
export function num (v: number): string {
  if (Number.isNaN(v)) throw new Error('NaN SVG coordinate')
  const r = Math.round(Math.min(MAX_COORDINATE, Math.max(-MAX_COORDINATE, v)) * 10) / 10
  return Object.is(r, -0) ? '0' : String(r)
}

/** Far beyond any chart (ours are < 1 000 units wide) yet short to print. */
const MAX_COORDINATE = 1e6

export type Scale = (v: number) => number

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps everything to the middle of the range. */
export function linearScale (domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain
  const [r0, r1] = range
  if (d1 === d0) return () => (r0 + r1) / 2
  const k = (r1 - r0) / (d1 - d0)
  return (v) => r0 + (v - d0) * k
}

/** Maps [d0, d1] (both > 0) logarithmically onto [r0, r1]; values at or below zero land on d0. */
export function logScale (domain: readonly [number, number], range: readonly [number, number]): Scale {
  const l0 = Math.log10(domain[0])
  const inner = linearScale([l0, Math.log10(domain[1])], range)
  return (v) => inner(v > 0 ? Math.log10(v) : l0)
}

export interface Ticks {
  /** The domain widened to whole steps, so the axis starts and ends on a tick. */
  domain: [number, number]
  ticks: number[]
  step: number
}

/**
 * About `count` ticks at 1, 2 or 5 × 10^k covering [min, max]. A zero-width or non-finite range is widened
 * so there is always a usable axis; `integer` keeps the step ≥ 1 (hop counts, node counts).
 */
export function niceTicks (min: number, max: number, count = 5, integer = false): Ticks {
  const [lo, hi] = usableRange(min, max)
  let step = niceStep((hi - lo) / Math.max(1, count))
  if (integer) step = Math.max(1, Math.round(step))
  const start = Math.floor(lo / step) * step
  const end = Math.ceil(hi / step) * step
  const ticks: number[] = []
  // Computed from the index rather than accumulated, so 0.1 + 0.2 style drift never reaches a label.
  for (let i = 0; i <= MAX_TICKS && start + i * step <= end + step * 1e-9; i++) ticks.push(roundTo(start + i * step, step))
  return { domain: [roundTo(start, step), roundTo(end, step)], ticks, step }
}

/** Keeps hi − lo finite (1.7e308 − (−1.7e308) overflows); no real axis spans more than this. */
const MAX_AXIS_MAGNITUDE = 1e300

function clampMagnitude (v: number): number {
  return Math.min(MAX_AXIS_MAGNITUDE, Math.max(-MAX_AXIS_MAGNITUDE, v))
}

/** Narrower ranges are treated as a single value: their ticks would underflow or print alike. */
const MIN_RELATIVE_SPAN = 1e-9

/**
 * Ticks for a log axis over [min, max] (min > 0): whole decades, with 2 and 5 between them when the axis
 * spans few enough decades for them to fit. Label them with formatTick(v, v).
 */
export function logTicks (min: number, max: number): Ticks {
  // Exponents kept within ±300 so every tick is a normal, non-zero, finite double.
  const exponent = (v: number): number => Math.min(300, Math.max(-300, Number.isFinite(v) && v > 0 ? Math.log10(v) : 0))
  const lo = Math.floor(exponent(min))
  const hi = Math.max(lo + 1, Math.ceil(exponent(Math.max(max, min))))
  const decades = Math.min(hi - lo, MAX_TICKS)
  const mantissas = decades <= 3 ? [1, 2, 5] : [1]
  const ticks: number[] = []
  for (let e = lo; e <= lo + decades; e++) {
    for (const m of mantissas) if (e < lo + decades || m === 1) ticks.push(Number(`${m}e${e}`))
  }
  return { domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks, step: ticks[0]! }
}

/** A guard against runaway loops on absurd ranges (±1e308); a readable axis has about ten. */
const MAX_TICKS = 50

/**
 * Nice ticks inside [min, max] without widening it: for maps, where the data's own extent should fill the
 * plot rather than be padded out to the next round number.
 */
export function ticksWithin (min: number, max: number, count = 5): Ticks {
  const [lo, hi] = usableRange(min, max)
  const nice = niceTicks(lo, hi, count)
  const slack = nice.step * 1e-9
  return { domain: [lo, hi], ticks: nice.ticks.filter((t) => t >= lo - slack && t <= hi + slack), step: nice.step }
}

/** [min, max] made safe to divide: finite, ordered, and wide enough (one value gets a width of its own). */
function usableRange (min: number, max: number): [number, number] {
  let lo = Number.isFinite(min) ? clampMagnitude(min) : 0
  let hi = Number.isFinite(max) ? clampMagnitude(max) : lo
  if (hi < lo) [lo, hi] = [hi, lo]
  if (hi - lo > MIN_RELATIVE_SPAN * Math.max(1, Math.abs(lo), Math.abs(hi))) return [lo, hi]
  if (Math.abs(lo) < MIN_RELATIVE_SPAN) return [0, 1]
  const pad = Math.abs(lo) * 0.1
  return [lo - pad, lo + 2 * pad]
}

function niceStep (raw: number): number {
  const power = Math.pow(10, Math.floor(Math.log10(raw)))
  const f = raw / power
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
  return nice * power
}

function roundTo (v: number, step: number): number {
  const decimals = stepDecimals(step)
  return Number(v.toFixed(Math.min(20, decimals)))
}

function stepDecimals (step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9))
}

/** A tick label: as many decimals as the step needs; thousands shortened to k and M. */
export function formatTick (v: number, step: number): string {
  const a = Math.abs(v)
  if (a >= 1e15 || step < 1e-6) return v === 0 ? '0' : v.toPrecision(3)
  if (a >= 1e6 && step >= 1e5) return `${trim((v / 1e6).toFixed(stepDecimals(step / 1e6)))}M`
  if (a >= 1e4 && step >= 1e3) return `${trim((v / 1e3).toFixed(stepDecimals(step / 1e3)))}k`
  return v.toFixed(stepDecimals(step))
}

function trim (s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s
}

/** A plot area in SVG user units: the rectangle inside the axes. */
export interface Box { x: number, y: number, width: number, height: number }

export interface AxisOptions {
  scale: Scale
  ticks: Ticks
  label: string
  format?: (v: number) => string
  /** Draws light grid lines across the plot at each tick. */
  grid?: boolean
}

export function axisBottom (box: Box, o: AxisOptions): string {
  const fmt = o.format ?? ((v: number) => formatTick(v, o.ticks.step))
  const y = box.y + box.height
  let out = `<g class="axis x">`
  for (const t of o.ticks.ticks) {
    const x = num(o.scale(t))
    if (o.grid === true) out += `<line class="grid" x1="${x}" x2="${x}" y1="${num(box.y)}" y2="${num(y)}"/>`
    out += `<line x1="${x}" x2="${x}" y1="${num(y)}" y2="${num(y + 5)}"/>`
    out += `<text x="${x}" y="${num(y + 18)}" text-anchor="middle">${esc(fmt(t))}</text>`
  }
  out += `<line x1="${num(box.x)}" x2="${num(box.x + box.width)}" y1="${num(y)}" y2="${num(y)}"/>`
  out += `<text class="label" x="${num(box.x + box.width / 2)}" y="${num(y + 38)}" text-anchor="middle">${esc(o.label)}</text>`
  return out + '</g>'
}

export function axisLeft (box: Box, o: AxisOptions): string {
  const fmt = o.format ?? ((v: number) => formatTick(v, o.ticks.step))
  const x = box.x
  let out = `<g class="axis y">`
  for (const t of o.ticks.ticks) {
    const y = num(o.scale(t))
    if (o.grid === true) out += `<line class="grid" x1="${num(x)}" x2="${num(x + box.width)}" y1="${y}" y2="${y}"/>`
    out += `<line x1="${num(x - 5)}" x2="${num(x)}" y1="${y}" y2="${y}"/>`
    out += `<text x="${num(x - 8)}" y="${y}" dy="0.32em" text-anchor="end">${esc(fmt(t))}</text>`
  }
  out += `<line x1="${num(x)}" x2="${num(x)}" y1="${num(box.y)}" y2="${num(box.y + box.height)}"/>`
  const cy = num(box.y + box.height / 2)
  out += `<text class="label" transform="translate(${num(x - 48)} ${cy}) rotate(-90)" text-anchor="middle">${esc(o.label)}</text>`
  return out + '</g>'
}

export interface LegendItem {
  label: string
  colour: string
  /** How the swatch is drawn: a line (series), a dashed line, or a filled square (bars, map). */
  kind?: 'line' | 'dash' | 'square'
}

/** Characters' average width at the charts' 13 px (measured in Chromium); only used to lay items out. */
const LEGEND_CHAR_WIDTH = 7.4

/** A legend laid out left to right from (x, y), wrapping at maxWidth; returns the SVG and its height. */
export function legend (items: readonly LegendItem[], x: number, y: number, maxWidth: number): { svg: string, height: number } {
  if (items.length === 0) return { svg: '', height: 0 }
  const rowHeight = 18
  let cx = x
  let cy = y
  let out = '<g class="legend">'
  for (const item of items) {
    const width = 26 + item.label.length * LEGEND_CHAR_WIDTH + 18
    if (cx > x && cx + width > x + maxWidth) { cx = x; cy += rowHeight }
    const kind = item.kind ?? 'line'
    const colour = esc(item.colour)
    if (kind === 'square') {
      out += `<rect x="${num(cx)}" y="${num(cy - 5)}" width="12" height="12" rx="2" fill="${colour}"/>`
    } else {
      const dash = kind === 'dash' ? ' stroke-dasharray="5 3"' : ''
      out += `<line x1="${num(cx)}" x2="${num(cx + 20)}" y1="${num(cy + 1)}" y2="${num(cy + 1)}" stroke="${colour}" stroke-width="2.5"${dash}/>`
    }
    out += `<text x="${num(cx + 26)}" y="${num(cy + 1)}" dy="0.32em">${esc(item.label)}</text>`
    cx += width
  }
  return { svg: out + '</g>', height: cy - y + rowHeight }
}

export interface ChartFrame {
  /** The `data-chart` name tests and readers find the chart by. */
  chart: string
  title: string
  /** Read out by screen readers and shown as the tooltip of the whole chart. */
  description: string
  width: number
  height: number
  body: string
}

/** The outer `<svg>`: sized by its viewBox so it scales with the page, labelled for assistive technology. */
export function svgChart (f: ChartFrame): string {
  const id = `chart-${f.chart}`
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${esc(f.chart)}" role="img"` +
    ` viewBox="0 0 ${num(f.width)} ${num(f.height)}" aria-labelledby="${id}-title ${id}-desc">` +
    `<title id="${id}-title">${esc(f.title)}</title><desc id="${id}-desc">${esc(f.description)}</desc>` +
    `<text class="title" x="16" y="24">${esc(f.title)}</text>` +
    f.body + '</svg>'
}

/** A centred note in an empty plot ("no deliveries"), so an empty chart says why it is empty. */
export function emptyNote (box: Box, text: string): string {
  return `<text class="empty" x="${num(box.x + box.width / 2)}" y="${num(box.y + box.height / 2)}" text-anchor="middle">${esc(text)}</text>`
}

/**
 * Series colours: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), readable with the
 * common colour-vision deficiencies; yellow is dropped because it vanishes on white.
 */
const SERIES_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C6D31']

export function seriesColour (index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length]!
}

/**
 * Viridis (matplotlib's perceptually uniform map, CC0) sampled at 9 stops and cut at 0.9 so the lightest
 * colour still stands out on white.
 */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725']
const SEQUENTIAL_MAX = 0.9

/** A colour for t in [0, 1] (clamped): dark purple (low) through teal to yellow-green (high). */
export function sequentialColour (t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * SEQUENTIAL_MAX * (VIRIDIS.length - 1)
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u))
  return mix(VIRIDIS[i]!, VIRIDIS[i + 1]!, u - i)
}

function mix (a: string, b: string, t: number): string {
  const pa = parseInt(a.slice(1), 16)
  const pb = parseInt(b.slice(1), 16)
  let out = '#'
  for (const shift of [16, 8, 0]) {
    const ca = (pa >> shift) & 0xff
    const cb = (pb >> shift) & 0xff
    out += Math.round(ca + (cb - ca) * t).toString(16).padStart(2, '0')
  }
  return out
}
