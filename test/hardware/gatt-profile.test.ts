import { describe, expect, test } from 'vitest'
import { libraryUuid, MESH_CHARACTERISTIC, MESH_SERVICE, normalizeAddress } from '../../hardware/gatt-profile.js'

describe('gatt profile', () => {
  test('gatt profile — the UUIDs are Bitchat release builds\', in the libraries\' lowercase undashed form', () => {
    expect(MESH_SERVICE).toBe('f47b5e2d4a9e4c5a9b3f8e1d2c3a4b5c')
    expect(MESH_CHARACTERISTIC).toBe('a1b2c3d4e5f64a5b8c9d0e1f2a3b4c5d')
    expect(libraryUuid('F47B5E2D-4A9E-4C5A-9B3F-8E1D2C3A4B5A')).toBe('f47b5e2d4a9e4c5a9b3f8e1d2c3a4b5a')
  })

  test.each([
    ['00:AA:01:00:00:42', '00:aa:01:00:00:42'],
    ['00aa01000042', '00:aa:01:00:00:42'],
    ['00-aa-01-00-00-42', '00:aa:01:00:00:42'],
    // macOS gives CoreBluetooth UUIDs, not addresses: kept (lowercased) as they are.
    ['6A2B0F6E-0C8B-4F0E-9E53-1B7A3B1C2D3E', '6a2b0f6e-0c8b-4f0e-9e53-1b7a3b1c2d3e'],
  ])('gatt profile — normalizeAddress(%s) is %s', (input, expected) => {
    expect(normalizeAddress(input)).toBe(expected)
  })
})
