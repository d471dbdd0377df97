// What the HTML report draws: the simulator fills it, the report renders it. Kept apart so either side can
// change without the other knowing how the numbers were measured or drawn.

/** The summary of one run of one policy; key names are the `--json` output's (issue: Simulator). */
export interface SimSummary {
  nodes: number
  messages: number
  policy: string
  /** NaN (null in JSON) when no tracked message had a receiver in reach. */
  deliveryRatio: number
  deliveryRatioAll: number
  txPerNodePerMessage: number
  controlTxPerNodePerMinute: number
  usefulness: number
  latencyMs: { p50: number, p95: number, p99: number }
  hopLatencyMs: { p50: number, p95: number }
  duplicatesDelivered: number
  /** Only when the scenario has private traffic. */
  private?: PrivateSummary
  events: number
  eventsPerSecond: number
  receptions: number
  receptionsPerSecond: number
  wallSeconds: number
  peakRssMb: number
}

/** Private messages: each to one node within the sender's TTL reach when it was sent. */
export interface PrivateSummary {
  messages: number
  /** Messages shown at their destination / messages sent. */
  deliveryRatio: number
  /** Messages whose delivery receipt reached the sender / messages sent. */
  receiptRatio: number
  /** Send to display, the handshake included when it was the first message to that peer. */
  latencyMs: { p50: number, p95: number }
  /** noiseEncrypted link frames (fragments included) per message: receipts are counted, handshakes are control. */
  txPerMessage: number
  /** Shown at a node other than the destination, or shown twice: must be 0. */
  misdelivered: number
}

export interface ReportPolicyRun {
  summary: SimSummary
  /** Fraction of reachable receivers that got the message, by hop distance from its source. */
  deliveryByHop: Array<{ hops: number, ratio: number, count: number }>
  /** Sorted delivery latencies as a CDF: [latencyMs, fraction ≤ latency]. At most ~200 points. */
  latencyCdf: Array<[number, number]>
  /** Link transmissions (application + control) per time bucket. */
  txOverTime: { bucketSeconds: number, application: number[], control: number[] }
  /** Per node, in `ReportData.nodes` order: mean delivery latency of messages it received (null: none). */
  nodeMeanLatencyMs: Array<number | null>
}

export interface ReportData {
  title: string
  scenario: { seed: number, durationSeconds: number, topology: string, areaMetres: number }
  /** Node positions in metres. */
  nodes: Array<{ x: number, y: number }>
  /** Link graph (node indices) at the end of the run. */
  links: Array<[number, number]>
  /** One entry per policy run; the first is the one the topology map colours. */
  runs: ReportPolicyRun[]
}
