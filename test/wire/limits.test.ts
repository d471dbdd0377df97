import { constants, deflateRawSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { IOS_MAX_PAYLOAD_BYTES, MAX_COMPRESSION_RATIO, MAX_PAYLOAD_BYTES } from '../../src/wire/limits.js'

describe('limits', () => {
  test('limits — the ratio cap sits above the best ratio DEFLATE reaches (zeros at level 9, 1032:1 bound)', () => {
    const zeros = new Uint8Array(MAX_PAYLOAD_BYTES)
    const body = deflateRawSync(zeros, { level: constants.Z_BEST_COMPRESSION })
    const ratio = zeros.length / body.length
    expect(ratio).toBeGreaterThan(1000) // a real bomb is close to the bound, so the cap is not loose
    expect(ratio).toBeLessThan(MAX_COMPRESSION_RATIO)
  })

  test('limits — the decoder ceiling accepts what both phones send', () => {
    expect(MAX_PAYLOAD_BYTES).toBeGreaterThanOrEqual(IOS_MAX_PAYLOAD_BYTES)
    expect(IOS_MAX_PAYLOAD_BYTES).toBe(1_179_760) // 1 MiB + 18 + 2×65 535 + 96, §2.1
  })
})
