// The two providers must be interchangeable: for any input, the same bytes out, the same accept/reject,
// the same throw. Random inputs from fast-check, plus crafted Ed25519 signatures whose A and R carry
// torsion components — the inputs on which OpenSSL's cofactorless check and noble's cofactored check part.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { nodeCrypto } from '../../src/crypto/node-provider.js'
import { fcOptions, flipBit, toHex } from './helpers.js'

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
const L = ed25519.Point.Fn.ORDER

function outcome (f: () => Uint8Array): string {
  try {
    return toHex(f())
  } catch (error) {
    return `throws: ${(error as Error).message}`
  }
}

function leToBigint (b: Uint8Array): bigint {
  let x = 0n
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!)
  return x
}

function bigintTo32Le (x: bigint): Uint8Array {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) { out[i] = Number(x & 0xffn); x >>= 8n }
  return out
}

/**
 * A signature that satisfies the cofactored equation by construction, with A = aB + T_A and R = rB + T_R
 * for torsion points T_A, T_R: the cofactorless equation then holds only when T_R + k·T_A = O.
 */
function torsionSignature (a: bigint, r: bigint, tA: number, tR: number, message: Uint8Array): { publicKey: Uint8Array, signature: Uint8Array, cofactorless: boolean } {
  const { Point } = ed25519
  const pointA = Point.BASE.multiply(a).add(Point.fromHex(ED25519_TORSION_SUBGROUP[tA]!))
  const pointR = Point.BASE.multiply(r).add(Point.fromHex(ED25519_TORSION_SUBGROUP[tR]!))
  const [A, R] = [pointA.toBytes(), pointR.toBytes()]
  const k = leToBigint(sha512(Uint8Array.from([...R, ...A, ...message]))) % L
  const S = (r + k * a) % L
  const cofactorless = Point.BASE.multiplyUnsafe(S).equals(pointR.add(pointA.multiplyUnsafe(k)))
  return { publicKey: A, signature: Uint8Array.from([...R, ...bigintTo32Le(S)]), cofactorless }
}

describe('nobleCrypto and nodeCrypto agree', () => {
  test('sha256 and hmacSha256 — same digest for any input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 200 }), (key, data) => {
      expect(toHex(nodeCrypto.sha256(data))).toBe(toHex(nobleCrypto.sha256(data)))
      expect(toHex(nodeCrypto.hmacSha256(key, data))).toBe(toHex(nobleCrypto.hmacSha256(key, data)))
    }), fcOptions(1000))
  })

  test('hkdfSha256 — same output for any ikm, salt, info (over and under 1 KiB) and length', () => {
    fc.assert(fc.property(
      fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 1100 }),
      fc.integer({ min: 0, max: 8160 }),
      (ikm, salt, info, length) => {
        expect(toHex(nodeCrypto.hkdfSha256(ikm, salt, info, length))).toBe(toHex(nobleCrypto.hkdfSha256(ikm, salt, info, length)))
      },
    ), fcOptions(300))
  })

  test('x25519 — same public key, and the same secret or the same refusal for any peer value', () => {
    fc.assert(fc.property(bytes(32), bytes(32), (secret, peer) => {
      expect(toHex(nodeCrypto.x25519PublicKey(secret))).toBe(toHex(nobleCrypto.x25519PublicKey(secret)))
      expect(outcome(() => nodeCrypto.x25519(secret, peer))).toBe(outcome(() => nobleCrypto.x25519(secret, peer)))
    }), fcOptions(500))
  })

  test('x25519 — both providers derive one secret from two key pairs', () => {
    fc.assert(fc.property(bytes(32), bytes(32), (a, b) => {
      const viaNode = nodeCrypto.x25519(a, nobleCrypto.x25519PublicKey(b))
      const viaNoble = nobleCrypto.x25519(b, nodeCrypto.x25519PublicKey(a))
      expect(toHex(viaNode)).toBe(toHex(viaNoble))
    }), fcOptions(300))
  })

  test('aead — same sealed bytes, and the same plaintext or null after random bit flips', () => {
    fc.assert(fc.property(
      bytes(32), bytes(12), fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.nat(), { maxLength: 3 }),
      (key, nonce, plaintext, ad, flips) => {
        const sealed = nobleCrypto.aeadEncrypt(key, nonce, plaintext, ad)
        expect(toHex(nodeCrypto.aeadEncrypt(key, nonce, plaintext, ad))).toBe(toHex(sealed))
        let tampered = sealed
        for (const f of flips) tampered = flipBit(tampered, f % (tampered.length * 8))
        const a = nodeCrypto.aeadDecrypt(key, nonce, tampered, ad)
        const b = nobleCrypto.aeadDecrypt(key, nonce, tampered, ad)
        expect(a === null ? null : toHex(a)).toBe(b === null ? null : toHex(b))
        if (toHex(tampered) === toHex(sealed)) expect(b === null ? null : toHex(b)).toBe(toHex(plaintext))
      },
    ), fcOptions(500))
  })

  test('ed25519 — same public key and the same (deterministic) signature', () => {
    fc.assert(fc.property(bytes(32), fc.uint8Array({ maxLength: 500 }), (sk, msg) => {
      expect(toHex(nodeCrypto.ed25519PublicKey(sk))).toBe(toHex(nobleCrypto.ed25519PublicKey(sk)))
      expect(toHex(nodeCrypto.ed25519Sign(sk, msg))).toBe(toHex(nobleCrypto.ed25519Sign(sk, msg)))
    }), fcOptions(300))
  })

  test('ed25519Verify — same answer after random bit flips in key, message and signature', () => {
    fc.assert(fc.property(
      bytes(32), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.array(fc.nat(), { maxLength: 3 }),
      (sk, msg, flips) => {
        const pk = nobleCrypto.ed25519PublicKey(sk)
        const blob = Uint8Array.from([...pk, ...nobleCrypto.ed25519Sign(sk, msg), ...msg])
        let t: Uint8Array = blob
        for (const f of flips) t = flipBit(t, f % (t.length * 8))
        const [k, s, m] = [t.subarray(0, 32), t.subarray(32, 96), t.subarray(96)]
        const expected = nobleCrypto.ed25519Verify(k, m, s)
        expect(nodeCrypto.ed25519Verify(k, m, s)).toBe(expected)
        if (flips.length === 0) expect(expected).toBe(true)
      },
    ), fcOptions(300))
  })

  test('ed25519Verify — same answer on random keys and signatures (almost all invalid points or forgeries)', () => {
    fc.assert(fc.property(bytes(32), fc.uint8Array({ maxLength: 50 }), bytes(64), (pk, msg, sig) => {
      expect(nodeCrypto.ed25519Verify(pk, msg, sig)).toBe(nobleCrypto.ed25519Verify(pk, msg, sig))
    }), fcOptions(300))
  })

  test('ed25519Verify — same answer on signatures whose A and R carry torsion (cofactored vs cofactorless)', () => {
    const seen = { cofactorless: 0, cofactoredOnly: 0 }
    fc.assert(fc.property(
      fc.bigInt({ min: 1n, max: L - 1n }), fc.bigInt({ min: 1n, max: L - 1n }),
      fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 40 }),
      (a, r, tA, tR, msg) => {
        const { publicKey, signature, cofactorless } = torsionSignature(a, r, tA, tR, msg)
        // The cofactored equation holds by construction and A is never of small order: strict accepts.
        expect(nobleCrypto.ed25519Verify(publicKey, msg, signature)).toBe(true)
        expect(nodeCrypto.ed25519Verify(publicKey, msg, signature)).toBe(true)
        seen[cofactorless ? 'cofactorless' : 'cofactoredOnly']++
      },
    ), fcOptions(300))
    // Both kinds must have come up, or the property would not have reached the node provider's fallback.
    expect(seen.cofactorless).toBeGreaterThan(0)
    expect(seen.cofactoredOnly).toBeGreaterThan(0)
  })
})
