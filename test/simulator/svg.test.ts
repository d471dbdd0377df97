import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import {
  esc, formatTick, legend, linearScale, logScale, logTicks, niceTicks, num, sequentialColour, seriesColour, svgChart, ticksWithin,
} from '../../simulator/svg.js'

const fcSeed = process.env.BLEMESH_SEED === undefined ? {} : { seed: Number(process.env.BLEMESH_SEED) }

describe('svg helpers', () => {
  test('esc — escapes the five characters that matter in text and attributes', () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
    expect(esc('plain — text')).toBe('plain — text')
  })

  test.each([
    [1.23456, '1.2'], [-0.04, '0'], [0, '0'], [100, '100'], [-12.35, '-12.3'],
    [Infinity, '1000000'], [-Infinity, '-1000000'], [5e9, '1000000'],
  ])('num — %d prints as %s', (v, text) => {
    expect(num(v)).toBe(text)
  })

  test('num — NaN is a caller bug and throws', () => {
    expect(() => num(NaN)).toThrow(/NaN/)
  })

  test('linearScale — maps ends to ends, and a zero-width domain to the middle', () => {
    const s = linearScale([0, 10], [100, 0])
    expect([s(0), s(5), s(10)]).toEqual([100, 50, 0])
    expect(linearScale([3, 3], [0, 50])(3)).toBe(25)
  })

  test.each([
    { min: 0, max: 1, count: 5, integer: false, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    { min: 0, max: 97, count: 5, integer: false, ticks: [0, 20, 40, 60, 80, 100] },
    { min: 13, max: 1180, count: 6, integer: false, ticks: [0, 200, 400, 600, 800, 1000, 1200] },
    { min: 1, max: 7, count: 8, integer: true, ticks: [1, 2, 3, 4, 5, 6, 7] },
    { min: 3, max: 3, count: 8, integer: true, ticks: [2, 3, 4] },
    { min: 0, max: 0, count: 5, integer: false, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    { min: NaN, max: Infinity, count: 5, integer: false, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] },
    { min: 0.1, max: 0.3, count: 2, integer: false, ticks: [0.1, 0.2, 0.3] },
    // A raw step of exactly 1 or 5 × 10^k is nice already.
    { min: 0, max: 5, count: 5, integer: false, ticks: [0, 1, 2, 3, 4, 5] },
    { min: 0, max: 25, count: 5, integer: false, ticks: [0, 5, 10, 15, 20, 25] },
    // Narrower than 1e-9 of its size: one value, padded out around it.
    { min: 1000, max: 1000 + 1e-7, count: 5, integer: false, ticks: [900, 1000, 1100, 1200] },
  ])('niceTicks — [$min, $max] in about $count steps gives $ticks', ({ min, max, count, integer, ticks }) => {
    const t = niceTicks(min, max, count, integer)
    expect(t.ticks).toEqual(ticks)
    expect(t.domain).toEqual([ticks[0], ticks[ticks.length - 1]])
  })

  test('niceTicks — by default about 5 ticks, not kept to integers', () => {
    expect(niceTicks(0, 1).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(niceTicks(0, 97).ticks).toEqual([0, 20, 40, 60, 80, 100])
  })

  test('niceTicks — any pair of numbers gives finite, increasing, covering ticks', () => {
    const n = fc.oneof(fc.double(), fc.constantFrom(0, 5e-324, 1e308, -1e308))
    fc.assert(fc.property(n, n, fc.integer({ min: 1, max: 12 }), (a, b, count) => {
      const t = niceTicks(a, b, count)
      expect(t.ticks.length).toBeGreaterThanOrEqual(2)
      expect(t.ticks.every(Number.isFinite)).toBe(true)
      for (let i = 1; i < t.ticks.length; i++) expect(t.ticks[i]!).toBeGreaterThan(t.ticks[i - 1]!)
      expect(t.domain[1]).toBeGreaterThan(t.domain[0])
      if (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a) < 1e300 && Math.abs(b) < 1e300) {
        // Covering up to the width below which a range counts as one value (1e-9 relative).
        const slack = 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
        expect(t.domain[0]).toBeLessThanOrEqual(Math.min(a, b) + slack)
        expect(t.domain[1]).toBeGreaterThanOrEqual(Math.max(a, b) - slack)
      }
    }), { numRuns: 500, ...fcSeed })
  })

  test('ticksWithin — keeps the domain and only ticks inside it', () => {
    const t = ticksWithin(-4, 1681, 6)
    expect(t.domain).toEqual([-4, 1681])
    expect(t.ticks).toEqual([0, 500, 1000, 1500])
    expect(ticksWithin(5e-324, 5e-324).domain).toEqual([0, 1])
    expect(ticksWithin(0, 1000).ticks).toEqual([0, 200, 400, 600, 800, 1000])
  })

  test.each([
    { min: 10, max: 5000, ticks: [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] },
    { min: 3, max: 70, ticks: [1, 2, 5, 10, 20, 50, 100] },
    { min: 0.5, max: 40_000, ticks: [0.1, 1, 10, 100, 1000, 10_000, 100_000] },
    { min: 7, max: 7, ticks: [1, 2, 5, 10] },
    { min: 10, max: 10, ticks: [10, 20, 50, 100] },
    // Zero and negative values have no logarithm: the axis starts at 1.
    { min: 0, max: 100, ticks: [1, 2, 5, 10, 20, 50, 100] },
    { min: -5, max: 100, ticks: [1, 2, 5, 10, 20, 50, 100] },
  ])('logTicks — [$min, $max] gives $ticks', ({ min, max, ticks }) => {
    const t = logTicks(min, max)
    expect(t.ticks).toEqual(ticks)
    const s = logScale(t.domain, [0, 100])
    expect([s(t.domain[0]), s(t.domain[1]), s(0), s(-5)]).toEqual([0, 100, 0, 0])
  })

  test.each([
    [0.2, 0.2, '0.2'], [1200, 200, '1200'], [12_000, 2000, '12k'], [2_500_000, 500_000, '2.5M'],
    [15, 5, '15'], [0.05, 0.01, '0.05'], [12_500, 500, '12500'],
    [1_000_000, 100_000, '1M'], [10_500_000, 500_000, '10.5M'], [100_000, 100_000, '100k'], [10_000, 1000, '10k'],
    [1e15, 1e14, '1.00e+15'], [0.5, 1e-6, '0.500000'], [0.5, 1e-7, '0.500'], [0, 1e-7, '0'],
  ])('formatTick — %d with step %d reads %s', (v, step, text) => {
    expect(formatTick(v, step)).toBe(text)
  })

  test('sequentialColour — ends of the scale, clamped outside it', () => {
    expect(sequentialColour(0)).toBe('#440154')
    expect(sequentialColour(-1)).toBe('#440154')
    expect(sequentialColour(NaN)).toBe('#440154')
    expect(sequentialColour(1)).toBe(sequentialColour(7))
    expect(sequentialColour(1)).toMatch(/^#[0-9a-f]{6}$/)
    expect(sequentialColour(0.5)).not.toBe(sequentialColour(0.6))
  })

  test('seriesColour — distinct for the first eight series, then cycles', () => {
    const first = Array.from({ length: 8 }, (_, i) => seriesColour(i))
    expect(new Set(first).size).toBe(8)
    expect(seriesColour(8)).toBe(seriesColour(0))
  })

  test('legend — wraps onto a new row when the next item would pass the width', () => {
    const items = ['flood', 'bitchat-ios', 'bitchat-android', 'adaptive'].map((label, i) => ({ label, colour: seriesColour(i) }))
    expect(legend(items, 0, 0, 1000).height).toBe(18)
    expect(legend(items, 0, 0, 200).height).toBeGreaterThan(18)
    expect(legend([], 0, 0, 100)).toEqual({ svg: '', height: 0 })
  })

  test('legend — a key drawn as the series is: square, dashed line, or line by default', () => {
    const svg = legend([{ label: 'a', colour: '#111', kind: 'square' }, { label: 'b', colour: '#222', kind: 'dash' }, { label: 'c', colour: '#333' }], 0, 0, 1000).svg
    expect(svg.match(/<rect [^>]*fill="#111"/g)).toHaveLength(1)
    expect(svg.match(/<line [^>]*stroke="#222"[^>]*stroke-dasharray/g)).toHaveLength(1)
    expect(svg.match(/<line [^>]*stroke="#333"[^>]*\/>/g)![0]).not.toContain('dasharray')
    expect(svg.match(/<rect /g)).toHaveLength(1)
  })

  test('svgChart — role, labels and data-chart on the outer element, title escaped', () => {
    const svg = svgChart({ chart: 'x', title: 'a < b', description: 'd', width: 10, height: 5, body: '' })
    expect(svg).toMatch(/^<svg [^>]*data-chart="x" role="img" viewBox="0 0 10 5" aria-labelledby="chart-x-title chart-x-desc">/)
    expect(svg).toContain('<title id="chart-x-title">a &lt; b</title>')
  })
})
