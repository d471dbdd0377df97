// The default node of a simulation: the unchanged src/ MeshNode, given simulated parts.
import { identityFromSecrets } from '../src/crypto/identity.js'
import { createNode, type NodeConfig } from '../src/node.js'
import type { SimNode, SimNodeContext } from './sim-node.js'

export function meshNodeFactory (ctx: SimNodeContext): SimNode {
  const identity = identityFromSecrets(ctx.crypto, ctx.identitySeed.slice(0, 32), ctx.identitySeed.slice(32, 64))
  const config: NodeConfig = { ...(ctx.config as NodeConfig), internalErrors: 'throw', policy: ctx.policy, nickname: `n${ctx.index}`, ...(ctx.pins === undefined ? {} : { pins: ctx.pins }) }
  const node = createNode({ identity, transport: ctx.transport, clock: ctx.clock, random: ctx.random, crypto: ctx.crypto, logger: ctx.logger, config, pinPool: ctx.pinPool })
  node.on('message', m => ctx.deliver(m.text))
  node.on('privateMessage', m => ctx.deliverPrivate(m.text))
  node.on('receipt', r => { if (r.kind === 'delivered') ctx.receipt(r.messageId) })
  return node
}
