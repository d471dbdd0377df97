import { expect, test } from 'vitest'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { describeProvider } from './provider-suite.js'
import { hex, toHex } from './helpers.js'

describeProvider(nodeCrypto)

// The node provider keeps imported KeyObjects keyed by the caller's array: a buffer that is rewritten in
// place must not go on signing (or agreeing) with the key it held before.
test('nodeCrypto — a secret-key buffer rewritten in place is re-imported, not served stale', () => {
  const key = new Uint8Array(32).fill(1)
  const msg = hex('6869')
  const first = nodeCrypto.ed25519Sign(key, msg)
  const firstPublic = nodeCrypto.x25519PublicKey(key)
  key.fill(2)
  expect(toHex(nodeCrypto.ed25519Sign(key, msg))).toBe(toHex(nobleCrypto.ed25519Sign(key, msg)))
  expect(toHex(nodeCrypto.ed25519Sign(key, msg))).not.toBe(toHex(first))
  expect(toHex(nodeCrypto.x25519PublicKey(key))).toBe(toHex(nobleCrypto.x25519PublicKey(key)))
  expect(toHex(nodeCrypto.x25519PublicKey(key))).not.toBe(toHex(firstPublic))
})

test('nodeCrypto — one buffer used as an Ed25519 and an X25519 secret gets the right key type each time', () => {
  const key = new Uint8Array(32).fill(5)
  expect(toHex(nodeCrypto.ed25519PublicKey(key))).toBe(toHex(nobleCrypto.ed25519PublicKey(key)))
  expect(toHex(nodeCrypto.x25519PublicKey(key))).toBe(toHex(nobleCrypto.x25519PublicKey(key)))
  expect(toHex(nodeCrypto.ed25519PublicKey(key))).toBe(toHex(nobleCrypto.ed25519PublicKey(key)))
})
