// Noise throughput per provider: complete XX handshakes (both ends, three messages and the split, so
// three X25519 operations a side and a fresh ephemeral key each) and transport messages of 200 bytes, a
// chat line with its TLV (encrypted at one end, decrypted at the other). A Raspberry Pi relay answers
// handshakes only for itself, but a laptop chatting with many phones runs one per peer.
import { noiseKeyPair, XXHandshake } from '../src/crypto/noise.js'
import { NoiseTransport } from '../src/crypto/noise-transport.js'
import { nobleCrypto } from '../src/crypto/noble-provider.js'
import { nodeCrypto } from '../src/crypto/node-provider.js'
import type { CryptoProvider } from '../src/crypto/provider.js'
import { measure, report } from './harness.js'

const PLAINTEXT = new Uint8Array(200).fill(0x61)

function handshake (crypto: CryptoProvider, initiatorKey: ReturnType<typeof noiseKeyPair>, responderKey: ReturnType<typeof noiseKeyPair>): [NoiseTransport, NoiseTransport] {
  const i = new XXHandshake(crypto, 'initiator', initiatorKey)
  const r = new XXHandshake(crypto, 'responder', responderKey)
  r.readMessage(i.writeMessage())
  i.readMessage(r.writeMessage())
  r.readMessage(i.writeMessage())
  const a = i.split()
  const b = r.split()
  return [new NoiseTransport(a.send, a.receive), new NoiseTransport(b.send, b.receive)]
}

export function run (): void {
  let sink = 0
  for (const crypto of [nobleCrypto, nodeCrypto]) {
    const initiatorKey = noiseKeyPair(crypto, new Uint8Array(32).fill(3))
    const responderKey = noiseKeyPair(crypto, new Uint8Array(32).fill(5))
    report(`noise XX handshake (${crypto.name})`, measure(() => { sink += handshake(crypto, initiatorKey, responderKey).length }).opsPerSecond, 'handshakes/s')
    const [a, b] = handshake(crypto, initiatorKey, responderKey)
    report(`noise transport 200 B (${crypto.name})`, measure(() => { sink += b.decrypt(a.encrypt(PLAINTEXT)).length }).opsPerSecond, 'messages/s')
  }
  if (sink === -1) process.stdout.write('\n') // keeps the work observable
}
