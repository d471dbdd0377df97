import { describe, expect, test } from 'vitest'
import { attemptLossProbability, DEFAULT_RADIO, effectiveCoverageArea, LINK_GATE_DBM, maxLinkRange, meanRssiDbm, pairRssiDbm, pairShadowingDb, rangeAtDbm } from '../../simulator/radio.js'

describe('radio', () => {
  test.each([
    [0.5, -59],
    [1, -59],
    [10, -86],
    [100, -113],
  ])('meanRssiDbm — %s m gives %s dBm (−59 dBm at 1 m, exponent 2.7)', (d, rssi) => {
    expect(meanRssiDbm(DEFAULT_RADIO, d)).toBeCloseTo(rssi, 6)
  })

  test('rangeAtDbm — the −90 dBm gate sits at 10^(31/27) ≈ 14.1 m', () => {
    expect(LINK_GATE_DBM).toBe(-90)
    expect(rangeAtDbm(DEFAULT_RADIO, -90)).toBeCloseTo(14.065, 3)
    expect(meanRssiDbm(DEFAULT_RADIO, rangeAtDbm(DEFAULT_RADIO, -90))).toBeCloseTo(-90, 9)
  })

  test('pairShadowingDb — symmetric, fixed per seed, about N(0, 4 dB) over many pairs', () => {
    expect(pairShadowingDb(DEFAULT_RADIO, 7, 3, 9)).toBe(pairShadowingDb(DEFAULT_RADIO, 7, 9, 3))
    expect(pairShadowingDb(DEFAULT_RADIO, 7, 3, 9)).not.toBe(pairShadowingDb(DEFAULT_RADIO, 8, 3, 9))
    let sum = 0; let sq = 0; let n = 0
    for (let i = 0; i < 300; i++) {
      for (let j = i + 1; j < 300; j++) {
        const s = pairShadowingDb(DEFAULT_RADIO, 1, i, j)
        expect(Math.abs(s)).toBeLessThanOrEqual(16)
        sum += s; sq += s * s; n++
      }
    }
    const mean = sum / n
    expect(Math.abs(mean)).toBeLessThan(0.1)
    expect(Math.sqrt(sq / n - mean * mean)).toBeCloseTo(4, 0)
  })

  test('pairRssiDbm — no pair beyond maxLinkRange reaches the gate', () => {
    const far = maxLinkRange(DEFAULT_RADIO) * 1.0001
    for (let i = 0; i < 2000; i++) expect(pairRssiDbm(DEFAULT_RADIO, 3, i, i + 1, far)).toBeLessThan(LINK_GATE_DBM)
  })

  test('effectiveCoverageArea — matches the share of pairs above the gate in a Monte Carlo disc', () => {
    const R = maxLinkRange(DEFAULT_RADIO)
    let heard = 0
    const samples = 200_000
    for (let k = 0; k < samples; k++) {
      // Uniform point in the disc of radius R, one pair per point.
      const r = R * Math.sqrt((k + 0.5) / samples)
      if (pairRssiDbm(DEFAULT_RADIO, 11, 0, k + 1, r) >= LINK_GATE_DBM) heard++
    }
    const area = heard / samples * Math.PI * R * R
    expect(area / effectiveCoverageArea(DEFAULT_RADIO)).toBeGreaterThan(0.95)
    expect(area / effectiveCoverageArea(DEFAULT_RADIO)).toBeLessThan(1.05)
  })

  test('attemptLossProbability — one half at −95 dBm, under 8 % at the gate, rising as RSSI falls', () => {
    expect(attemptLossProbability(DEFAULT_RADIO, -95)).toBeCloseTo(0.5, 9)
    expect(attemptLossProbability(DEFAULT_RADIO, -90)).toBeLessThan(0.08)
    expect(attemptLossProbability(DEFAULT_RADIO, -60)).toBeLessThan(1e-6)
    let last = 0
    for (let rssi = -50; rssi >= -110; rssi -= 5) {
      const p = attemptLossProbability(DEFAULT_RADIO, rssi)
      expect(p).toBeGreaterThan(last)
      last = p
    }
    expect(attemptLossProbability({ ...DEFAULT_RADIO, extraLoss: 0.1 }, -60)).toBeCloseTo(0.1, 5)
  })

  test('pairShadowingDb — clamped at ±4σ: over enough pairs both extremes occur, exactly', () => {
    let low = 0
    let high = 0
    let largest = 0
    for (let j = 1; j < 400_000; j++) {
      const s = pairShadowingDb(DEFAULT_RADIO, 5, 0, j)
      if (s === -16) low++
      if (s === 16) high++
      if (Math.abs(s) > largest) largest = Math.abs(s)
    }
    expect([low > 0, high > 0, largest]).toEqual([true, true, 16])
  })

  test('pairRssiDbm — the mean at that distance plus the pair\'s shadowing', () => {
    for (const [i, j, d] of [[1, 2, 5], [40, 3, 12.5], [7, 8, 0.2]] as const) {
      expect(pairRssiDbm(DEFAULT_RADIO, 9, i, j, d)).toBe(meanRssiDbm(DEFAULT_RADIO, d) + pairShadowingDb(DEFAULT_RADIO, 9, i, j))
    }
    expect(pairShadowingDb(DEFAULT_RADIO, 9, 1, 2)).not.toBe(0)
  })

  test.each([
    ['−90 dBm, the gate: 5 dB above half loss over a 2 dB slope', -90, 0, 1 / (1 + Math.exp(2.5))],
    ['−97 dBm', -97, 0, 1 / (1 + Math.exp(-1))],
    ['−95 dBm with 10 % extra loss: 1 − 0.5 · 0.9', -95, 0.1, 0.55],
  ])('attemptLossProbability — %s', (_, rssi, extraLoss, p) => {
    expect(attemptLossProbability({ ...DEFAULT_RADIO, extraLoss }, rssi)).toBeCloseTo(p, 12)
  })
})
