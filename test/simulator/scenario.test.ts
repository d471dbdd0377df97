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

  test.each([
    ['clusters', { kind: 'clusters', nodes: 50, meanDegree: 8, areaMetres: 300, spacingMetres: 7, clusters: 5, clusterRadiusMetres: 12 }],
    ['file', { kind: 'file', nodes: 2, positions: [{ x: -3.5, y: 0 }, { x: 1e7, y: -1e7 }] }],
  ])('parseScenario — a scenario with every key set (topology %s) comes back whole, nothing added or lost', (_, topology) => {
    const full = {
      name: 'all keys', description: 'every key the schema has', seed: 4294967295, durationSeconds: 120, drainSeconds: 5, warmupSeconds: 10, arrivalSpreadSeconds: 30,
      topology,
      traffic: { broadcastPerNodePerMinute: 0.5, messageBytes: 400, privatePerNodePerMinute: 0.25 },
      mobility: { kind: 'random-waypoint', speed: 1.2, pauseSeconds: 20 },
      churn: { leavesPerNodePerHour: 1, crashesPerNodePerHour: 2, restartAfterSeconds: 60 },
      radio: { profiles: { phone: 0.6, android: 0.4 }, pathLossExponent: 2.5, rssiAt1mDbm: -60, shadowingSigmaDb: 3, gateDbm: -88, halfLossDbm: -94, lossSlopeDb: 1.5, extraLoss: 0.05, maxLinks: 5 },
      policy: 'adaptive', crypto: 'cheap', node: { sync: true },
    }
    expect(parseScenario(full)).toStrictEqual(full)
    expect(parseScenario({ ...minimal, seed: undefined })).toStrictEqual({ ...minimal, seed: 1 })
    expect(parseScenario({ ...minimal, radio: { profile: 'pi' } }).radio).toStrictEqual({ profile: 'pi' })
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
    ...(['topology', 'traffic', 'mobility', 'churn', 'radio'] as const).map(key => [{ ...minimal, [key]: [] }, new RegExp(`'${key}' must be an object`)] as [unknown, RegExp]),
    ...(['traffic', 'mobility', 'churn', 'radio'] as const).map(key => [{ ...minimal, [key]: { ...(minimal as Record<string, unknown>)[key] as object, typo: 1 } }, new RegExp(`unknown key '${key}.typo'`)] as [unknown, RegExp]),
    [{ ...minimal, topology: { kind: 'file', positions: [{ x: 0, y: 0 }, 7] } }, /'topology.positions\[1\]' must be \{x, y\}/],
    [{ ...minimal, topology: { kind: 'file', positions: [{ x: 0, y: 1e8 }] } }, /'topology.positions\[0\].y' must be a number in \[-10000000, 10000000\], got 100000000/],
    [{ ...minimal, radio: { profile: 3 } }, /'radio.profile' must be a string/],
    [{ ...minimal, radio: { profiles: ['phone'] } }, /'radio.profiles' must be an object of fractions/],
    [{ ...minimal, radio: { profiles: { phone: 1.5 } } }, /'radio.profiles.phone' must be a number in \[0, 1\]/],
    [{ ...minimal, radio: { maxLinks: 2.5 } }, /'radio.maxLinks' must be an integer/],
    [{ ...minimal, traffic: { broadcastPerNodePerMinute: 1, messageBytes: 100.5 } }, /'traffic.messageBytes' must be an integer in \[8, 60000\]/],
    [{ ...minimal, traffic: { broadcastPerNodePerMinute: 1, privatePerNodePerMinute: -1 } }, /'traffic.privatePerNodePerMinute' must be a number in \[0, 10000\], got -1/],
    [{ ...minimal, traffic: { broadcastPerNodePerMinute: 1, privatePerNodePerMinute: 'often' } }, /'traffic.privatePerNodePerMinute' must be a number/],
    [{ ...minimal, topology: { kind: 'clusters', nodes: 10, clusters: 1.5 } }, /'topology.clusters' must be an integer/],
    [{ ...minimal, seed: 4294967296 }, /'seed' must be an integer in \[0, 4294967295\], got 4294967296/],
    [{ ...minimal, seed: 1.5 }, /'seed' must be an integer/],
    [{ ...minimal, durationSeconds: '60' }, /'durationSeconds' must be a number/],
    [{ ...minimal, clocks: [] }, /'clocks' must be an object/],
    [{ ...minimal, clocks: { skewedFraction: 0.1 } }, /'clocks.maxSkewSeconds' must be a number/],
    [{ ...minimal, clocks: { skewedFraction: 1.5, maxSkewSeconds: 10 } }, /'clocks.skewedFraction' must be a number in \[0, 1\], got 1.5/],
    [{ ...minimal, clocks: { skewedFraction: 0.1, maxSkewSeconds: 10, drift: 1 } }, /unknown key 'clocks.drift'/],
  ])('parseScenario — rejects %j', (json, message) => {
    expect(() => parseScenario(json)).toThrow(ScenarioError)
    expect(() => parseScenario(json)).toThrow(message)
  })

  test('parseScenario — node takes the plain-data fields of NodeConfig', () => {
    const node = { nickname: 'relay', sync: true, peerStaleMs: 90_000, maxClockSkewMs: 60_000, announce: { reciprocal: false, linkDelayMs: 2_000 }, dedup: { maxEntries: 500, maxAgeMs: 60_000 }, fragmentDedup: { maxEntries: 64 }, reassembly: { timeoutMs: 10_000 }, queue: { maxFrames: 64, fragmentSpacingMs: 0 } }
    expect(parseScenario({ ...minimal, node }).node).toEqual(node)
  })

  test('parseScenario — clocks: the fraction of nodes whose clocks are off, and by how much at most', () => {
    expect(parseScenario({ ...minimal, clocks: { skewedFraction: 0.25, maxSkewSeconds: 86_400 } }).clocks).toEqual({ skewedFraction: 0.25, maxSkewSeconds: 86_400 })
    expect(parseScenario(minimal).clocks).toBeUndefined()
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
