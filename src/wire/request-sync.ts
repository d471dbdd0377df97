// REQUEST_SYNC (0x21) payload: TLV with 1-byte type and 2-byte big-endian length (bitchat-protocol.md §7.3).
// Carries a Golomb-Rice coded set of packet IDs the requester already has (the GCS filter is opaque here).
import { DecodeError } from './decode-error.js'
import { bytesToHex, hexToBytes } from './hex.js'
import { ByteReader, ByteWriter } from './reader.js'
import { decodeUtf8OrNull, encodeUtf8 } from './utf8.js'

export const RequestSyncTlv = { p: 0x01, m: 0x02, filter: 0x03, types: 0x04, since: 0x05, fragmentIds: 0x06 } as const
/** [iOS] RequestSyncPacket.decode `maxAcceptBytes`: filters (and the 0x06 string) above this are refused. */
export const MAX_SYNC_FILTER_BYTES = 1024
/** [iOS] GCSFilter.maxP: Golomb-Rice parameter range accepted. */
export const MIN_SYNC_P = 1
export const MAX_SYNC_P = 32
/** [iOS] SyncTypeFlags: the types bitfield is 1–8 little-endian bytes. */
export const MAX_SYNC_TYPES_BYTES = 8
/** [iOS] RequestSyncPacket.maxFragmentIdFilterCount: 60 × 17 − 1 = 1019 bytes fits the 1024 cap. */
export const MAX_SYNC_FRAGMENT_IDS = 60
const FRAGMENT_ID_HEX_CHARS = 16

export interface RequestSync {
  /** Golomb-Rice parameter, 1..32. */
  p: number
  /** Hash range N·2^P, > 0. */
  m: number
  /** GCS bit stream, MSB first. */
  filter: Uint8Array
  /** Bit i covers a message type (bit0 announce … bit7 fileTransfer, §7.3); null when absent. */
  types: number | null
  /** Coverage cursor, ms since epoch; null when absent. */
  since: bigint | null
  /** 8-byte fragment stream IDs restricting the fragment diff; null when absent. */
  fragmentIds: Uint8Array[] | null
}

/** Minimal little-endian bytes, at least one: the phones' canonical SyncTypeFlags encoding. */
function typesBytes (types: number): Uint8Array {
  const out: number[] = []
  let v = types
  do { out.push(v % 256); v = Math.floor(v / 256) } while (v > 0)
  return Uint8Array.from(out)
}

export function encodeRequestSync (req: RequestSync): Uint8Array {
  if (!Number.isInteger(req.p) || req.p < MIN_SYNC_P || req.p > MAX_SYNC_P) throw new Error(`p: must be ${MIN_SYNC_P}..${MAX_SYNC_P}`)
  if (!Number.isInteger(req.m) || req.m <= 0 || req.m > 0xffff_ffff) throw new Error('m: must be 1..2^32-1')
  if (req.filter.length > MAX_SYNC_FILTER_BYTES) throw new Error(`filter: longer than ${MAX_SYNC_FILTER_BYTES} bytes`)
  if (req.types !== null && (!Number.isSafeInteger(req.types) || req.types < 0)) throw new Error('types: must be a non-negative safe integer')
  if (req.since !== null && (req.since < 0n || req.since > 0xffff_ffff_ffff_ffffn)) throw new Error('since: must fit 64 bits')
  const ids = req.fragmentIds
  if (ids !== null && ids.length > MAX_SYNC_FRAGMENT_IDS) throw new Error(`fragmentIds: at most ${MAX_SYNC_FRAGMENT_IDS}`)
  if (ids !== null && ids.some((id) => id.length !== 8)) throw new Error('fragmentIds: each must be 8 bytes')

  const types = req.types === null ? null : typesBytes(req.types)
  const idText = ids === null || ids.length === 0
    ? null
    : encodeUtf8(ids.map(bytesToHex).join(','))
  const size = 4 + 7 + 3 + req.filter.length +
    (types === null ? 0 : 3 + types.length) + (req.since === null ? 0 : 11) + (idText === null ? 0 : 3 + idText.length)
  const w = new ByteWriter(size)
  w.u8(RequestSyncTlv.p); w.u16(1); w.u8(req.p)
  w.u8(RequestSyncTlv.m); w.u16(4); w.u32(req.m)
  w.u8(RequestSyncTlv.filter); w.u16(req.filter.length); w.write(req.filter)
  if (types !== null) { w.u8(RequestSyncTlv.types); w.u16(types.length); w.write(types) }
  if (req.since !== null) { w.u8(RequestSyncTlv.since); w.u16(8); w.u64(req.since) }
  if (idText !== null) { w.u8(RequestSyncTlv.fragmentIds); w.u16(idText.length); w.write(idText) }
  return w.finish()
}

/**
 * Decodes like [iOS] RequestSyncPacket.decode: unknown TLVs and malformed optional ones are skipped, a
 * repeated TLV keeps the last value, one or two dangling bytes are ignored; P, M and the filter are
 * required, with P in 1..32, M > 0 and the filter at most 1024 bytes.
 */
export function decodeRequestSync (payload: Uint8Array): RequestSync {
  const r = new ByteReader(payload)
  let p: number | null = null
  let m: number | null = null
  let filter: Uint8Array | null = null
  let types: number | null = null
  let since: bigint | null = null
  let fragmentIds: Uint8Array[] | null = null
  while (r.remaining >= 3) {
    const type = r.u8('tlvType')
    const length = r.u16('tlvLength')
    const v = r.bytes(length, tlvField(type))
    switch (type) {
      case RequestSyncTlv.p: if (length === 1) p = v[0]!; break
      case RequestSyncTlv.m: if (length === 4) m = new ByteReader(v).u32('m'); break
      case RequestSyncTlv.filter:
        if (length > MAX_SYNC_FILTER_BYTES) throw new DecodeError('filter', `${length} bytes exceeds ${MAX_SYNC_FILTER_BYTES}`)
        filter = v
        break
      case RequestSyncTlv.types:
        if (length >= 1 && length <= MAX_SYNC_TYPES_BYTES) {
          let value = 0
          for (let i = length - 1; i >= 0; i--) value = value * 256 + v[i]!
          // Bits above 2^53 name no message type; treat the field as malformed, as a phone would an odd length.
          if (Number.isSafeInteger(value)) types = value
        }
        break
      case RequestSyncTlv.since: if (length === 8) since = new ByteReader(v).u64('since'); break
      case RequestSyncTlv.fragmentIds:
        if (length <= MAX_SYNC_FILTER_BYTES) {
          const text = decodeUtf8OrNull(v)
          if (text !== null) fragmentIds = parseFragmentIds(text)
        }
        break
      default: break
    }
  }
  if (p === null) throw new DecodeError('p', 'missing')
  if (m === null) throw new DecodeError('m', 'missing')
  if (filter === null) throw new DecodeError('filter', 'missing')
  if (p < MIN_SYNC_P || p > MAX_SYNC_P) throw new DecodeError('p', `${p} outside ${MIN_SYNC_P}..${MAX_SYNC_P}`)
  if (m === 0) throw new DecodeError('m', 'zero')
  return { p, m, filter, types, since, fragmentIds }
}

/** [iOS] decodeFragmentIdFilter: first 60 comma-separated tokens, malformed ones skipped, duplicates dropped. */
function parseFragmentIds (text: string): Uint8Array[] | null {
  const ids: Uint8Array[] = []
  const seen = new Set<string>()
  for (const token of text.split(',').slice(0, MAX_SYNC_FRAGMENT_IDS)) {
    if (token.length !== FRAGMENT_ID_HEX_CHARS) continue
    const id = hexToBytes(token)
    if (id === null) continue
    const key = token.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    ids.push(id)
  }
  return ids.length === 0 ? null : ids
}

function tlvField (type: number): string {
  switch (type) {
    case RequestSyncTlv.p: return 'p'
    case RequestSyncTlv.m: return 'm'
    case RequestSyncTlv.filter: return 'filter'
    case RequestSyncTlv.types: return 'types'
    case RequestSyncTlv.since: return 'since'
    case RequestSyncTlv.fragmentIds: return 'fragmentIds'
    default: return 'unknownTlv'
  }
}
