// Bitchat's GATT shape: one primary service holding one characteristic used in both directions (the
// central writes without response, the peripheral notifies). Research: bitchat-protocol.md §1.

/** [iOS] BLEService.swift L187-189, [AND] AppConstants.kt `Mesh.Gatt.SERVICE_UUID` (release builds). */
export const MESH_SERVICE_UUID = 'F47B5E2D-4A9E-4C5A-9B3F-8E1D2C3A4B5C'
/** The only characteristic; same files. */
export const MESH_CHARACTERISTIC_UUID = 'A1B2C3D4-E5F6-4A5B-8C9D-0E1F2A3B4C5D'

/** Both libraries report and accept UUIDs in lowercase without dashes. */
export function libraryUuid (uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase()
}

export const MESH_SERVICE = libraryUuid(MESH_SERVICE_UUID)
export const MESH_CHARACTERISTIC = libraryUuid(MESH_CHARACTERISTIC_UUID)

/** [iOS] BLEService+LinkLayerPeripheralRole.swift L37-42: notify, write, writeWithoutResponse, read. */
export const MESH_CHARACTERISTIC_PROPERTIES = ['read', 'write', 'writeWithoutResponse', 'notify'] as const

/** The ATT header a write command or notification spends of the MTU (opcode + handle), Core Vol 3 Part F §3.4. */
export const ATT_HEADER_BYTES = 3
/** The smallest ATT MTU, Core Vol 3 Part F §3.2.8; the fallback when the exchange never happened. */
export const ATT_DEFAULT_MTU = 23
/** The largest ATT MTU (Core Vol 3 Part F §3.2.9): what our central asks for and our server grants. */
export const ATT_MAX_MTU = 517

/** Addresses as both libraries print them on Linux: lowercase, colon separated. */
export function normalizeAddress (address: string): string {
  const hex = address.replaceAll(/[:-]/g, '').toLowerCase()
  if (!/^[0-9a-f]{12}$/.test(hex)) return address.toLowerCase()
  return hex.match(/../g)!.join(':')
}
