// The Transport a simulated node's MeshNode runs on: starting it puts the node on the air, stopping it
// closes its links. Nothing in the node can tell it from a GATT transport.
import type { Transport, TransportHandlers } from '../src/mesh/link.js'
import type { Air } from './air.js'

export class SimTransport implements Transport {
  private running = false

  constructor (private readonly air: Air, readonly node: number) {}

  async start (handlers: TransportHandlers): Promise<void> {
    if (this.running) return
    this.running = true
    this.air.activate(this.node, link => handlers.onLink(link))
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.air.deactivate(this.node, 'transport stopped')
  }

  /** The node crashed: links drop, the node's handlers hear nothing more. */
  crash (): void {
    this.running = false
    this.air.deactivate(this.node, 'peer lost', true)
  }
}
