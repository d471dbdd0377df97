// Strict UTF-8 for payload strings: invalid bytes are a DecodeError (not U+FFFD), and a leading BOM is
// kept so the string re-encodes to the same bytes.
import { DecodeError } from './decode-error.js'

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

export function decodeUtf8 (bytes: Uint8Array, field: string): string {
  try {
    return decoder.decode(bytes)
  } catch {
    throw new DecodeError(field, 'invalid UTF-8')
  }
}

/** Like decodeUtf8 but null for invalid bytes, for fields the phones drop rather than reject. */
export function decodeUtf8OrNull (bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes)
  } catch {
    return null
  }
}

export function encodeUtf8 (text: string): Uint8Array {
  return encoder.encode(text)
}
