// One suite for every CryptoProvider: published vectors (RFC 8032, 7748, 8439, 4231, 5869, FIPS 180), the
// "Taming the many EdDSAs" edge cases, and the contract in src/crypto/provider.ts (strict verification
// that never throws, low-order X25519 keys refused, AEAD tag failures as null, programmer errors thrown).
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { X25519_LOW_ORDER_MESSAGE } from '../../src/crypto/noble-provider.js'
import { SeededRandom } from '../../src/prng.js'
import { X25519_LOW_ORDER, fcOptions, flipBit, hex, readFixture, toHex, type RfcVectors, type SpeccheckCase } from './helpers.js'

const rfc = readFixture<RfcVectors>('rfc-vectors.json')
const speccheck = readFixture<{ cases: SpeccheckCase[] }>('ed25519-speccheck.json').cases

export function describeProvider (crypto: CryptoProvider): void {
  describe(`CryptoProvider (${crypto.name})`, () => {
    test('sha256 — FIPS 180 examples', () => {
      for (const v of rfc.sha256.cases) expect(toHex(crypto.sha256(hex(v.message)))).toBe(v.digest)
    })

    test('hmacSha256 — RFC 4231 test cases 1–7', () => {
      for (const v of rfc.hmacSha256.cases) {
        const mac = crypto.hmacSha256(hex(v.key), hex(v.data))
        expect(toHex(mac.subarray(0, v.mac.length / 2)), v.name).toBe(v.mac)
        expect(mac.length).toBe(32)
      }
    })

    test('hkdfSha256 — RFC 5869 A.1–A.3', () => {
      for (const v of rfc.hkdfSha256.cases) {
        expect(toHex(crypto.hkdfSha256(hex(v.ikm), hex(v.salt), hex(v.info), v.length)), v.name).toBe(v.okm)
      }
    })

    test('hkdfSha256 — lengths 0 and 255·32 work, beyond that is a programmer error', () => {
      const empty = new Uint8Array(0)
      expect(crypto.hkdfSha256(empty, empty, empty, 0).length).toBe(0)
      expect(crypto.hkdfSha256(empty, empty, empty, 8160).length).toBe(8160)
      expect(() => crypto.hkdfSha256(empty, empty, empty, 8161)).toThrow()
      expect(() => crypto.hkdfSha256(empty, empty, empty, -1)).toThrow()
    })

    test('hkdfSha256 — an info longer than 1 KiB is accepted (Node hkdfSync alone refuses it)', () => {
      const info = new Uint8Array(2000).fill(7)
      const okm = crypto.hkdfSha256(hex('0b0b'), hex('00'), info, 64)
      // Expand by hand from the extract step (RFC 5869 §2.3), through the provider's own HMAC.
      const prk = crypto.hmacSha256(hex('00'), hex('0b0b'))
      const t1 = crypto.hmacSha256(prk, Uint8Array.from([...info, 1]))
      const t2 = crypto.hmacSha256(prk, Uint8Array.from([...t1, ...info, 2]))
      expect(toHex(okm)).toBe(toHex(t1) + toHex(t2))
    })

    test('x25519 — RFC 7748 §5.2 scalar multiplication (top bit of u ignored)', () => {
      for (const v of rfc.x25519.scalarMult) expect(toHex(crypto.x25519(hex(v.scalar), hex(v.u)))).toBe(v.out)
    })

    test('x25519 — RFC 7748 §6.1 key pairs and the shared secret both ways', () => {
      const d = rfc.x25519.diffieHellman
      expect(toHex(crypto.x25519PublicKey(hex(d.alicePrivate)))).toBe(d.alicePublic)
      expect(toHex(crypto.x25519PublicKey(hex(d.bobPrivate)))).toBe(d.bobPublic)
      expect(toHex(crypto.x25519(hex(d.alicePrivate), hex(d.bobPublic)))).toBe(d.shared)
      expect(toHex(crypto.x25519(hex(d.bobPrivate), hex(d.alicePublic)))).toBe(d.shared)
    })

    test('x25519 — every low-order public key is refused with the one documented error', () => {
      const secret = new SeededRandom('x25519-low-order').bytes(32)
      for (const u of X25519_LOW_ORDER) expect(() => crypto.x25519(secret, hex(u)), u).toThrow(X25519_LOW_ORDER_MESSAGE)
    })

    test('x25519 — wrong key lengths are programmer errors', () => {
      expect(() => crypto.x25519(new Uint8Array(31), new Uint8Array(32).fill(9))).toThrow(/32 bytes/)
      expect(() => crypto.x25519(new Uint8Array(32), new Uint8Array(33))).toThrow(/32 bytes/)
      expect(() => crypto.x25519PublicKey(new Uint8Array(16))).toThrow(/32 bytes/)
    })

    test('aeadEncrypt — RFC 8439 §2.8.2 ciphertext and tag', () => {
      for (const v of rfc.chacha20poly1305.cases) {
        const sealed = crypto.aeadEncrypt(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.ad))
        expect(toHex(sealed)).toBe(v.ciphertext + v.tag)
        expect(toHex(crypto.aeadDecrypt(hex(v.key), hex(v.nonce), sealed, hex(v.ad)) ?? new Uint8Array(0))).toBe(v.plaintext)
      }
    })

    test('aeadDecrypt — any single flipped bit of ciphertext, tag, AD, nonce or key gives null', () => {
      const v = rfc.chacha20poly1305.cases[0]!
      const [key, nonce, ad, sealed] = [hex(v.key), hex(v.nonce), hex(v.ad), hex(v.ciphertext + v.tag)]
      for (let bit = 0; bit < sealed.length * 8; bit++) expect(crypto.aeadDecrypt(key, nonce, flipBit(sealed, bit), ad)).toBeNull()
      for (let bit = 0; bit < ad.length * 8; bit++) expect(crypto.aeadDecrypt(key, nonce, sealed, flipBit(ad, bit))).toBeNull()
      for (let bit = 0; bit < nonce.length * 8; bit++) expect(crypto.aeadDecrypt(key, flipBit(nonce, bit), sealed, ad)).toBeNull()
      for (let bit = 0; bit < key.length * 8; bit += 7) expect(crypto.aeadDecrypt(flipBit(key, bit), nonce, sealed, ad)).toBeNull()
    })

    test('aeadDecrypt — shorter than a tag, or cut short, gives null', () => {
      const key = new Uint8Array(32).fill(1)
      const nonce = new Uint8Array(12)
      const sealed = crypto.aeadEncrypt(key, nonce, hex('68656c6c6f'), new Uint8Array(0))
      for (let n = 0; n < sealed.length; n++) expect(crypto.aeadDecrypt(key, nonce, sealed.subarray(0, n), new Uint8Array(0))).toBeNull()
    })

    test('aeadEncrypt — an empty plaintext seals to a bare tag and opens again', () => {
      const key = new Uint8Array(32).fill(2)
      const nonce = new Uint8Array(12).fill(3)
      const sealed = crypto.aeadEncrypt(key, nonce, new Uint8Array(0), hex('aa'))
      expect(sealed.length).toBe(16)
      expect(crypto.aeadDecrypt(key, nonce, sealed, hex('aa'))).toEqual(new Uint8Array(0))
      expect(() => crypto.aeadEncrypt(new Uint8Array(16), nonce, new Uint8Array(0), new Uint8Array(0))).toThrow(/32 bytes/)
      expect(() => crypto.aeadEncrypt(key, new Uint8Array(8), new Uint8Array(0), new Uint8Array(0))).toThrow(/12 bytes/)
    })

    test('ed25519 — RFC 8032 §7.1 key, signature and verification', () => {
      for (const v of rfc.ed25519.cases) {
        const [sk, pk, msg, sig] = [hex(v.secretKey), hex(v.publicKey), hex(v.message), hex(v.signature)]
        expect(toHex(crypto.ed25519PublicKey(sk)), v.name).toBe(v.publicKey)
        expect(toHex(crypto.ed25519Sign(sk, msg)), v.name).toBe(v.signature)
        expect(crypto.ed25519Verify(pk, msg, sig), v.name).toBe(true)
      }
    })

    test('ed25519Verify — RFC 8032 vectors fail after any single bit flip of key, message or signature', () => {
      const v = rfc.ed25519.cases[2]! // TEST 3: short enough to flip every bit
      const [pk, msg, sig] = [hex(v.publicKey), hex(v.message), hex(v.signature)]
      for (let bit = 0; bit < 256; bit++) expect(crypto.ed25519Verify(flipBit(pk, bit), msg, sig), `key bit ${bit}`).toBe(false)
      for (let bit = 0; bit < 16; bit++) expect(crypto.ed25519Verify(pk, flipBit(msg, bit), sig), `message bit ${bit}`).toBe(false)
      for (let bit = 0; bit < 512; bit++) expect(crypto.ed25519Verify(pk, msg, flipBit(sig, bit)), `signature bit ${bit}`).toBe(false)
    })

    test.each(speccheck.map((c) => [c.index, c.label, c]))('ed25519Verify — "Taming the many EdDSAs" case %i (%s)', (_i, _label, c) => {
      expect(crypto.ed25519Verify(hex(c.publicKey), hex(c.message), hex(c.signature))).toBe(c.strictAccepts)
    })

    test('ed25519Verify — every small-order key is refused, even with S = 0 and R of small order', () => {
      const msg = hex('00')
      for (const a of ED25519_TORSION_SUBGROUP) {
        for (const r of ED25519_TORSION_SUBGROUP) {
          expect(crypto.ed25519Verify(hex(a), msg, hex(r + '00'.repeat(32))), `A=${a} R=${r}`).toBe(false)
        }
      }
    })

    test('ed25519Verify — malformed lengths and garbage give false, never a throw', () => {
      const rng = new SeededRandom('ed25519-garbage')
      const pk = crypto.ed25519PublicKey(rng.bytes(32))
      const msg = rng.bytes(10)
      const sig = crypto.ed25519Sign(rng.bytes(32), msg)
      for (const n of [0, 31, 33, 64]) expect(crypto.ed25519Verify(rng.bytes(n), msg, sig)).toBe(false)
      for (const n of [0, 32, 63, 65, 128]) expect(crypto.ed25519Verify(pk, msg, rng.bytes(n))).toBe(false)
      for (let i = 0; i < 50; i++) expect(crypto.ed25519Verify(rng.bytes(32), rng.bytes(i), rng.bytes(64))).toBe(false)
    })

    test('ed25519 — sign then verify holds for random keys and messages; another key does not verify', () => {
      fc.assert(fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 600 }),
        (sk, other, msg) => {
          const sig = crypto.ed25519Sign(sk, msg)
          expect(sig.length).toBe(64)
          expect(crypto.ed25519Verify(crypto.ed25519PublicKey(sk), msg, sig)).toBe(true)
          if (toHex(other) !== toHex(sk)) expect(crypto.ed25519Verify(crypto.ed25519PublicKey(other), msg, sig)).toBe(false)
        },
      ), fcOptions(100))
    })

    test('ed25519 — wrong secret-key lengths are programmer errors', () => {
      expect(() => crypto.ed25519Sign(new Uint8Array(64), new Uint8Array(1))).toThrow(/32 bytes/)
      expect(() => crypto.ed25519PublicKey(new Uint8Array(31))).toThrow(/32 bytes/)
    })

    test('randomBytes — requested length, and two draws differ', () => {
      for (const n of [0, 1, 8, 32, 64, 1000]) expect(crypto.randomBytes(n).length).toBe(n)
      expect(toHex(crypto.randomBytes(32))).not.toBe(toHex(crypto.randomBytes(32)))
    })
  })
}
