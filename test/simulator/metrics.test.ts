import { describe, expect, test } from 'vitest'
import { frameKey, Metrics, quantile } from '../../simulator/metrics.js'

function metrics (nodes: number): { m: Metrics, time: { now: number } } {
  const time = { now: 0 }
  const m = new Metrics({ nodes, expectedMessages: 10, bucketMs: 1000, buckets: 10, sample: () => 0, time })
  return { m, time }
}

/** A line 0 — 1 — 2 — 3, node 4 unreachable. */
const line = (origin: number, out: Uint8Array): void => {
  out.fill(0)
  for (let j = 0; j < 4; j++) out[j] = Math.abs(j - origin) + 1
}

describe('Metrics', () => {
  test('Metrics — delivery ratios, latency and duplicates from deliveries', () => {
    const { m, time } = metrics(5)
    m.messageSent(0, 0, line)
    time.now = 10; m.delivered(0, 1)
    time.now = 30; m.delivered(0, 3)
    m.delivered(0, 3)
    m.delivered(0, 0)
    const s = m.summarize('p', 1)
    expect(s.messages).toBe(1)
    expect(s.deliveryRatio).toBeCloseTo(2 / 3, 9)
    expect(s.duplicatesDelivered).toBe(1)
    expect(s.latencyMs).toEqual({ p50: 10, p95: 30, p99: 30 })
    expect(s.hopLatencyMs).toEqual({ p50: 10, p95: 10 })
    const run = m.reportRun({ ...s, events: 0, eventsPerSecond: 0, receptionsPerSecond: 0, wallSeconds: 0, peakRssMb: 0 })
    expect(run.deliveryByHop).toEqual([{ hops: 1, ratio: 1, count: 1 }, { hops: 2, ratio: 0, count: 1 }, { hops: 3, ratio: 1, count: 1 }])
    expect(run.nodeMeanLatencyMs).toEqual([null, 10, null, 30, null])
    expect(run.latencyCdf.at(-1)).toEqual([30, 1])
  })

  test('Metrics — a message with no receiver in reach gives no delivery ratio (NaN), not 100 %', () => {
    const { m } = metrics(5)
    m.messageSent(0, 4, (origin, out) => { out.fill(0); out[origin] = 1 })
    const s = m.summarize('p', 1)
    expect(s.messages).toBe(1)
    expect(s.deliveryRatio).toBeNaN()
    expect(s.deliveryRatioAll).toBeNaN()
  })

  test('Metrics — a node restarted after the send may show the message again without a duplicate', () => {
    const { m, time } = metrics(5)
    m.messageSent(0, 0, line)
    m.delivered(0, 2)
    time.now = 5; m.nodeRestarted(2)
    m.delivered(0, 2)
    expect(m.summarize('p', 1).duplicatesDelivered).toBe(0)
  })

  test('Metrics — link frames split into application and control by carried type; usefulness counts new frames', () => {
    const { m } = metrics(2)
    const message = new Uint8Array([1, 0x02, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9])
    const announce = new Uint8Array([1, 0x01, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9])
    m.sent(0, message); m.sent(0, announce); m.sent(1, announce)
    const relayed = message.slice(); relayed[2] = 6
    m.received(1, message); m.received(1, relayed); m.received(0, message)
    const s = m.summarize('p', 1)
    expect(m.appFrames).toBe(1)
    expect(m.controlFrames).toBe(2)
    expect(s.controlTxPerNodePerMinute).toBe(1)
    expect(s.usefulness).toBeCloseTo(2 / 3, 9)
    expect(s.receptions).toBe(3)
  })

  test('frameKey — ignores the TTL byte only', () => {
    const a = new Uint8Array([1, 2, 7, 4, 5])
    expect(frameKey(a)).toBe(frameKey(new Uint8Array([1, 2, 3, 4, 5])))
    expect(frameKey(a)).not.toBe(frameKey(new Uint8Array([1, 2, 7, 4, 6])))
  })

  test('quantile — nearest rank', () => {
    expect(quantile(Float64Array.from([1, 2, 3, 4]), 0.5)).toBe(2)
    expect(quantile(Float64Array.from([1, 2, 3, 4]), 0.99)).toBe(4)
    expect(quantile(new Float64Array(0), 0.5)).toBe(0)
  })
})
