// The scenario file: everything a run depends on besides the seed and the policy. Parsed strictly so a
// typo fails loudly instead of silently running the default.
import type { NodeConfig } from '../src/node.js'
import type { DedupOptions } from '../src/mesh/dedup.js'
import { isRelayPolicyName, RELAY_POLICIES } from '../src/mesh/policy/registry.js'
import type { ReassemblerOptions } from '../src/mesh/reassembler.js'
import type { SendQueueOptions } from '../src/mesh/send-queue.js'
import { isProfileName, PROFILES } from './ble-profile.js'

export type TopologyKind = 'line' | 'grid' | 'random' | 'clusters' | 'file'
export type MobilityKind = 'static' | 'random-waypoint'
export type CryptoChoice = 'auto' | 'real' | 'cheap'

export interface TopologySpec {
  kind: TopologyKind
  /** Node count (for `file`, the number of positions). */
  nodes: number
  /** Mean number of radio neighbours (nodes heard above the gate); sizes `random` and `clusters`. */
  meanDegree?: number
  /** Side of the square area in metres; overrides what meanDegree would give. */
  areaMetres?: number
  /** Distance between neighbours on `line` and `grid`; default half the gate range. */
  spacingMetres?: number
  /** `clusters`: how many, and the standard deviation of a cluster's spread in metres. */
  clusters?: number
  clusterRadiusMetres?: number
  /** `file`: positions in metres. */
  positions?: Array<{ x: number, y: number }>
}

export interface Scenario {
  name?: string
  description?: string
  seed: number
  /** Virtual seconds of traffic. */
  durationSeconds: number
  /** Virtual seconds after the traffic stops so messages in flight can land (default 10). */
  drainSeconds?: number
  /** Virtual seconds before the first message so links and announces settle (default 20). */
  warmupSeconds?: number
  /**
   * Nodes switch on at uniformly random times in [0, this) virtual seconds (default 0: all at once, the
   * worst case: every node meets hundreds of new peers within seconds and answers with announces).
   */
  arrivalSpreadSeconds?: number
  topology: TopologySpec
  traffic: {
    broadcastPerNodePerMinute: number
    /** Length of each public message's text in bytes (default 64). */
    messageBytes?: number
    /**
     * Private messages per node per minute (default 0), each to a node within the sender's TTL reach, over
     * a Noise session (the first to a peer waits for the handshake).
     */
    privatePerNodePerMinute?: number
  }
  mobility?: {
    kind: MobilityKind
    /** Metres per second (random waypoint picks 0.5×–1.5× this per leg). */
    speed?: number
    pauseSeconds?: number
  }
  /**
   * Nodes whose wall clock is wrong, as a Raspberry Pi's is when it boots without a real-time clock or a
   * network, from the time it last saved: each node with probability `skewedFraction` (drawn from the
   * seed) runs behind by a uniform amount up to maxSkewSeconds. Their packets carry their own time; the
   * others judge them within ±120 s.
   */
  clocks?: {
    skewedFraction: number
    maxSkewSeconds: number
  }
  churn?: {
    /** Graceful leaves (node.stop) per node per hour. */
    leavesPerNodePerHour?: number
    /** Crashes (no cleanup) per node per hour. */
    crashesPerNodePerHour?: number
    /** A node that left or crashed comes back after this long (absent: it stays away). */
    restartAfterSeconds?: number
  }
  radio?: {
    /** One profile for all nodes (see ble-profile.ts PROFILES)… */
    profile?: string
    /** …or a mix: profile name → fraction. */
    profiles?: Record<string, number>
    pathLossExponent?: number
    rssiAt1mDbm?: number
    shadowingSigmaDb?: number
    gateDbm?: number
    halfLossDbm?: number
    lossSlopeDb?: number
    extraLoss?: number
    /** Overrides every profile's link cap. */
    maxLinks?: number
  }
  /** Relay policy name (see policies.ts). */
  policy?: string
  crypto?: CryptoChoice
  /** Every node's configuration (`NodeConfig`'s plain-data fields, checked by `NODE_FIELDS`). */
  node?: ScenarioNodeConfig
}

const TOP_KEYS = new Set(['name', 'description', 'seed', 'durationSeconds', 'drainSeconds', 'warmupSeconds', 'arrivalSpreadSeconds', 'topology', 'traffic', 'mobility', 'clocks', 'churn', 'radio', 'policy', 'crypto', 'node'])
const TOPOLOGY_KEYS = new Set(['kind', 'nodes', 'meanDegree', 'areaMetres', 'spacingMetres', 'clusters', 'clusterRadiusMetres', 'positions'])
const TRAFFIC_KEYS = new Set(['broadcastPerNodePerMinute', 'messageBytes', 'privatePerNodePerMinute'])
const MOBILITY_KEYS = new Set(['kind', 'speed', 'pauseSeconds'])
const CLOCK_KEYS = new Set(['skewedFraction', 'maxSkewSeconds'])
const CHURN_KEYS = new Set(['leavesPerNodePerHour', 'crashesPerNodePerHour', 'restartAfterSeconds'])
const RADIO_KEYS = new Set(['profile', 'profiles', 'pathLossExponent', 'rssiAt1mDbm', 'shadowingSigmaDb', 'gateDbm', 'halfLossDbm', 'lossSlopeDb', 'extraLoss', 'maxLinks'])

/**
 * What a scenario may set of a node's configuration: the policy, pins and inflater are not data, and a
 * simulated node always lets bugs throw (`meshNodeFactory`).
 */
export type ScenarioNodeConfig = Omit<NodeConfig, 'policy' | 'pins' | 'inflater' | 'internalErrors'>

type Field =
  | { type: 'boolean' }
  | { type: 'string' }
  | { type: 'number', min: number, max: number, integer?: boolean }
  | { type: 'object', fields: Readonly<Record<string, Field>> }
/** Every field of T, so a field added to the node's configuration fails to compile until it is listed here. */
type Fields<T> = { readonly [K in keyof Required<T>]: Field }

const BOOLEAN: Field = { type: 'boolean' }
const MS: Field = { type: 'number', min: 0, max: 1e9 }
const COUNT: Field = { type: 'number', min: 1, max: 1e9, integer: true }
const DEDUP: Fields<DedupOptions> = { maxEntries: COUNT, maxAgeMs: MS }
const ANNOUNCE: Fields<NonNullable<NodeConfig['announce']>> = {
  isolatedIntervalMs: MS, sparseIntervalMs: MS, sparseJitterMs: MS, denseIntervalMs: MS, denseJitterMs: MS, linkDelayMs: MS, triggeredMaxGapMs: MS, reciprocal: BOOLEAN,
}
const REASSEMBLY: Fields<ReassemblerOptions> = { maxFragments: COUNT, maxBytes: COUNT, budgetBytes: COUNT, maxStreamsPerSender: COUNT, maxOpenStreams: COUNT, timeoutMs: MS }
const QUEUE: Fields<SendQueueOptions> = { maxFrames: COUNT, fragmentSpacingMs: MS }
/** The scenario's `node`, checked as strictly as the rest: a misspelt key would silently run the default. */
const NODE_FIELDS: Fields<ScenarioNodeConfig> = {
  nickname: { type: 'string' },
  peerStaleMs: MS,
  maxClockSkewMs: MS,
  sync: BOOLEAN,
  announce: { type: 'object', fields: ANNOUNCE },
  dedup: { type: 'object', fields: DEDUP },
  fragmentDedup: { type: 'object', fields: DEDUP },
  reassembly: { type: 'object', fields: REASSEMBLY },
  queue: { type: 'object', fields: QUEUE },
}

export class ScenarioError extends Error {}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkKeys (where: string, value: Record<string, unknown>, allowed: Set<string>): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) throw new ScenarioError(`scenario: unknown key '${where}${key}'`)
}

function num (where: string, v: unknown, min: number, max = Infinity, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ScenarioError(`scenario: '${where}' must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`)
  }
  return v
}

/** `value` checked against `fields`: unknown keys, wrong types and numbers out of range are scenario errors. */
function checkFields (where: string, value: unknown, fields: Readonly<Record<string, Field>>): Record<string, unknown> {
  if (!isObject(value)) throw new ScenarioError(`scenario: '${where}' must be an object`)
  checkKeys(`${where}.`, value, new Set(Object.keys(fields)))
  for (const [key, v] of Object.entries(value)) {
    const field = fields[key]!
    const at = `${where}.${key}`
    if (field.type === 'number') num(at, v, field.min, field.max, field.integer === true)
    else if (field.type === 'object') checkFields(at, v, field.fields)
    else if (typeof v !== field.type) throw new ScenarioError(`scenario: '${at}' must be a ${field.type}, got ${JSON.stringify(v)}`)
  }
  return value
}

function knownProfile (where: string, name: string): string {
  if (!isProfileName(name)) throw new ScenarioError(`scenario: unknown profile '${name}' in '${where}' (known: ${Object.keys(PROFILES).join(', ')})`)
  return name
}

function optNum (where: string, v: unknown, min: number, max = Infinity, integer = false): number | undefined {
  return v === undefined ? undefined : num(where, v, min, max, integer)
}

/** Validates parsed JSON; returns a Scenario with unknown keys rejected and numbers range-checked. */
export function parseScenario (json: unknown): Scenario {
  if (!isObject(json)) throw new ScenarioError('scenario: expected a JSON object')
  checkKeys('', json, TOP_KEYS)
  const t = json.topology
  if (!isObject(t)) throw new ScenarioError("scenario: 'topology' must be an object")
  checkKeys('topology.', t, TOPOLOGY_KEYS)
  const kinds: TopologyKind[] = ['line', 'grid', 'random', 'clusters', 'file']
  if (!kinds.includes(t.kind as TopologyKind)) throw new ScenarioError(`scenario: 'topology.kind' must be one of ${kinds.join(', ')}`)
  const kind = t.kind as TopologyKind
  let positions: Array<{ x: number, y: number }> | undefined
  if (kind === 'file') {
    if (!Array.isArray(t.positions) || t.positions.length === 0) throw new ScenarioError("scenario: 'topology.positions' must be a non-empty array for kind 'file'")
    positions = t.positions.map((p: unknown, i: number) => {
      if (!isObject(p)) throw new ScenarioError(`scenario: 'topology.positions[${i}]' must be {x, y}`)
      return { x: num(`topology.positions[${i}].x`, p.x, -1e7, 1e7), y: num(`topology.positions[${i}].y`, p.y, -1e7, 1e7) }
    })
  }
  const nodes = positions?.length ?? num('topology.nodes', t.nodes, 1, 10_000_000, true)
  const topology: TopologySpec = { kind, nodes }
  const meanDegree = optNum('topology.meanDegree', t.meanDegree, 0.1, 10_000)
  if (meanDegree !== undefined) topology.meanDegree = meanDegree
  const areaMetres = optNum('topology.areaMetres', t.areaMetres, 1, 1e7)
  if (areaMetres !== undefined) topology.areaMetres = areaMetres
  const spacing = optNum('topology.spacingMetres', t.spacingMetres, 0.01, 1e6)
  if (spacing !== undefined) topology.spacingMetres = spacing
  const clusters = optNum('topology.clusters', t.clusters, 1, 1e6, true)
  if (clusters !== undefined) topology.clusters = clusters
  const clusterRadius = optNum('topology.clusterRadiusMetres', t.clusterRadiusMetres, 0.01, 1e6)
  if (clusterRadius !== undefined) topology.clusterRadiusMetres = clusterRadius
  if (positions !== undefined) topology.positions = positions

  const tr = json.traffic
  if (!isObject(tr)) throw new ScenarioError("scenario: 'traffic' must be an object")
  checkKeys('traffic.', tr, TRAFFIC_KEYS)
  const traffic: Scenario['traffic'] = { broadcastPerNodePerMinute: num('traffic.broadcastPerNodePerMinute', tr.broadcastPerNodePerMinute, 0, 1e4) }
  const messageBytes = optNum('traffic.messageBytes', tr.messageBytes, 8, 60_000, true)
  if (messageBytes !== undefined) traffic.messageBytes = messageBytes
  const privateRate = optNum('traffic.privatePerNodePerMinute', tr.privatePerNodePerMinute, 0, 1e4)
  if (privateRate !== undefined) traffic.privatePerNodePerMinute = privateRate

  const scenario: Scenario = {
    seed: num('seed', json.seed ?? 1, 0, 4294967295, true),
    durationSeconds: num('durationSeconds', json.durationSeconds, 0, 1e7),
    topology,
    traffic,
  }
  if (typeof json.name === 'string') scenario.name = json.name
  if (typeof json.description === 'string') scenario.description = json.description
  const drain = optNum('drainSeconds', json.drainSeconds, 0, 1e6)
  if (drain !== undefined) scenario.drainSeconds = drain
  const warmup = optNum('warmupSeconds', json.warmupSeconds, 0, 1e6)
  if (warmup !== undefined) scenario.warmupSeconds = warmup

  if (json.mobility !== undefined) {
    const m = json.mobility
    if (!isObject(m)) throw new ScenarioError("scenario: 'mobility' must be an object")
    checkKeys('mobility.', m, MOBILITY_KEYS)
    if (m.kind !== 'static' && m.kind !== 'random-waypoint') throw new ScenarioError("scenario: 'mobility.kind' must be 'static' or 'random-waypoint'")
    scenario.mobility = { kind: m.kind }
    const speed = optNum('mobility.speed', m.speed, 0, 1000)
    if (speed !== undefined) scenario.mobility.speed = speed
    const pause = optNum('mobility.pauseSeconds', m.pauseSeconds, 0, 1e6)
    if (pause !== undefined) scenario.mobility.pauseSeconds = pause
  }
  const spread = optNum('arrivalSpreadSeconds', json.arrivalSpreadSeconds, 0, 1e7)
  if (spread !== undefined) scenario.arrivalSpreadSeconds = spread
  if (json.clocks !== undefined) {
    const c = json.clocks
    if (!isObject(c)) throw new ScenarioError("scenario: 'clocks' must be an object")
    checkKeys('clocks.', c, CLOCK_KEYS)
    scenario.clocks = { skewedFraction: num('clocks.skewedFraction', c.skewedFraction, 0, 1), maxSkewSeconds: num('clocks.maxSkewSeconds', c.maxSkewSeconds, 0, 1e9) }
  }
  if (json.churn !== undefined) {
    const c = json.churn
    if (!isObject(c)) throw new ScenarioError("scenario: 'churn' must be an object")
    checkKeys('churn.', c, CHURN_KEYS)
    scenario.churn = {}
    const leaves = optNum('churn.leavesPerNodePerHour', c.leavesPerNodePerHour, 0, 1e4)
    if (leaves !== undefined) scenario.churn.leavesPerNodePerHour = leaves
    const crashes = optNum('churn.crashesPerNodePerHour', c.crashesPerNodePerHour, 0, 1e4)
    if (crashes !== undefined) scenario.churn.crashesPerNodePerHour = crashes
    const restart = optNum('churn.restartAfterSeconds', c.restartAfterSeconds, 0, 1e7)
    if (restart !== undefined) scenario.churn.restartAfterSeconds = restart
  }
  if (json.radio !== undefined) {
    const r = json.radio
    if (!isObject(r)) throw new ScenarioError("scenario: 'radio' must be an object")
    checkKeys('radio.', r, RADIO_KEYS)
    const radio: NonNullable<Scenario['radio']> = {}
    if (r.profile !== undefined) {
      if (typeof r.profile !== 'string') throw new ScenarioError("scenario: 'radio.profile' must be a string")
      radio.profile = knownProfile('radio.profile', r.profile)
    }
    if (r.profiles !== undefined) {
      if (!isObject(r.profiles)) throw new ScenarioError("scenario: 'radio.profiles' must be an object of fractions")
      radio.profiles = {}
      let total = 0
      for (const [name, f] of Object.entries(r.profiles)) {
        const fraction = num(`radio.profiles.${name}`, f, 0, 1)
        radio.profiles[knownProfile('radio.profiles', name)] = fraction
        total += fraction
      }
      if (!(total > 0)) throw new ScenarioError("scenario: 'radio.profiles' fractions must add up to more than 0")
    }
    const fields = [['pathLossExponent', 1, 8], ['rssiAt1mDbm', -150, 30], ['shadowingSigmaDb', 0, 30], ['gateDbm', -150, 0], ['halfLossDbm', -150, 0], ['lossSlopeDb', 0.01, 50], ['extraLoss', 0, 1]] as const
    for (const [key, min, max] of fields) {
      const v = optNum(`radio.${key}`, r[key], min, max)
      if (v !== undefined) radio[key] = v
    }
    const maxLinks = optNum('radio.maxLinks', r.maxLinks, 1, 1000, true)
    if (maxLinks !== undefined) radio.maxLinks = maxLinks
    scenario.radio = radio
  }
  if (json.policy !== undefined) {
    if (typeof json.policy !== 'string' || !isRelayPolicyName(json.policy)) {
      throw new ScenarioError(`scenario: 'policy' must be one of ${Object.keys(RELAY_POLICIES).join(', ')}, got ${JSON.stringify(json.policy)}`)
    }
    scenario.policy = json.policy
  }
  if (json.crypto !== undefined) {
    if (json.crypto !== 'auto' && json.crypto !== 'real' && json.crypto !== 'cheap') throw new ScenarioError("scenario: 'crypto' must be 'auto', 'real' or 'cheap'")
    scenario.crypto = json.crypto
  }
  if (json.node !== undefined) scenario.node = checkFields('node', json.node, NODE_FIELDS) as ScenarioNodeConfig
  return scenario
}
