// The one error that untrusted bytes may raise. Callers at the network edge catch it, count it and drop.

/** Thrown when bytes from the air do not decode; `field` names what failed (for counters and `blemesh wire`). */
export class DecodeError extends Error {
  override readonly name = 'DecodeError'
  constructor (readonly field: string, message: string) {
    super(`${field}: ${message}`)
  }
}
