import { describe, expect, test } from 'vitest'
import { defaultScenario } from '../../simulator/default-scenario.js'
import { parseScenario, ScenarioError } from '../../simulator/scenario.js'

const minimal = { seed: 3, durationSeconds: 60, topology: { kind: 'random', nodes: 10, meanDegree: 5 }, traffic: { broadcastPerNodePerMinute: 1 } }

describe('parseScenario', () => {
  test('parseScenario — accepts the issue keys and keeps them', () => {
    const s = parseScenario({ ...minimal, arrivalSpreadSeconds: 30, mobility: { kind: 'random-waypoint', speed: 1.2 }, radio: { profile: 'android', gateDbm: -85 }, policy: 'flood', churn: { crashesPerNodePerHour: 2, restartAfterSeconds: 30 } })
    expect(s.topology).toEqual({ kind: 'random', nodes: 10, meanDegree: 5 })
    expect(s.mobility).toEqual({ kind: 'random-waypoint', speed: 1.2 })
    expect(s.radio).toEqual({ profile: 'android', gateDbm: -85 })
    expect(s.churn).toEqual({ crashesPerNodePerHour: 2, restartAfterSeconds: 30 })
    expect(s.policy).toBe('flood')
    expect(s.arrivalSpreadSeconds).toBe(30)
  })

  test('parseScenario — file topologies take their node count from the positions', () => {
    const s = parseScenario({ ...minimal, topology: { kind: 'file', positions: [{ x: 0, y: 0 }, { x: 5, y: 1 }] } })
    expect(s.topology.nodes).toBe(2)
  })

  test.each([
    [{ ...minimal, topologee: {} }, /unknown key 'topologee'/],
    [{ ...minimal, topology: { kind: 'ring', nodes: 3 } }, /topology.kind/],
    [{ ...minimal, topology: { kind: 'line', nodes: 0 } }, /topology.nodes/],
    [{ ...minimal, topology: { kind: 'line', nodes: 3, shape: 1 } }, /unknown key 'topology.shape'/],
    [{ ...minimal, traffic: { broadcastPerNodePerMinute: -1 } }, /broadcastPerNodePerMinute/],
    [{ ...minimal, durationSeconds: 'long' }, /durationSeconds/],
    [{ ...minimal, mobility: { kind: 'teleport' } }, /mobility.kind/],
    [{ ...minimal, radio: { extraLoss: 2 } }, /radio.extraLoss/],
    [{ ...minimal, crypto: 'none' }, /crypto/],
    [{ ...minimal, arrivalSpreadSeconds: -1 }, /arrivalSpreadSeconds/],
    [{ ...minimal, topology: { kind: 'file', positions: [] } }, /positions/],
    [{ ...minimal, radio: { profile: 'iphone' } }, /unknown profile 'iphone' in 'radio.profile' \(known: phone, android, pi, laptop\)/],
    [{ ...minimal, radio: { profiles: { phone: 0.5, iphone: 0.5 } } }, /unknown profile 'iphone' in 'radio.profiles'/],
    [{ ...minimal, radio: { profiles: { phone: 0, android: 0 } } }, /fractions must add up to more than 0/],
    [{ ...minimal, policy: 'constructor' }, /'policy' must be one of/],
    [{ ...minimal, radio: { profile: 'toString' } }, /unknown profile 'toString'/],
    [{ ...minimal, policy: 'gossip' }, /'policy' must be one of flood, bitchat-ios, bitchat-android, adaptive, got "gossip"/],
    [{ ...minimal, node: { snyc: true } }, /unknown key 'node.snyc'/],
    [{ ...minimal, node: { sync: 'yes' } }, /'node.sync' must be a boolean, got "yes"/],
    [{ ...minimal, node: { announce: { reciprocal: false, linkDelayMs: 'x' } } }, /'node.announce.linkDelayMs' must be a number/],
    [{ ...minimal, node: { announce: { linkDelay: 2000 } } }, /unknown key 'node.announce.linkDelay'/],
    [{ ...minimal, node: { dedup: { maxEntries: 0 } } }, /'node.dedup.maxEntries' must be an integer in \[1/],
    [{ ...minimal, node: { queue: 5 } }, /'node.queue' must be an object/],
    [{ ...minimal, node: { policy: 'flood' } }, /unknown key 'node.policy'/],
    [{ ...minimal, node: [] }, /'node' must be an object/],
    [[], /JSON object/],
  ])('parseScenario — rejects %j', (json, message) => {
    expect(() => parseScenario(json)).toThrow(ScenarioError)
    expect(() => parseScenario(json)).toThrow(message)
  })

  test('parseScenario — node takes the plain-data fields of NodeConfig', () => {
    const node = { nickname: 'relay', sync: true, peerStaleMs: 90_000, maxClockSkewMs: 60_000, announce: { reciprocal: false, linkDelayMs: 2_000 }, dedup: { maxEntries: 500, maxAgeMs: 60_000 }, fragmentDedup: { maxEntries: 64 }, reassembly: { timeoutMs: 10_000 }, queue: { maxFrames: 64, fragmentSpacingMs: 0 } }
    expect(parseScenario({ ...minimal, node }).node).toEqual(node)
  })

  test('defaultScenario — the city block: 100 nodes, 200 m square, 10 virtual minutes', () => {
    const s = defaultScenario()
    expect(s.topology).toMatchObject({ kind: 'random', nodes: 100, areaMetres: 200 })
    expect(s.durationSeconds).toBe(600)
  })
})

describe('scenario files', () => {
  test('scenario files — every file in simulator/scenarios parses', async () => {
    const { readdirSync, readFileSync } = await import('node:fs')
    const dir = new URL('../../simulator/scenarios/', import.meta.url)
    const files = readdirSync(dir).filter(f => f.endsWith('.json'))
    expect(files.length).toBeGreaterThanOrEqual(2)
    for (const f of files) expect(() => parseScenario(JSON.parse(readFileSync(new URL(f, dir), 'utf8')))).not.toThrow()
  })
})
