import { describe, expect, test } from 'vitest'
import { createCheapCrypto } from '../../simulator/cheap-crypto.js'
import { SeededRandom } from '../../src/prng.js'

const crypto = createCheapCrypto(new SeededRandom('cheap-crypto'))
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('createCheapCrypto', () => {
  test('createCheapCrypto — real sizes', () => {
    const sk = crypto.randomBytes(32)
    expect(crypto.sha256(bytes('x')).length).toBe(32)
    expect(crypto.hmacSha256(sk, bytes('x')).length).toBe(32)
    expect(crypto.hkdfSha256(sk, bytes('s'), bytes('i'), 64).length).toBe(64)
    expect(crypto.ed25519PublicKey(sk).length).toBe(32)
    expect(crypto.x25519PublicKey(sk).length).toBe(32)
    expect(crypto.ed25519Sign(sk, bytes('m')).length).toBe(64)
    expect(crypto.aeadEncrypt(sk, new Uint8Array(12), bytes('hello'), new Uint8Array(0)).length).toBe(5 + 16)
  })

  test('createCheapCrypto — a signature verifies only for its key and message', () => {
    const sk = crypto.randomBytes(32)
    const other = crypto.randomBytes(32)
    const pk = crypto.ed25519PublicKey(sk)
    const sig = crypto.ed25519Sign(sk, bytes('message'))
    expect(crypto.ed25519Verify(pk, bytes('message'), sig)).toBe(true)
    expect(crypto.ed25519Verify(pk, bytes('messagf'), sig)).toBe(false)
    expect(crypto.ed25519Verify(crypto.ed25519PublicKey(other), bytes('message'), sig)).toBe(false)
    const bad = sig.slice(); bad[63]! ^= 1
    expect(crypto.ed25519Verify(pk, bytes('message'), bad)).toBe(false)
    expect(crypto.ed25519Verify(pk, bytes('message'), sig.subarray(0, 63))).toBe(false)
  })

  test('createCheapCrypto — hashing is deterministic and sensitive to every byte and to part boundaries', () => {
    expect(crypto.sha256(bytes('abc'))).toEqual(crypto.sha256(bytes('abc')))
    expect(crypto.sha256(bytes('abc'))).not.toEqual(crypto.sha256(bytes('abd')))
    expect(crypto.hmacSha256(bytes('ab'), bytes('c'))).not.toEqual(crypto.hmacSha256(bytes('a'), bytes('bc')))
  })

  test('createCheapCrypto — sha256Into a range equals sha256 of that range, leaving the bytes around it', () => {
    const data = bytes('a frame with a header, a payload and a signature after it')
    for (const [start, end] of [[0, data.length], [0, 0], [3, 4], [5, 17], [11, data.length], [data.length, data.length]] as const) {
      const out = new Uint8Array(34).fill(0xee)
      crypto.sha256Into!(data, start, end, out.subarray(1, 33))
      expect(out.subarray(1, 33)).toEqual(crypto.sha256(data.subarray(start, end)))
      expect([out[0], out[33]]).toEqual([0xee, 0xee])
    }
  })

  // Pinned outputs: every simulated signature, dedup key and relay choice hangs on these bytes, so a change
  // here changes every published simulation figure (values from the first version of this file).
  test.each([
    ['sha256 "abc"', () => crypto.sha256(bytes('abc')), '5f89206f6ebe21e88bb9b7cef5a90907f08bde5b0be68cbd8778184358fe5dbc'],
    ['sha256 of 17 bytes (whole words and a tail)', () => crypto.sha256(bytes('blemesh simulator')), '2d214588262bc67a1872a305d39fa939803ba223951eb511ebf6ce44fde8d749'],
    ['hmacSha256 (two parts)', () => crypto.hmacSha256(bytes('key'), bytes('data')), 'c6b0d9992033ca48cbcf7db474559d155a6eafac773fc3ad61551886b48fde33'],
  ])('createCheapCrypto — pinned output: %s', (_, make, hex) => {
    expect(Buffer.from(make()).toString('hex')).toBe(hex)
  })

  test('createCheapCrypto — X25519 agrees between the two parties; all-zero keys throw', () => {
    const a = crypto.randomBytes(32)
    const b = crypto.randomBytes(32)
    expect(crypto.x25519(a, crypto.x25519PublicKey(b))).toEqual(crypto.x25519(b, crypto.x25519PublicKey(a)))
    expect(() => crypto.x25519(a, new Uint8Array(32))).toThrow(/low-order/)
  })

  test('createCheapCrypto — AEAD round-trips and rejects tampering', () => {
    const key = crypto.randomBytes(32)
    const nonce = crypto.randomBytes(12)
    const ct = crypto.aeadEncrypt(key, nonce, bytes('secret'), bytes('ad'))
    expect(crypto.aeadDecrypt(key, nonce, ct, bytes('ad'))).toEqual(bytes('secret'))
    const tampered = ct.slice(); tampered[0]! ^= 1
    expect(crypto.aeadDecrypt(key, nonce, tampered, bytes('ad'))).toBeNull()
    expect(crypto.aeadDecrypt(key, nonce, ct, bytes('AD'))).toBeNull()
    expect(crypto.aeadDecrypt(key, nonce, ct.subarray(0, 10), bytes('ad'))).toBeNull()
  })

  test('createCheapCrypto — public keys, shared secrets and derived keys depend on every input', () => {
    const a = new Uint8Array(32).fill(1)
    const b = new Uint8Array(32).fill(2)
    const hex = (u: Uint8Array): string => Buffer.from(u).toString('hex')
    expect(hex(crypto.x25519PublicKey(a))).not.toBe(hex(crypto.x25519PublicKey(b)))
    expect(hex(crypto.ed25519PublicKey(a))).not.toBe(hex(crypto.ed25519PublicKey(b)))
    expect(hex(crypto.x25519PublicKey(a))).not.toBe(hex(crypto.ed25519PublicKey(a)))
    const c = new Uint8Array(32).fill(3)
    const ab = crypto.x25519(a, crypto.x25519PublicKey(b))
    expect(hex(ab)).not.toBe(hex(crypto.x25519(a, crypto.x25519PublicKey(c))))
    expect(hex(ab)).not.toBe(hex(crypto.x25519(c, crypto.x25519PublicKey(b))))
    const oneZero = crypto.x25519PublicKey(b).slice()
    oneZero[0] = 0
    expect(crypto.x25519(a, oneZero).length).toBe(32) // only the all-zero key is refused
    const k = (ikm: string, salt: string, info: string, n: number): string => hex(crypto.hkdfSha256(bytes(ikm), bytes(salt), bytes(info), n))
    expect(new Set([k('i', 's', 'x', 32), k('j', 's', 'x', 32), k('i', 't', 'x', 32), k('i', 's', 'y', 32), k('i', 's', 'x', 31).padEnd(64, '0')]).size).toBe(5)
  })

  test('createCheapCrypto — verify refuses keys and signatures of the wrong size; AEAD refuses input shorter than its tag', () => {
    const secret = new Uint8Array(32).fill(9)
    const message = bytes('m')
    const signature = crypto.ed25519Sign(secret, message)
    const key = crypto.ed25519PublicKey(secret)
    expect(crypto.ed25519Verify(key, message, signature)).toBe(true)
    expect(crypto.ed25519Verify(key.subarray(0, 31), message, signature)).toBe(false)
    expect(crypto.ed25519Verify(Uint8Array.from([...key, 0]), message, signature)).toBe(false)
    expect(crypto.ed25519Verify(key, message, signature.subarray(0, 63))).toBe(false)
    expect(crypto.ed25519Verify(key, message, Uint8Array.from([...signature, 0]))).toBe(false)
    const nonce = new Uint8Array(12)
    const sealed = crypto.aeadEncrypt(key, nonce, new Uint8Array(0), new Uint8Array(0))
    expect(sealed.length).toBe(16)
    expect(crypto.aeadDecrypt(key, nonce, sealed, new Uint8Array(0))).toEqual(new Uint8Array(0))
    expect(crypto.aeadDecrypt(key, nonce, sealed.subarray(0, 15), new Uint8Array(0))).toBeNull()
  })

  test('createCheapCrypto — the keystream of any length is a prefix of a longer one, and differs by key and nonce', () => {
    const key = new Uint8Array(32).fill(4)
    const nonce = new Uint8Array(12).fill(5)
    const zeros = new Uint8Array(9)
    const longest = crypto.aeadEncrypt(key, nonce, zeros, new Uint8Array(0)).subarray(0, 9)
    for (let n = 1; n < 9; n++) expect(crypto.aeadEncrypt(key, nonce, zeros.subarray(0, n), new Uint8Array(0)).subarray(0, n)).toEqual(longest.subarray(0, n))
    // …and depends on the key and the nonce.
    expect(crypto.aeadEncrypt(new Uint8Array(32).fill(6), nonce, zeros, new Uint8Array(0)).subarray(0, 9)).not.toEqual(longest)
    expect(crypto.aeadEncrypt(key, new Uint8Array(12).fill(7), zeros, new Uint8Array(0)).subarray(0, 9)).not.toEqual(longest)
  })
})
