// A fast, deterministic, NOT SECURE CryptoProvider for large simulated runs. Sizes are real (32-byte keys
// and hashes, 64-byte signatures, 16-byte AEAD tags) so frames are as long as on air, and a signature
// verifies only for the key and message it was made for, so acceptance is still decided by the same
// checks the real provider answers. Anyone holding a public key could forge here; nothing in a
// simulation is adversarial.
import type { Random } from '../src/clock.js'
import type { CryptoProvider } from '../src/crypto/provider.js'
import { mix32 } from './radio.js'

const HASH_BYTES = 32
const SIGNATURE_BYTES = 64
const TAG_BYTES = 16
const KEY_BYTES = 32

/** Domain tags so a hash of the same bytes for different purposes differs. */
const TAG_SHA = 0x5348
const TAG_HMAC = 0x484d
const TAG_X_PUB = 0x5850
const TAG_X_DH = 0x5844
const TAG_ED_PUB = 0x4550
const TAG_SIG = 0x5347
const TAG_STREAM = 0x5354
const TAG_AEAD = 0x4145

/** Two 32-bit lanes over the bytes (murmur3-style rounds), then expanded to `length` bytes. */
export function cheapHash (tag: number, parts: readonly Uint8Array[], length = HASH_BYTES): Uint8Array {
  start(tag)
  let total = 0
  for (const data of parts) {
    absorb(data)
    total += data.length
  }
  return squeeze(total, length)
}

/** `cheapHash(TAG_SHA, [data])` without the parts array. */
function cheapSha (data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_BYTES)
  cheapShaInto(data, 0, data.length, out)
  return out
}

/** `cheapSha` of `data[from, to)` into `out`: the router hashes every payload it receives, copies included. */
function cheapShaInto (data: Uint8Array, from: number, to: number, out: Uint8Array): void {
  start(TAG_SHA)
  absorb(data, from, to)
  squeezeInto(to - from, out)
}

/** The two lanes between `absorb` calls (one hash at a time: nothing here re-enters). */
const lanes = new Int32Array(2)

function start (tag: number): void {
  lanes[0] = 0x9747b28c ^ tag
  lanes[1] = 0x2d358dcc ^ Math.imul(tag, 0x85ebca6b)
}

/** Absorbs `data[from, to)` (all of it by default). */
function absorb (data: Uint8Array, from = 0, to = data.length): void {
  let h1 = lanes[0]!
  let h2 = lanes[1]!
  const n = to - from
  let i = from
  for (; i + 4 <= to; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h1 ^= k
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
    h2 = Math.imul(h2 ^ k, 0x01000193) + (h1 >>> 7) | 0
  }
  for (; i < to; i++) {
    h1 = Math.imul(h1 ^ data[i]!, 0x01000193)
    h2 = Math.imul(h2 + data[i]!, 0x85ebca6b) ^ (h2 >>> 15)
  }
  // Separate parts so (ab, c) and (a, bc) differ.
  lanes[0] = Math.imul(h1 ^ n, 0x9e3779b1)
  lanes[1] = h2
}

function squeeze (total: number, length: number): Uint8Array {
  return squeezeInto(total, new Uint8Array(length))
}

/** Expands the lanes into all of `out`. */
function squeezeInto (total: number, out: Uint8Array): Uint8Array {
  const h1 = lanes[0]! ^ total
  const h2 = lanes[1]! ^ total
  const length = out.length
  for (let w = 0; w * 4 < length; w++) {
    const v = mix32(h1 ^ Math.imul(w + 1, 0x9e3779b1)) ^ mix32(h2 + Math.imul(w + 1, 0x7feb352d))
    const base = w * 4
    out[base] = v & 0xff
    if (base + 1 < length) out[base + 1] = (v >>> 8) & 0xff
    if (base + 2 < length) out[base + 2] = (v >>> 16) & 0xff
    if (base + 3 < length) out[base + 3] = v >>> 24
  }
  return out
}

/** Where a verification puts the signature it expects: every announce and message received is verified. */
const expected = new Uint8Array(SIGNATURE_BYTES)

/** `equalBytes(cheapHash(TAG_SIG, [publicKey, message], SIGNATURE_BYTES), signature)` without allocating. */
function cheapVerify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  start(TAG_SIG)
  absorb(publicKey)
  absorb(message)
  return equalBytes(squeezeInto(publicKey.length + message.length, expected), signature)
}

function equalBytes (a: Uint8Array, b: Uint8Array, bOffset = 0, length = a.length): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[bOffset + i]) return false
  return true
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

function u32 (n: number): Uint8Array {
  return new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24])
}

/** `random` supplies randomBytes (a seeded stream in the simulator). */
export function createCheapCrypto (random: Random): CryptoProvider {
  const xPub = (secretKey: Uint8Array): Uint8Array => cheapHash(TAG_X_PUB, [secretKey])
  const edPub = (secretKey: Uint8Array): Uint8Array => cheapHash(TAG_ED_PUB, [secretKey])
  const keystream = (key: Uint8Array, nonce: Uint8Array, length: number): Uint8Array => cheapHash(TAG_STREAM, [key, nonce], length)
  return {
    name: 'cheap-sim',
    sha256: cheapSha,
    sha256Into: cheapShaInto,
    hmacSha256: (key, data) => cheapHash(TAG_HMAC, [key, data]),
    hkdfSha256 (ikm, salt, info, length) {
      const prk = cheapHash(TAG_HMAC, [salt, ikm])
      return cheapHash(TAG_HMAC, [prk, info, u32(length)], length)
    },
    x25519PublicKey: xPub,
    x25519 (secretKey, publicKey) {
      if (publicKey.every(b => b === 0)) throw new Error('x25519: low-order public key (all-zero shared secret)')
      // Symmetric in the two parties: both sides hash the same ordered pair of public keys.
      const mine = xPub(secretKey)
      const [lo, hi] = compareBytes(mine, publicKey) <= 0 ? [mine, publicKey] : [publicKey, mine]
      return cheapHash(TAG_X_DH, [lo, hi], KEY_BYTES)
    },
    ed25519PublicKey: edPub,
    ed25519Sign: (secretKey, message) => cheapHash(TAG_SIG, [edPub(secretKey), message], SIGNATURE_BYTES),
    ed25519Verify (publicKey, message, signature) {
      if (publicKey.length !== KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false
      return cheapVerify(publicKey, message, signature)
    },
    aeadEncrypt (key, nonce, plaintext, ad) {
      const out = new Uint8Array(plaintext.length + TAG_BYTES)
      const ks = keystream(key, nonce, plaintext.length)
      for (let i = 0; i < plaintext.length; i++) out[i] = plaintext[i]! ^ ks[i]!
      out.set(cheapHash(TAG_AEAD, [key, nonce, ad, out.subarray(0, plaintext.length)], TAG_BYTES), plaintext.length)
      return out
    },
    aeadDecrypt (key, nonce, ciphertext, ad) {
      if (ciphertext.length < TAG_BYTES) return null
      const body = ciphertext.subarray(0, ciphertext.length - TAG_BYTES)
      const tag = cheapHash(TAG_AEAD, [key, nonce, ad, body], TAG_BYTES)
      if (!equalBytes(tag, ciphertext, body.length, TAG_BYTES)) return null
      const ks = keystream(key, nonce, body.length)
      const out = new Uint8Array(body.length)
      for (let i = 0; i < body.length; i++) out[i] = body[i]! ^ ks[i]!
      return out
    },
    randomBytes: (length) => random.bytes(length),
  }
}
