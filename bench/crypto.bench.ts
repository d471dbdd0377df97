// Crypto provider throughput: Ed25519 sign and verify over a 256-byte message (the size of a padded
// signing preimage), X25519, and SHA-256 of 256 bytes, for each provider. Inputs are fixed so runs compare.
// "verify, bad signature" shows the node provider's cost when OpenSSL rejects and noble confirms.
import { nobleCrypto } from '../src/crypto/noble-provider.js'
import { nodeCrypto } from '../src/crypto/node-provider.js'
import { measure, report } from './harness.js'

const MESSAGE = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 0xff)

export function run (): void {
  let sink = 0
  for (const crypto of [nobleCrypto, nodeCrypto]) {
    const secret = new Uint8Array(32).fill(7)
    const peerSecret = new Uint8Array(32).fill(9)
    const publicKey = crypto.ed25519PublicKey(secret)
    const signature = crypto.ed25519Sign(secret, MESSAGE)
    const bad = signature.slice()
    bad[0]! ^= 1
    const peerPublic = crypto.x25519PublicKey(peerSecret)
    const name = crypto.name
    report(`ed25519 sign (${name})`, measure(() => { sink += crypto.ed25519Sign(secret, MESSAGE)[0]! }).opsPerSecond, 'ops/s')
    report(`ed25519 verify (${name})`, measure(() => { sink += crypto.ed25519Verify(publicKey, MESSAGE, signature) ? 1 : 0 }).opsPerSecond, 'ops/s')
    report(`ed25519 verify, bad signature (${name})`, measure(() => { sink += crypto.ed25519Verify(publicKey, MESSAGE, bad) ? 1 : 0 }).opsPerSecond, 'ops/s')
    report(`x25519 (${name})`, measure(() => { sink += crypto.x25519(secret, peerPublic)[0]! }).opsPerSecond, 'ops/s')
    report(`sha256 256 B (${name})`, measure(() => { sink += crypto.sha256(MESSAGE)[0]! }).opsPerSecond, 'ops/s')
  }
  if (sink === -1) process.stdout.write('\n') // keeps the work observable
}
