import { inflateRawSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { nodeDeflater } from '../../src/wire/node-deflater.js'
import { deflateSync } from 'node:zlib'

const text = new TextEncoder().encode('bitchat bitchat bitchat bitchat bitchat bitchat bitchat bitchat bitchat')

describe('nodeDeflater', () => {
  test('nodeDeflater — emits raw DEFLATE (no zlib header) that any inflater reads', () => {
    const body = nodeDeflater.deflateRaw(text)
    expect(body[0]).not.toBe(0x78)
    expect(new Uint8Array(inflateRawSync(body))).toEqual(text)
  })

  test('nodeDeflater — inflateRaw never returns more than maxOutputLength', () => {
    const body = nodeDeflater.deflateRaw(text)
    expect(nodeDeflater.inflateRaw(body, text.length)).toEqual(text)
    expect(() => nodeDeflater.inflateRaw(body, text.length - 1)).toThrow()
  })

  test('nodeDeflater — accepts a zlib-wrapped stream, as Android does', () => {
    const wrapped = new Uint8Array(deflateSync(text))
    expect(nodeDeflater.inflateRaw(wrapped, text.length)).toEqual(text)
  })

  test('nodeDeflater — a zlib-wrapped stream is capped at maxOutputLength too', () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(1_000_000)))
    expect(bomb[0]).toBe(0x78)
    expect(() => nodeDeflater.inflateRaw(bomb, 1000)).toThrow(/maxOutputLength|buffer/i)
  })

  test('nodeDeflater — garbage throws', () => {
    expect(() => nodeDeflater.inflateRaw(Uint8Array.from([0xff, 0xff, 0xff]), 100)).toThrow()
  })
})
