// Shared by the crypto tests: hex, fixtures, and fast-check settings (BLEMESH_SEED replays a failure;
// otherwise fast-check picks a seed and prints it when a property fails).
import { readFileSync } from 'node:fs'
import type fc from 'fast-check'

export function fcOptions (numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.BLEMESH_SEED
  return seed === undefined ? { numRuns } : { numRuns, seed: Number(seed) }
}

export function hex (s: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(s)) throw new Error(`not lowercase hex: ${s.slice(0, 20)}…`)
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
}

export function readFixture<T> (name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/crypto/${name}`, import.meta.url), 'utf8')) as T
}

/** A copy of `bytes` with bit `bit` (0 = MSB of byte 0) inverted. */
export function flipBit (bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice()
  out[bit >> 3]! ^= 0x80 >> (bit & 7)
  return out
}

export interface SpeccheckCase { index: number, label: string, message: string, publicKey: string, signature: string, strictAccepts: boolean }

export interface RfcVectors {
  sha256: { cases: Array<{ message: string, digest: string }> }
  hmacSha256: { cases: Array<{ name: string, key: string, data: string, mac: string }> }
  hkdfSha256: { cases: Array<{ name: string, ikm: string, salt: string, info: string, length: number, okm: string }> }
  x25519: {
    scalarMult: Array<{ scalar: string, u: string, out: string }>
    diffieHellman: { alicePrivate: string, alicePublic: string, bobPrivate: string, bobPublic: string, shared: string }
  }
  chacha20poly1305: { cases: Array<{ key: string, nonce: string, ad: string, plaintext: string, ciphertext: string, tag: string }> }
  ed25519: { cases: Array<{ name: string, secretKey: string, publicKey: string, message: string, signature: string }> }
}

/**
 * X25519 public values of small order (RFC 7748 §7 / the list libsodium and Noise implementations reject):
 * 0, 1, the two points of order 8, p − 1, p, p + 1 — and the same with bit 255 set, which X25519 masks.
 */
export const X25519_LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].flatMap((h) => [h, h.slice(0, 62) + (parseInt(h.slice(62), 16) | 0x80).toString(16)])
