import { describe, expect, test } from 'vitest'
import { FRAME_KEY_BYTES, frameKey, Metrics, NOVELTY_WINDOW_MS, quantile, USEFULNESS_SAMPLE_NODES, type MetricsOptions } from '../../simulator/metrics.js'

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

/** Metrics over `nodes` whose sample() hands out `draws` in order (then 0). */
function scripted (nodes: number, draws: number[], options: Partial<MetricsOptions> = {}): { m: Metrics, time: { now: number }, calls: () => number } {
  const time = { now: 0 }
  let calls = 0
  const m = new Metrics({ nodes, expectedMessages: 10, bucketMs: 1000, buckets: 10, time, ...options, sample: () => { calls++; return draws.shift() ?? 0 } })
  return { m, time, calls: () => calls }
}

const frame = (type: number, id: number): Uint8Array => Uint8Array.of(1, type, 7, 0, 0, 0, 0, 0, 0, 0, id, 0, 0, 1, 9)
const MESSAGE = 0x02
const ANNOUNCE = 0x01
const noTimes = { events: 0, eventsPerSecond: 0, receptionsPerSecond: 0, wallSeconds: 0, peakRssMb: 0 }

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

  test('Metrics — private messages: shown at the destination once, receipted once; anywhere else or twice is misdelivered', () => {
    const { m, time } = metrics(5)
    m.privateSent(0, 0, 3)
    m.privateSent(1, 1, 2)
    m.privateSent(2, 4, 0)
    time.now = 100; m.privateDelivered(0, 3)
    time.now = 300; m.privateDelivered(1, 2)
    m.privateDelivered(1, 2)
    m.privateDelivered(0, 2)
    m.privateDelivered(9, 2)
    m.privateReceipt(0); m.privateReceipt(0); m.privateReceipt(9)
    const s = m.summarize('p', 1)
    expect(s.private).toEqual({ messages: 3, deliveryRatio: 2 / 3, receiptRatio: 1 / 3, latencyMs: { p50: 100, p95: 300 }, txPerMessage: 0, misdelivered: 2 })
  })

  test('Metrics — a restarted destination may show a private message again without a misdelivery', () => {
    const { m, time } = metrics(3)
    m.privateSent(0, 0, 1)
    time.now = 50; m.privateDelivered(0, 1)
    time.now = 60; m.nodeRestarted(1)
    m.privateDelivered(0, 1)
    expect(m.summarize('p', 1).private).toMatchObject({ deliveryRatio: 1, misdelivered: 0 })
  })

  test('Metrics — noiseEncrypted frames count per private message, not per broadcast; no private traffic, no private summary', () => {
    const { m } = metrics(2)
    m.messageSent(0, 0, line)
    m.sent(0, frame(MESSAGE, 1))
    m.sent(0, frame(0x11, 2)); m.sent(0, frame(0x11, 3))
    m.sent(0, frame(0x10, 4))
    expect([m.appFrames, m.privateFrames, m.controlFrames]).toEqual([1, 2, 1])
    expect(m.summarize('p', 1).private).toBeUndefined()
    m.privateSent(0, 0, 1)
    expect(m.summarize('p', 1)).toMatchObject({ txPerNodePerMessage: 0.5, private: { txPerMessage: 2 } })
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

  test('Metrics — the summary\'s ratios, exactly: 12-node line, TTL reach 7 hops, two messages', () => {
    const { m, time } = scripted(12, [])
    const line12 = (origin: number, out: Uint8Array): void => { for (let j = 0; j < 12; j++) out[j] = Math.abs(j - origin) + 1 }
    m.messageSent(0, 0, line12)
    m.messageSent(1, 11, line12)
    time.now = 10
    for (const node of [1, 2, 3, 9]) m.delivered(0, node) // 3 of the 7 within reach, 1 of the 4 beyond
    for (let i = 0; i < 6; i++) m.sent(0, frame(MESSAGE, i))
    for (let i = 0; i < 3; i++) m.sent(0, frame(ANNOUNCE, i))
    const s = m.summarize('p', 2)
    expect(s.deliveryRatio).toBeCloseTo(3 / 14, 12) // message 1 reached no one of its 7
    expect(s.deliveryRatioAll).toBeCloseTo(4 / 22, 12)
    expect(s.txPerNodePerMessage).toBeCloseTo(6 / 2 / 12, 12)
    expect(s.controlTxPerNodePerMinute).toBeCloseTo(3 / 12 / 2, 12)
    expect(m.deliveries).toBe(4)
    m.delivered(1, 10) // one hop from message 1's origin
    const byHop = m.reportRun({ ...m.summarize('p', 2), ...noTimes }).deliveryByHop
    expect(byHop.slice(0, 4)).toEqual([{ hops: 1, ratio: 1, count: 2 }, { hops: 2, ratio: 0.5, count: 2 }, { hops: 3, ratio: 0.5, count: 2 }, { hops: 4, ratio: 0, count: 2 }])
  })

  test('Metrics — with nothing to divide by: no messages, no minutes, no sampled receptions', () => {
    const { m } = scripted(3, [])
    m.sent(0, frame(MESSAGE, 1))
    m.sent(0, frame(ANNOUNCE, 1))
    const s = m.summarize('p', 0)
    expect([s.txPerNodePerMessage, s.controlTxPerNodePerMinute, s.usefulness]).toEqual([0, 0, 1])
  })

  test('Metrics — frames count in the time bucket they left in; the last bucket takes what comes after', () => {
    const { m, time } = scripted(2, [], { bucketMs: 500, buckets: 3 })
    for (const [at, type] of [[0, MESSAGE], [499, ANNOUNCE], [500, MESSAGE], [1_400, ANNOUNCE], [1_500, MESSAGE], [9_000, MESSAGE]] as const) {
      time.now = at
      m.sent(0, frame(type, at & 0xff))
    }
    const run = m.reportRun({ ...m.summarize('p', 1), ...noTimes })
    expect(run.txOverTime).toEqual({ bucketSeconds: 0.5, application: [1, 1, 2], control: [1, 0, 1] })
  })

  test.each([
    // [what, nodes, expected messages, draws for the message, tracked]
    ['small mesh, share 0.5 (5 000 of 10 000): a draw of 0.49 is tracked', 5, 10_000, 0.49, true],
    ['small mesh, share 0.5: a draw of 0.5 is not', 5, 10_000, 0.5, false],
    ['20 000 nodes: the 64 MB budget allows 3 200, share 0.5 of 6 400: 0.49 is tracked', 20_000, 6_400, 0.49, true],
    ['20 000 nodes, share 0.5: 0.6 is not', 20_000, 6_400, 0.6, false],
    ['more tracked than messages: share 1', 5, 3, 0.999, true],
  ])('Metrics — the tracked share: %s', (_, nodes, expectedMessages, draw, tracked) => {
    const sampling = nodes > USEFULNESS_SAMPLE_NODES ? Array.from({ length: USEFULNESS_SAMPLE_NODES }, (_, i) => (i + 0.5) / nodes) : []
    const { m, time } = scripted(nodes, [...sampling, draw], { expectedMessages })
    m.messageSent(0, 0, (origin, out) => { out[origin] = 1; out[1] = 2 })
    time.now = 25
    m.delivered(0, 1)
    const s = m.summarize('p', 1)
    expect(m.deliveries).toBe(1) // counted either way
    expect([s.latencyMs.p50, s.deliveryRatio]).toEqual(tracked ? [25, 1] : [0, NaN])
  })

  test.each([
    ['500 nodes: every node is sampled, no draw taken', 500, 0, [1, 1, 1]],
    ['501 nodes: 500 drawn (a node drawn twice counts once); node 500, never drawn, does not count', 501, 501, [1, 1, 0]],
  ])('Metrics — usefulness sampling: %s', (_, nodes, draws, counted) => {
    const sampling = [0.5 / nodes, ...Array.from({ length: 500 }, (_, i) => (i + 0.5) / nodes)]
    const { m, calls } = scripted(nodes, sampling)
    expect(calls()).toBe(draws)
    // Node 0 hears one packet twice; node 500 once (and, at 501 nodes, unsampled).
    m.received(0, frame(MESSAGE, 1))
    m.received(0, frame(MESSAGE, 1))
    m.received(nodes - 1, frame(MESSAGE, 2))
    const heard = counted[0]! + counted[1]! + counted[2]!
    const novel = 1 + counted[2]!
    expect(m.summarize('p', 1).usefulness).toBeCloseTo(novel / heard, 12)
    expect(m.receptions).toBe(3)
  })

  test('Metrics — novelty: a copy within the window or the one before is old; two windows on it is news again', () => {
    const { m, time } = scripted(1, [])
    const f = frame(MESSAGE, 1)
    const novel: boolean[] = []
    for (const at of [0, NOVELTY_WINDOW_MS - 1, NOVELTY_WINDOW_MS, 2 * NOVELTY_WINDOW_MS - 1, 2 * NOVELTY_WINDOW_MS, 3 * NOVELTY_WINDOW_MS + 5]) {
      time.now = at
      const before = m.summarize('p', 1).usefulness * (m.receptions === 0 ? 0 : m.receptions)
      m.received(0, f)
      novel.push(Math.round(m.summarize('p', 1).usefulness * m.receptions) > Math.round(before))
    }
    expect(novel).toEqual([true, false, false, false, true, false])
  })

  test.each([
    ['a tracked message, two windows on', 0.0, 0, 2 * NOVELTY_WINDOW_MS + 1, 1],
    ['an untracked message sent just before the window turned', 0.99, 2 * NOVELTY_WINDOW_MS, 2 * NOVELTY_WINDOW_MS + 1, 1],
    ['an untracked message exactly one window old when it turned', 0.99, 0, NOVELTY_WINDOW_MS, 1],
    ['an untracked message older than a window when it turned', 0.99, 0, NOVELTY_WINDOW_MS + 1, 0],
  ])('Metrics — a late delivery of %s counts as it should', (_, draw, sentAt, turnAt, counted) => {
    const { m, time } = scripted(3, [draw], { expectedMessages: 1e4 }) // share 0.5
    time.now = sentAt
    m.messageSent(0, 0, (origin, out) => { out.fill(2); out[origin] = 1 })
    time.now = turnAt
    m.received(2, frame(MESSAGE, 1)) // the first reception at or past a window's end turns it
    m.delivered(0, 1)
    expect(m.deliveries).toBe(counted)
  })

  test('Metrics — latencies sort before quantiles; hop latency only for deliveries with a known distance', () => {
    const { m, time } = scripted(5, [])
    m.messageSent(0, 0, line)
    time.now = 50
    m.messageSent(1, 0, line)
    time.now = 55; m.delivered(0, 2) // 55 ms over 2 hops
    time.now = 60; m.delivered(1, 1) // 10 ms over 1 hop
    time.now = 61; m.delivered(1, 4) // 11 ms, node 4 was unreachable when it was sent
    time.now = 66; m.delivered(0, 3) // 66 ms over 3 hops
    const s = m.summarize('p', 1)
    expect(s.latencyMs).toEqual({ p50: 11, p95: 66, p99: 66 })
    expect(s.hopLatencyMs).toEqual({ p50: 22, p95: 27.5 })
    const run = m.reportRun({ ...s, ...noTimes })
    expect(run.nodeMeanLatencyMs).toEqual([null, 10, 55, 66, 11])
    expect(run.latencyCdf).toEqual([[10, 0.25], [11, 0.5], [55, 0.75], [66, 1]])
  })

  test('Metrics — a node\'s mean latency is over all its tracked deliveries', () => {
    const { m, time } = scripted(5, [])
    m.messageSent(0, 0, line)
    m.messageSent(1, 0, line)
    time.now = 10; m.delivered(0, 1)
    time.now = 30; m.delivered(1, 1)
    expect(m.reportRun({ ...m.summarize('p', 1), ...noTimes }).nodeMeanLatencyMs[1]).toBe(20)
  })

  test.each([
    ['400 latencies: every second one, the last at 1', 400, 200, [2, 0.005], [400, 1]],
    ['401 latencies: every second one, then the largest at 1', 401, 201, [2, 2 / 401], [401, 1]],
    ['150 latencies: every one', 150, 150, [1, 1 / 150], [150, 1]],
  ])('Metrics — the latency CDF: %s', (_, count, points, first, last) => {
    const { m, time } = scripted(count + 1, [])
    m.messageSent(0, 0, (origin, out) => out.fill(2).fill(1, origin, origin + 1))
    for (let node = 1; node <= count; node++) { time.now = node; m.delivered(0, node) }
    const cdf = m.reportRun({ ...m.summarize('p', 1), ...noTimes }).latencyCdf
    expect(cdf.length).toBe(points)
    expect(cdf[0]![0]).toBe(first[0])
    expect(cdf[0]![1]).toBeCloseTo(first[1]!, 12)
    expect(cdf.at(-1)).toEqual(last)
  })

  test.each([
    ['byte 0', 0, false],
    ['byte 1', 1, false],
    ['the TTL, byte 2', 2, true],
    ['byte 3', 3, false],
    [`byte ${FRAME_KEY_BYTES - 1}, the last hashed`, FRAME_KEY_BYTES - 1, false],
    [`byte ${FRAME_KEY_BYTES}, past the key`, FRAME_KEY_BYTES, true],
  ])('frameKey — frames differing only in %s %s', (_, at, same) => {
    const a = Uint8Array.from({ length: 80 }, (_, i) => i)
    const b = a.slice()
    b[at] = b[at]! ^ 0x10
    expect(frameKey(a) === frameKey(b)).toBe(same)
  })

  test('frameKey — short frames: the length counts, and one or two bytes are enough to hash', () => {
    const keys = [Uint8Array.of(), Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(1, 2), Uint8Array.of(1, 3), Uint8Array.of(1, 2, 3)].map(frameKey)
    expect(new Set(keys).size).toBe(keys.length)
    expect(frameKey(Uint8Array.of(1, 2, 3))).toBe(frameKey(Uint8Array.of(1, 2, 4))) // only the TTL differs
    for (const k of keys) expect(k >>> 0 <= 0x3fff_ffff).toBe(true)
  })
})
