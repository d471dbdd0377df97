// Fragment payload: the 13-byte header in front of each chunk of a large frame (bitchat-protocol.md §3).
import { DecodeError } from './decode-error.js'
import { ByteReader, ByteWriter } from './reader.js'

/** fragmentID(8) index(2) total(2) originalType(1): [iOS] BLEOutboundFragmentPlanner; [AND] FragmentPayload.HEADER_SIZE. */
export const FRAGMENT_HEADER_BYTES = 13
export const FRAGMENT_ID_BYTES = 8
/** Offset of originalType in the fragment header (after the ID, index and total). */
export const FRAGMENT_ORIGINAL_TYPE_AT = 12

export interface Fragment {
  /** Chosen by whoever cuts the frame (random on the phones, derived from the frame by ours); with the sender it keys the reassembly. */
  fragmentId: Uint8Array
  /** 0-based position of this chunk. */
  index: number
  total: number
  /** Type byte of the frame being carried. */
  originalType: number
  /** The chunk; a view into the decoded payload. */
  data: Uint8Array
}

export function encodeFragment (fragment: Fragment): Uint8Array {
  if (fragment.fragmentId.length !== FRAGMENT_ID_BYTES) throw new Error(`fragmentId must be ${FRAGMENT_ID_BYTES} bytes`)
  const w = new ByteWriter(FRAGMENT_HEADER_BYTES + fragment.data.length)
  w.write(fragment.fragmentId)
  w.u16(fragment.index)
  w.u16(fragment.total)
  w.u8(fragment.originalType)
  w.write(fragment.data)
  return w.finish()
}

/**
 * Decodes the header; the chunk is the rest of the payload (it may be empty). Counts are checked for
 * sense only (total ≥ 1, index < total): the reassembler applies each phone's caps (§3 table).
 */
export function decodeFragment (payload: Uint8Array): Fragment {
  const r = new ByteReader(payload)
  const fragmentId = r.bytes(FRAGMENT_ID_BYTES, 'fragmentId')
  const index = r.u16('index')
  const total = r.u16('total')
  const originalType = r.u8('originalType')
  if (total === 0) throw new DecodeError('total', 'zero fragments')
  if (index >= total) throw new DecodeError('index', `${index} is not below total ${total}`)
  return { fragmentId, index, total, originalType, data: r.rest() }
}
