// fast-check settings and helpers shared by the wire tests: a fixed seed from BLEMESH_SEED when set (to
// replay a failure), else fast-check's own seed, which it prints on failure.
import fc from 'fast-check'
import { DecodeError } from '../../src/wire/decode-error.js'

export function fcOptions (numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.BLEMESH_SEED
  return seed === undefined ? { numRuns } : { numRuns, seed: Number(seed) }
}

export function hex (s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
}

export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
}

export const bytes8 = fc.uint8Array({ minLength: 8, maxLength: 8 })

/** The field a decoder's DecodeError names; anything else thrown, or nothing, fails the test. */
export function decodeErrorField (fn: () => unknown): string {
  try { fn() } catch (e) {
    if (e instanceof DecodeError) return e.field
    throw e
  }
  throw new Error('did not throw')
}
