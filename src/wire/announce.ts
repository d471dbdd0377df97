// Announce payload: 1-byte type, 1-byte length TLVs (bitchat-protocol.md §5.1). Decoding keeps unknown
// TLVs and, when it is not the canonical one, the TLV order, so a decoded announce re-encodes byte for byte.
import { DecodeError } from './decode-error.js'
import { ByteReader, ByteWriter } from './reader.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

export const AnnounceTlv = {
  nickname: 0x01,
  noisePublicKey: 0x02,
  signingPublicKey: 0x03,
  neighbors: 0x04,
  capabilities: 0x05,
  geohash: 0x06,
} as const

/** Curve25519 and Ed25519 public keys are both 32 bytes. */
export const ANNOUNCE_KEY_BYTES = 32
/** A TLV value's length is one byte. */
export const MAX_ANNOUNCE_TLV_VALUE_BYTES = 255
/** [iOS] AnnouncementPacket.encode `neighbors.prefix(10)`: what we advertise. Decoding keeps all a TLV holds. */
export const MAX_ANNOUNCE_NEIGHBORS = 10
/** 255 / 8: the most neighbour IDs one TLV can hold; [iOS] decodes every whole 8-byte ID. */
export const MAX_NEIGHBORS_IN_TLV = Math.floor(MAX_ANNOUNCE_TLV_VALUE_BYTES / 8)
/** [iOS] AnnouncementPacket: a bridge geohash cell is at most 12 characters. */
export const MAX_GEOHASH_BYTES = 12

export interface UnknownTlv { type: number, value: Uint8Array }

export interface Announce {
  nickname: string
  noisePublicKey: Uint8Array
  signingPublicKey: Uint8Array
  /** Direct neighbours' 8-byte peer IDs; empty when the TLV is absent. */
  neighbors: Uint8Array[]
  /** Raw capabilities TLV value (little-endian bitfield), null when absent. See capabilityBits. */
  capabilities: Uint8Array | null
  geohash: string | null
  /** TLVs this codec does not interpret, in wire order. */
  unknown: UnknownTlv[]
  /** Wire order of the TLV types, kept only when it differs from canonicalAnnounceOrder. */
  tlvOrder?: number[]
}

function isKnown (type: number): boolean {
  return type >= AnnounceTlv.nickname && type <= AnnounceTlv.geohash
}

/**
 * Known TLVs in ascending type order, then the unknown ones: what both phones emit. `decodeAnnounce` tests
 * for this order as it reads rather than building it; the round-trip property tests hold the two together.
 */
export function canonicalAnnounceOrder (a: Announce): number[] {
  const order: number[] = [AnnounceTlv.nickname, AnnounceTlv.noisePublicKey, AnnounceTlv.signingPublicKey]
  if (a.neighbors.length > 0) order.push(AnnounceTlv.neighbors)
  if (a.capabilities !== null) order.push(AnnounceTlv.capabilities)
  if (a.geohash !== null) order.push(AnnounceTlv.geohash)
  for (const u of a.unknown) order.push(u.type)
  return order
}

export function encodeAnnounce (a: Announce): Uint8Array {
  const nickname = encodeUtf8(a.nickname)
  const geohash = a.geohash === null ? null : encodeUtf8(a.geohash)
  if (nickname.length > MAX_ANNOUNCE_TLV_VALUE_BYTES) throw new Error('nickname: longer than 255 UTF-8 bytes')
  if (a.noisePublicKey.length !== ANNOUNCE_KEY_BYTES) throw new Error('noisePublicKey: must be 32 bytes')
  if (a.signingPublicKey.length !== ANNOUNCE_KEY_BYTES) throw new Error('signingPublicKey: must be 32 bytes')
  if (a.neighbors.length > MAX_NEIGHBORS_IN_TLV) throw new Error(`neighbors: at most ${MAX_NEIGHBORS_IN_TLV}`)
  if (a.neighbors.some((n) => n.length !== 8)) throw new Error('neighbors: each must be 8 bytes')
  if (a.capabilities !== null && a.capabilities.length > MAX_ANNOUNCE_TLV_VALUE_BYTES) throw new Error('capabilities: longer than 255 bytes')
  if (geohash !== null && geohash.length > MAX_GEOHASH_BYTES) throw new Error('geohash: longer than 12 bytes')
  for (const u of a.unknown) {
    if (isKnown(u.type) || u.type < 0 || u.type > 0xff || !Number.isInteger(u.type)) throw new Error(`unknown: type ${u.type} is not an unknown TLV type`)
    if (u.value.length > MAX_ANNOUNCE_TLV_VALUE_BYTES) throw new Error('unknown: value longer than 255 bytes')
  }

  const order = a.tlvOrder ?? canonicalAnnounceOrder(a)
  const values: Uint8Array[] = []
  const emitted = new Set<number>()
  let nextUnknown = 0
  for (const type of order) {
    if (isKnown(type)) {
      if (emitted.has(type)) throw new Error(`tlvOrder: type ${type} twice`)
      emitted.add(type)
    }
    switch (type) {
      case AnnounceTlv.nickname: values.push(nickname); break
      case AnnounceTlv.noisePublicKey: values.push(a.noisePublicKey); break
      case AnnounceTlv.signingPublicKey: values.push(a.signingPublicKey); break
      case AnnounceTlv.neighbors: {
        if (a.neighbors.length === 0) throw new Error('tlvOrder: neighbors listed but empty')
        const joined = new Uint8Array(a.neighbors.length * 8)
        a.neighbors.forEach((n, i) => { joined.set(n, i * 8) })
        values.push(joined)
        break
      }
      case AnnounceTlv.capabilities:
        if (a.capabilities === null) throw new Error('tlvOrder: capabilities listed but null')
        values.push(a.capabilities)
        break
      case AnnounceTlv.geohash:
        if (geohash === null) throw new Error('tlvOrder: geohash listed but null')
        values.push(geohash)
        break
      default: {
        const u = a.unknown[nextUnknown++]
        if (u === undefined || u.type !== type) throw new Error(`tlvOrder: type ${type} does not match the unknown TLVs`)
        values.push(u.value)
      }
    }
  }
  const expected = canonicalAnnounceOrder(a)
  if (nextUnknown !== a.unknown.length || emitted.size !== expected.length - a.unknown.length) {
    throw new Error('tlvOrder: does not list every TLV exactly once')
  }

  let size = 0
  for (const v of values) size += 2 + v.length
  const w = new ByteWriter(size)
  order.forEach((type, i) => {
    const v = values[i]!
    w.u8(type)
    w.u8(v.length)
    w.write(v)
  })
  return w.finish()
}

/**
 * Decodes an announce. Like the phones: unknown TLVs are skipped (kept here), one dangling byte at the end
 * is ignored, and nickname and both keys are required. Stricter than the phones, so a decoded announce is
 * unambiguous: keys must be 32 bytes, a known TLV may appear once, neighbours must be whole 8-byte IDs.
 */
export function decodeAnnounce (payload: Uint8Array): Announce {
  const r = new ByteReader(payload)
  let nickname: string | null = null
  let noisePublicKey: Uint8Array | null = null
  let signingPublicKey: Uint8Array | null = null
  let neighbors: Uint8Array[] = []
  let capabilities: Uint8Array | null = null
  let geohash: string | null = null
  const unknown: UnknownTlv[] = []
  const order: number[] = []
  /** Bit t: known type t seen. */
  let seen = 0
  // Canonical (canonicalAnnounceOrder) exactly when the known types come in ascending order, all before
  // the first unknown one: then no tlvOrder is kept, and none is built to compare against.
  let lastKnown = 0
  let canonical = true

  while (r.remaining >= 2) {
    const type = r.u8('tlvType')
    const length = r.u8('tlvLength')
    if (isKnown(type)) {
      if ((seen & (1 << type)) !== 0) throw new DecodeError(fieldName(type), 'appears twice')
      seen |= 1 << type
      if (type < lastKnown || unknown.length > 0) canonical = false
      lastKnown = type
    }
    const value = r.bytes(length, isKnown(type) ? fieldName(type) : 'unknownTlv')
    order.push(type)
    switch (type) {
      case AnnounceTlv.nickname: nickname = decodeUtf8(value, 'nickname'); break
      case AnnounceTlv.noisePublicKey:
        if (length !== ANNOUNCE_KEY_BYTES) throw new DecodeError('noisePublicKey', `${length} bytes, expected 32`)
        noisePublicKey = value
        break
      case AnnounceTlv.signingPublicKey:
        if (length !== ANNOUNCE_KEY_BYTES) throw new DecodeError('signingPublicKey', `${length} bytes, expected 32`)
        signingPublicKey = value
        break
      case AnnounceTlv.neighbors:
        if (length === 0 || length % 8 !== 0) throw new DecodeError('neighbors', `${length} bytes is not whole 8-byte IDs`)
        neighbors = []
        for (let i = 0; i < length; i += 8) neighbors.push(value.subarray(i, i + 8))
        break
      case AnnounceTlv.capabilities: capabilities = value; break
      case AnnounceTlv.geohash:
        if (length > MAX_GEOHASH_BYTES) throw new DecodeError('geohash', `${length} bytes, max ${MAX_GEOHASH_BYTES}`)
        geohash = decodeUtf8(value, 'geohash')
        break
      default: unknown.push({ type, value })
    }
  }
  if (nickname === null) throw new DecodeError('nickname', 'missing')
  if (noisePublicKey === null) throw new DecodeError('noisePublicKey', 'missing')
  if (signingPublicKey === null) throw new DecodeError('signingPublicKey', 'missing')
  const announce: Announce = { nickname, noisePublicKey, signingPublicKey, neighbors, capabilities, geohash, unknown }
  if (!canonical) announce.tlvOrder = order
  return announce
}

function fieldName (type: number): string {
  switch (type) {
    case AnnounceTlv.nickname: return 'nickname'
    case AnnounceTlv.noisePublicKey: return 'noisePublicKey'
    case AnnounceTlv.signingPublicKey: return 'signingPublicKey'
    case AnnounceTlv.neighbors: return 'neighbors'
    case AnnounceTlv.capabilities: return 'capabilities'
    default: return 'geohash'
  }
}

/** Capability bits (§5.1; [iOS] BitFoundation/PeerCapabilities.swift, [AND] model/PeerCapabilities.kt). */
export const PeerCapability = {
  prekeys: 0,
  wifiBulk: 1,
  gateway: 2,
  groups: 3,
  board: 4,
  vouch: 5,
  meshDiagnostics: 6,
  bridge: 7,
  privateMedia: 8,
  privateMediaReceipts: 9,
  /**
   * Ours, not bitchat's: the sender relays every broadcast on all its links but those whose neighbour is
   * known to hold it (router.ts, two-hop skip). The phones keep bits they do not know ([AND]
   * IdentityAnnouncementTest "unknown bits kept", [iOS] PacketsTests raw capability bytes). Bit 15, well
   * above bitchat's reserved 10, makes a clash with a bit it assigns later unlikely; a phone never sets it.
   */
  fullFanout: 15,
} as const

/** Set bit positions of a raw little-endian capabilities value, ascending. Unknown bits are reported too. */
export function capabilityBits (raw: Uint8Array): number[] {
  const bits: number[] = []
  for (let i = 0; i < raw.length; i++) {
    for (let b = 0; b < 8; b++) if ((raw[i]! & (1 << b)) !== 0) bits.push(i * 8 + b)
  }
  return bits
}

export function hasCapability (raw: Uint8Array | null, bit: number): boolean {
  if (raw === null) return false
  const byte = raw[bit >> 3]
  return byte !== undefined && (byte & (1 << (bit & 7))) !== 0
}

/** Canonical encoding both phones emit: little-endian, minimal length, at least one byte (0x00 for none). */
export function capabilitiesFromBits (bits: Iterable<number>): Uint8Array {
  let top = -1
  const list = [...bits]
  for (const bit of list) {
    if (!Number.isInteger(bit) || bit < 0 || bit >= MAX_ANNOUNCE_TLV_VALUE_BYTES * 8) throw new Error(`capabilities: bad bit ${bit}`)
    if (bit > top) top = bit
  }
  const out = new Uint8Array(Math.max(1, (top >> 3) + 1))
  for (const bit of list) out[bit >> 3]! |= 1 << (bit & 7)
  return out
}
