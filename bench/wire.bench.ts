// Wire codec throughput: packet encode and decode at three payload sizes, plus the relay hot path
// (decode, then re-encode with TTL−1). Payloads are fixed bytes so runs compare.
import { decodePacket, encodePacket } from '../src/wire/packet.js'
import type { Packet } from '../src/wire/packet-types.js'
import { measure, report } from './harness.js'

function packetOf (size: number): Packet {
  return {
    version: 1,
    type: 0x02,
    ttl: 7,
    timestamp: 1_763_776_000_000n,
    senderId: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
    recipientId: new Uint8Array(8).fill(0xff),
    route: [],
    payload: Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff),
    isCompressed: false,
    isRSR: false,
    signature: new Uint8Array(64).fill(0x5a),
  }
}

export function run (): void {
  let sink = 0
  for (const size of [64, 256, 1024]) {
    const packet = packetOf(size)
    const frame = encodePacket(packet)
    report(`packet encode (${size} B)`, measure(() => { sink += encodePacket(packet).length }).opsPerSecond, 'ops/s')
    report(`packet decode (${size} B)`, measure(() => { sink += decodePacket(frame).ttl }).opsPerSecond, 'ops/s')
  }
  const frame = encodePacket(packetOf(256))
  report('packet relay decode+re-encode (256 B)', measure(() => {
    const p = decodePacket(frame)
    p.ttl -= 1
    sink += encodePacket(p).length
  }).opsPerSecond, 'ops/s')
  if (sink === 42) process.stdout.write('\n') // keeps the work observable to the optimiser
}
