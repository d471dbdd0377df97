// What the simulation needs from a node, and what it gives one. The default factory (mesh-node.ts) wraps
// the unchanged src/ MeshNode; tests may pass their own.
import type { CryptoProvider } from '../src/crypto/provider.js'
import type { Logger } from '../src/logger.js'
import type { PeerKeys } from '../src/mesh/peers.js'
import type { PinPool } from '../src/mesh/pin-pool.js'
import type { RelayPolicy } from '../src/mesh/policy/relay-policy.js'
import type { SeededRandom } from '../src/prng.js'
import type { SimTransport } from './sim-transport.js'
import type { VirtualClock } from './virtual-clock.js'

export interface SimNodeContext {
  index: number
  transport: SimTransport
  clock: VirtualClock
  random: SeededRandom
  crypto: CryptoProvider
  logger: Logger
  policy: RelayPolicy
  /** 64 bytes fixed per node for the run (its identity survives restarts): derive keys from them. */
  identitySeed: Uint8Array
  /** Scenario `node` overrides for the node config. */
  config: Record<string, unknown>
  /** One pool of pinned keys for every node of the run: they all pin the same identities. */
  pinPool: PinPool
  /** A restarted node's pins from its life before, as a real node reads them back from its store. */
  pins?: Array<[string, PeerKeys]>
  /** Call with the text of every public message the node hands to its application. */
  deliver (text: string): void
  /** Call with the text of every private message the node hands to its application. */
  deliverPrivate (text: string): void
  /** Call with the message ID of every delivery receipt the node gets for a private message it sent. */
  receipt (messageId: string): void
}

export interface SimNode {
  start (): unknown
  stop (): unknown
  sendPublic (text: string): unknown
  /** For private traffic: the node's peer ID, and a send that returns the message ID its receipt will name. */
  readonly peerId?: string
  sendPrivate? (peerId: string, text: string): string
  /** Counters for the summary (optional). */
  stats? (): unknown
  /** The pins to give the node's next life, taken when it leaves or crashes (optional). */
  pinnedPeers? (): Array<[string, PeerKeys]>
}

export type SimNodeFactory = (context: SimNodeContext) => SimNode
