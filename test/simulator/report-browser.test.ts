// Opens the rendered report in headless Chromium and checks what a user would see: every chart laid out with
// a real size, the expected number of drawn elements, no label outside its chart, nothing fetched.
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import { renderReport } from '../../simulator/report.js'
import type { ReportData } from '../../simulator/report-data.js'
import { syntheticReport, testSeed } from './report-fixture.js'

/** Debian's package (`.ci/run` installs it); BLEMESH_CHROMIUM points elsewhere (another OS, or to check the skip). */
const CHROMIUM = process.env.BLEMESH_CHROMIUM ?? '/usr/bin/chromium'
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']
const BROWSER_TIMEOUT_MS = 120_000

const present = existsSync(CHROMIUM)
const inCi = process.env.CI === 'true'
if (!present && !inCi) {
  console.warn(`report-browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium). ` +
    'With CI=true they fail instead.')
}

interface ChartMeasure {
  width: number
  height: number
  nodeCircles: number
  linkPaths: number
  series: number
  seriesWithLength: number
  bars: number
  /** Text elements whose box pokes out of the chart's viewBox (clipped labels). */
  textOutside: string[]
}

const CHARTS = ['topology', 'delivery-by-hop', 'latency-cdf', 'tx-over-time', 'policy-comparison']

/**
 * Runs in the page (plain JavaScript: the project compiles without DOM types, so src/ cannot lean on them).
 * For each chart: its laid-out size, what it drew, and any text whose box leaves the chart's viewBox
 * (rotated labels measured through their transform).
 */
const MEASURE_IN_PAGE = `(charts) => {
  const out = {}
  for (const chart of charts) {
    const svg = document.querySelector('svg[data-chart="' + chart + '"]')
    if (svg === null) continue
    const rect = svg.getBoundingClientRect()
    const view = svg.viewBox.baseVal
    const root = svg.getScreenCTM().inverse()
    const series = [...svg.querySelectorAll('path.series')]
    const textOutside = [...svg.querySelectorAll('text')].filter((t) => {
      const b = t.getBBox()
      if (b.width === 0) return false
      const toChart = root.multiply(t.getScreenCTM())
      const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]]
        .map(([x, y]) => new DOMPoint(x, y).matrixTransform(toChart))
      return corners.some((p) => p.x < view.x - 1 || p.y < view.y - 1 ||
        p.x > view.x + view.width + 1 || p.y > view.y + view.height + 1)
    }).map((t) => t.textContent)
    out[chart] = {
      width: rect.width,
      height: rect.height,
      nodeCircles: svg.querySelectorAll('g.nodes circle').length,
      linkPaths: svg.querySelectorAll('path.links').length,
      series: series.length,
      seriesWithLength: series.filter((p) => p.getTotalLength() > 0).length,
      bars: svg.querySelectorAll('rect.bar').length,
      textOutside,
    }
  }
  return out
}`

// In CI a missing browser is a failure of its own, not a quiet skip.
test.runIf(inCi)('renderReport in Chromium — the browser is installed where CI=true', () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} must be installed when CI=true (apt-get install -y chromium)`).toBe(true)
})

describe.skipIf(!present)('renderReport in headless Chromium', () => {
  let browser: Browser
  const dir = mkdtempSync(join(tmpdir(), 'blemesh-report-'))

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS })
  }, BROWSER_TIMEOUT_MS)

  afterAll(async () => {
    await browser?.close()
  })

  async function open (data: ReportData, name: string): Promise<{ measures: Record<string, ChartMeasure>, screenshot: string, requests: string[], errors: string[] }> {
    const file = join(dir, `${name}.html`)
    writeFileSync(file, renderReport(data))
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const requests: string[] = []
    const errors: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()) })
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
    const measures = await page.evaluate(`(${MEASURE_IN_PAGE})(${JSON.stringify(CHARTS)})`) as Record<string, ChartMeasure>
    const screenshot = join(dir, `${name}.png`)
    await page.screenshot({ path: screenshot, fullPage: true })
    await page.close()
    console.log(`report-browser: ${name} screenshot at ${screenshot}`)
    return { measures, screenshot, requests, errors }
  }

  test('renderReport in Chromium — every chart has a size, its drawn elements and its labels inside', async () => {
    const data = syntheticReport({ seed: testSeed(7), nodes: 200 })
    const { measures, screenshot, requests, errors } = await open(data, 'report')
    const policies = data.runs.length
    expect(Object.keys(measures).sort()).toEqual([...CHARTS].sort())
    for (const chart of CHARTS) {
      const m = measures[chart]!
      expect(m.width, chart).toBeGreaterThan(300)
      expect(m.height, chart).toBeGreaterThan(200)
      expect(m.textOutside, `${chart}: labels outside the chart`).toEqual([])
      expect(m.seriesWithLength, chart).toBe(m.series)
    }
    expect(measures.topology!.nodeCircles).toBe(data.nodes.length)
    expect(measures.topology!.linkPaths).toBe(1)
    expect(measures['delivery-by-hop']!.series).toBe(policies)
    expect(measures['latency-cdf']!.series).toBe(policies)
    expect(measures['tx-over-time']!.series).toBe(2 * policies)
    expect(measures['policy-comparison']!.bars).toBe(2 * policies)
    // Only the page itself is loaded; the CSP would report anything else as an error.
    expect(requests).toEqual([pathToFileURL(join(dir, 'report.html')).href])
    expect(errors).toEqual([])
    expect(statSync(screenshot).size).toBeGreaterThan(10_000)
  }, BROWSER_TIMEOUT_MS)

  test('renderReport in Chromium — empty data still lays out every chart, with nothing drawn', async () => {
    const base = syntheticReport({ seed: testSeed(8), nodes: 40, policies: ['flood'] })
    const data: ReportData = {
      ...base,
      links: [],
      runs: base.runs.map((r) => ({ ...r, deliveryByHop: [], latencyCdf: [], nodeMeanLatencyMs: r.nodeMeanLatencyMs.map(() => null) })),
    }
    const { measures, errors } = await open(data, 'report-empty')
    for (const chart of CHARTS) {
      expect(measures[chart]!.width, chart).toBeGreaterThan(300)
      expect(measures[chart]!.textOutside, chart).toEqual([])
    }
    expect(measures.topology!.nodeCircles).toBe(40)
    expect(measures.topology!.linkPaths).toBe(0)
    expect(measures['delivery-by-hop']!.series).toBe(0)
    expect(measures['latency-cdf']!.series).toBe(0)
    expect(measures['tx-over-time']!.series).toBe(2)
    expect(errors).toEqual([])
  }, BROWSER_TIMEOUT_MS)

  test('renderReport in Chromium — 10 000 nodes render', async () => {
    const data = syntheticReport({ seed: testSeed(9), nodes: 10_000, meanDegree: 10 })
    const { measures, errors } = await open(data, 'report-10k')
    expect(measures.topology!.nodeCircles).toBe(10_000)
    expect(measures.topology!.width).toBeGreaterThan(300)
    expect(errors).toEqual([])
  }, BROWSER_TIMEOUT_MS)
})
