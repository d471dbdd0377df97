import { describe, expect, test } from 'vitest'
import { identityFromSecrets } from '../../src/crypto/identity.js'
import type { SharedPinPool } from '../../src/mesh/pin-pool.js'
import { toHex } from '../../src/mesh/peers.js'
import type { MeshNode } from '../../src/node.js'
import { meshNodeFactory } from '../../simulator/mesh-node.js'
import { parseScenario, type ScenarioNodeConfig } from '../../simulator/scenario.js'
import type { SimNodeContext } from '../../simulator/sim-node.js'
import { runSimulation } from '../../simulator/simulation.js'

/** A 3 × 3 grid of real MeshNodes for 40 virtual seconds; the nodes and their contexts are kept for inspection. */
async function grid (node?: ScenarioNodeConfig): Promise<{ nodes: MeshNode[], contexts: SimNodeContext[], stats: Record<string, number>, delivery: number }> {
  const scenario = parseScenario({
    seed: 2, durationSeconds: 40, topology: { kind: 'grid', nodes: 9 }, traffic: { broadcastPerNodePerMinute: 2 }, crypto: 'cheap',
    ...(node === undefined ? {} : { node }),
  })
  const nodes: MeshNode[] = []
  const contexts: SimNodeContext[] = []
  const r = await runSimulation({
    scenario,
    nodeFactory: ctx => {
      const made = meshNodeFactory(ctx) as MeshNode
      nodes.push(made)
      contexts.push(ctx)
      return made
    },
  })
  return { nodes, contexts, stats: r.nodeStats, delivery: r.summary.deliveryRatio }
}

describe('meshNodeFactory', () => {
  test('meshNodeFactory — each node is keyed by its seed (Noise key from the first 32 bytes, signing key from the next 32) and named n<index>', async () => {
    const { nodes, contexts } = await grid()
    const heard = new Map(nodes.flatMap(n => n.peers()).map(p => [p.peerId, p]))
    expect(heard.size).toBe(9)
    nodes.forEach((node, i) => {
      const seed = contexts[i]!.identitySeed
      const identity = identityFromSecrets(contexts[i]!.crypto, seed.slice(0, 32), seed.slice(32, 64))
      expect(node.peerId).toBe(identity.peerIdHex)
      expect(node.nickname).toBe(`n${i}`)
      // What its neighbours pinned from its announces.
      expect(heard.get(identity.peerIdHex)).toMatchObject({ nickname: `n${i}`, noisePublicKey: toHex(identity.noisePublicKey), signingPublicKey: toHex(identity.signingPublicKey) })
      expect(toHex(identity.signingPublicKey)).not.toBe(toHex(contexts[i]!.crypto.ed25519PublicKey(seed.slice(0, 32))))
    })
  })

  test('meshNodeFactory — the nodes pin into the run\'s one shared pool, one pin per identity', async () => {
    const { contexts } = await grid()
    expect(new Set(contexts.map(c => c.pinPool)).size).toBe(1)
    expect((contexts[0]!.pinPool as SharedPinPool).size).toBe(9)
  })

  test('meshNodeFactory — public messages the node shows reach the run\'s count', async () => {
    expect((await grid()).delivery).toBe(1)
  })

  test('meshNodeFactory — private messages the node shows, and the receipts it gets, reach the run\'s count', async () => {
    const scenario = parseScenario({ seed: 2, durationSeconds: 60, topology: { kind: 'grid', nodes: 9 }, traffic: { broadcastPerNodePerMinute: 0, privatePerNodePerMinute: 2 }, crypto: 'cheap' })
    const p = (await runSimulation({ scenario, nodeFactory: meshNodeFactory })).summary.private!
    expect(p.messages).toBeGreaterThan(5)
    expect(p).toMatchObject({ deliveryRatio: 1, receiptRatio: 1, misdelivered: 0 })
  })

  test('meshNodeFactory — the scenario\'s node settings reach every node: gossip sync (opt-in) sends REQUEST_SYNC', async () => {
    expect((await grid()).stats['framesOutByType.requestSync'] ?? 0).toBe(0)
    expect((await grid({ sync: true })).stats['framesOutByType.requestSync']).toBeGreaterThan(9)
  })
})
