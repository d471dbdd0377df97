// BitchatFilePacket: the payload of a public fileTransfer (0x22) and of a private file (Noise 0x20)
// (bitchat-protocol.md §8). TLV with 1-byte type and mixed length widths: 2 bytes, except content, whose
// 4-byte length falls back to 2 bytes for legacy senders.
import { DecodeError } from './decode-error.js'
import { MAX_PAYLOAD_BYTES } from './limits.js'
import { ByteReader, ByteWriter } from './reader.js'
import { decodeUtf8OrNull, encodeUtf8 } from './utf8.js'

export const FileTlv = { fileName: 0x01, fileSize: 0x02, mimeType: 0x03, content: 0x04 } as const
/** Largest file either phone sends: [AND] AppConstants.Media (~9.9 MB) is under our packet ceiling; iOS caps at 1 MiB. */
export const MAX_FILE_BYTES = MAX_PAYLOAD_BYTES
/** Name and MIME type lengths are 2 bytes. */
const MAX_SHORT_TLV_BYTES = 0xffff

export interface FilePacket {
  fileName: string | null
  /** Declared size; [iOS] uses the content length when the TLV is absent. */
  fileSize: number
  mimeType: string | null
  content: Uint8Array
}

/** The canonical form both phones emit: name?, size (4 bytes), mime?, content (4-byte length). */
export function encodeFile (file: FilePacket): Uint8Array {
  const name = file.fileName === null ? null : encodeUtf8(file.fileName)
  const mime = file.mimeType === null ? null : encodeUtf8(file.mimeType)
  if (name !== null && name.length > MAX_SHORT_TLV_BYTES) throw new Error('fileName: longer than 65535 UTF-8 bytes')
  if (mime !== null && mime.length > MAX_SHORT_TLV_BYTES) throw new Error('mimeType: longer than 65535 UTF-8 bytes')
  if (!Number.isInteger(file.fileSize) || file.fileSize < 0 || file.fileSize > MAX_FILE_BYTES) throw new Error(`fileSize: must be 0..${MAX_FILE_BYTES}`)
  if (file.content.length === 0) throw new Error('content: must not be empty')
  if (file.content.length > MAX_FILE_BYTES) throw new Error(`content: longer than ${MAX_FILE_BYTES} bytes`)
  const size = (name === null ? 0 : 3 + name.length) + 7 + (mime === null ? 0 : 3 + mime.length) + 5 + file.content.length
  const w = new ByteWriter(size)
  if (name !== null) { w.u8(FileTlv.fileName); w.u16(name.length); w.write(name) }
  w.u8(FileTlv.fileSize); w.u16(4); w.u32(file.fileSize)
  if (mime !== null) { w.u8(FileTlv.mimeType); w.u16(mime.length); w.write(mime) }
  w.u8(FileTlv.content); w.u32(file.content.length); w.write(file.content)
  return w.finish()
}

/**
 * Decodes like [iOS] BitchatFilePacket.decode: unknown TLVs skipped; a size TLV that is not 4 or 8 bytes is
 * ignored; invalid UTF-8 in name or MIME type drops that field; several content TLVs are concatenated;
 * content must be non-empty; anything over MAX_FILE_BYTES is rejected.
 */
export function decodeFile (payload: Uint8Array): FilePacket {
  const r = new ByteReader(payload)
  let fileName: string | null = null
  let fileSize: number | null = null
  let mimeType: string | null = null
  const chunks: Uint8Array[] = []
  let contentLength = 0
  while (r.remaining > 0) {
    const type = r.u8('tlvType')
    let length: number
    if (type === FileTlv.content) {
      // Canonical 4-byte length when it fits what is left, else the legacy 2-byte one.
      const canonical = r.peekU32()
      if (canonical !== null && canonical <= r.remaining - 4) length = r.u32('content')
      else length = r.u16('content')
    } else {
      length = r.u16(tlvField(type))
    }
    const value = r.bytes(length, tlvField(type))
    switch (type) {
      case FileTlv.fileName: fileName = decodeUtf8OrNull(value); break
      case FileTlv.fileSize:
        if (length === 4 || length === 8) {
          let size = 0
          for (const b of value) size = size * 256 + b
          if (size > MAX_FILE_BYTES) throw new DecodeError('fileSize', `${size} exceeds ${MAX_FILE_BYTES}`)
          fileSize = size
        }
        break
      case FileTlv.mimeType: mimeType = decodeUtf8OrNull(value); break
      case FileTlv.content:
        contentLength += length
        if (contentLength > MAX_FILE_BYTES) throw new DecodeError('content', `exceeds ${MAX_FILE_BYTES}`)
        chunks.push(value)
        break
      default: break
    }
  }
  if (contentLength === 0) throw new DecodeError('content', 'missing or empty')
  let content: Uint8Array
  if (chunks.length === 1) content = chunks[0]!
  else {
    content = new Uint8Array(contentLength)
    let at = 0
    for (const c of chunks) { content.set(c, at); at += c.length }
  }
  return { fileName, fileSize: fileSize ?? contentLength, mimeType, content }
}

function tlvField (type: number): string {
  switch (type) {
    case FileTlv.fileName: return 'fileName'
    case FileTlv.fileSize: return 'fileSize'
    case FileTlv.mimeType: return 'mimeType'
    case FileTlv.content: return 'content'
    default: return 'unknownTlv'
  }
}
