import { describe, expect, test } from 'vitest'
import { generateIdentity, identityFromSecrets, peerIdFromNoiseKey, peerIdHex } from '../../src/crypto/identity.js'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { SeededRandom } from '../../src/prng.js'
import { hex, readFixture, toHex, type RfcVectors } from './helpers.js'

const rfc = readFixture<RfcVectors>('rfc-vectors.json')
const alice = rfc.x25519.diffieHellman
const test1 = rfc.ed25519.cases[0]!

// Expected digests computed independently with coreutils: `xxd -r -p <<< <alicePublic> | sha256sum`.
const ALICE_FINGERPRINT = '300c9c9603b92a4b39ed3958bf9240114804db4fd373012c0ca47432d63425ae'
const BOB_FINGERPRINT = 'f35e5616160a30bf3c6e79fa73c576d40205e8fc3ba4e1c6dcf93e6b98e857b4'

function seededProvider (base: CryptoProvider, seed: string): CryptoProvider {
  const rng = new SeededRandom(seed)
  return { ...base, name: `${base.name}+seeded`, randomBytes: (n) => rng.bytes(n) }
}

describe.each([nobleCrypto, nodeCrypto])('identity ($name)', (crypto) => {
  test('identityFromSecrets — keys, peer ID and fingerprint from RFC 7748 / RFC 8032 secrets (§2.2)', () => {
    const id = identityFromSecrets(crypto, hex(alice.alicePrivate), hex(test1.secretKey))
    expect(toHex(id.noisePublicKey)).toBe(alice.alicePublic)
    expect(toHex(id.signingPublicKey)).toBe(test1.publicKey)
    expect(id.fingerprint).toBe(ALICE_FINGERPRINT)
    expect(id.peerIdHex).toBe(ALICE_FINGERPRINT.slice(0, 16))
    expect(toHex(id.peerId)).toBe(id.peerIdHex)
    expect(id.peerId.length).toBe(8)
  })

  test('peerIdFromNoiseKey — first 8 bytes of SHA-256 of the X25519 public key', () => {
    expect(peerIdHex(peerIdFromNoiseKey(crypto, hex(alice.bobPublic)))).toBe(BOB_FINGERPRINT.slice(0, 16))
  })

  test('identityFromSecrets — copies its inputs: rewriting the caller\'s buffers changes nothing', () => {
    const noise = hex(alice.bobPrivate)
    const signing = hex(test1.secretKey)
    const id = identityFromSecrets(crypto, noise, signing)
    noise.fill(0)
    signing.fill(0)
    expect(toHex(id.noiseSecretKey)).toBe(alice.bobPrivate)
    expect(toHex(id.signingSecretKey)).toBe(test1.secretKey)
    expect(id.fingerprint).toBe(BOB_FINGERPRINT)
  })

  test('identityFromSecrets — secrets of the wrong length are programmer errors', () => {
    expect(() => identityFromSecrets(crypto, new Uint8Array(31), new Uint8Array(32))).toThrow(/32 bytes/)
    expect(() => identityFromSecrets(crypto, new Uint8Array(32), new Uint8Array(64))).toThrow(/32 bytes/)
  })

  test('generateIdentity — draws both secrets from the provider: reproducible from a seed, distinct keys', () => {
    const a = generateIdentity(seededProvider(crypto, 'identity-a'))
    const again = generateIdentity(seededProvider(crypto, 'identity-a'))
    const b = generateIdentity(seededProvider(crypto, 'identity-b'))
    expect(again.fingerprint).toBe(a.fingerprint)
    expect(toHex(again.signingPublicKey)).toBe(toHex(a.signingPublicKey))
    expect(b.fingerprint).not.toBe(a.fingerprint)
    expect(toHex(a.noiseSecretKey)).not.toBe(toHex(a.signingSecretKey))
    expect(a.peerIdHex).toMatch(/^[0-9a-f]{16}$/)
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/)
    expect(a.fingerprint.startsWith(a.peerIdHex)).toBe(true)
    expect(toHex(a.noisePublicKey)).toBe(toHex(crypto.x25519PublicKey(a.noiseSecretKey)))
  })
})

test('identity — both providers derive the same identity from the same secrets', () => {
  const rng = new SeededRandom('identity-agree')
  for (let i = 0; i < 20; i++) {
    const [noise, signing] = [rng.bytes(32), rng.bytes(32)]
    expect(identityFromSecrets(nodeCrypto, noise, signing)).toEqual(identityFromSecrets(nobleCrypto, noise, signing))
  }
})
