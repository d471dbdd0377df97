// A stand-in node for simulator tests that must not depend on the mesh core: floods Bitchat-shaped
// public-message frames (v1 header, type 0x02, no signature) over every other link, deduplicating by
// frame content without the TTL byte. Enough to exercise the engine, link model and metrics.
import type { Link } from '../../../src/mesh/link.js'
import { frameKey } from '../../../simulator/metrics.js'
import type { SimNode, SimNodeContext, SimNodeFactory } from '../../../simulator/sim-node.js'

const HEADER = 14
const SENDER = 8

export interface TinyFloodOptions {
  /** Zero each received frame once handled, as a buggy node might: shows whether receivers share frames. */
  scribble?: boolean
}

export function tinyFloodNodeWith (options: TinyFloodOptions): SimNodeFactory {
  return ctx => tinyFlood(ctx, options)
}

export const tinyFloodNode: SimNodeFactory = tinyFloodNodeWith({})

function tinyFlood (ctx: SimNodeContext, options: TinyFloodOptions): SimNode {
  const links = new Set<Link>()
  const seen = new Set<number>()
  const sender = ctx.identitySeed.subarray(0, SENDER)
  const forward = (frame: Uint8Array, except: Link | null): void => {
    for (const l of links) if (l !== except) l.send(frame)
  }
  const receive = (frame: Uint8Array, link: Link): void => {
    const key = frameKey(frame)
    if (seen.has(key)) return
    seen.add(key)
    const text = new TextDecoder().decode(frame.subarray(HEADER + SENDER))
    ctx.deliver(text)
    const ttl = frame[2]!
    if (ttl <= 1) return
    const copy = frame.slice()
    copy[2] = ttl - 1
    ctx.clock.setTimer(ctx.random.next() * 5, () => forward(copy, link))
  }
  return {
    async start () {
      await ctx.transport.start({
        onLink (link) {
          links.add(link)
          link.attach({
            onFrame (frame) {
              receive(frame, link)
              if (options.scribble === true) frame.fill(0)
            },
            onDrain () {},
            onClose () { links.delete(link) },
          })
        },
      })
    },
    async stop () {
      await ctx.transport.stop()
    },
    sendPublic (text: string) {
      const body = new TextEncoder().encode(text)
      const frame = new Uint8Array(HEADER + SENDER + body.length)
      frame[0] = 1
      frame[1] = 0x02
      frame[2] = 7
      const ts = ctx.clock.now()
      new DataView(frame.buffer).setBigUint64(3, BigInt(ts))
      new DataView(frame.buffer).setUint16(12, body.length)
      frame.set(sender, HEADER)
      frame.set(body, HEADER + SENDER)
      seen.add(frameKey(frame))
      forward(frame, null)
    },
  }
}
