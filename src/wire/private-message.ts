// Private message inside a Noise payload of type 0x01 (bitchat-protocol.md §5.2): TLV with 1-byte type
// and 1-byte length, 0x00 message ID then 0x01 content, both UTF-8.
import { DecodeError } from './decode-error.js'
import { ByteReader, ByteWriter } from './reader.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

export const PrivateMessageTlv = { messageId: 0x00, content: 0x01 } as const
/** One length byte per TLV ([iOS] Packets.swift PrivateMessagePacket; [AND] PrivateMessagePacket.kt). */
export const MAX_PRIVATE_MESSAGE_FIELD_BYTES = 255

export interface PrivateMessage { messageId: string, content: string }

export function encodePrivateMessage (message: PrivateMessage): Uint8Array {
  const id = encodeUtf8(message.messageId)
  const content = encodeUtf8(message.content)
  if (id.length > MAX_PRIVATE_MESSAGE_FIELD_BYTES) throw new Error('messageId: longer than 255 UTF-8 bytes')
  if (content.length > MAX_PRIVATE_MESSAGE_FIELD_BYTES) throw new Error('content: longer than 255 UTF-8 bytes')
  const w = new ByteWriter(4 + id.length + content.length)
  w.u8(PrivateMessageTlv.messageId); w.u8(id.length); w.write(id)
  w.u8(PrivateMessageTlv.content); w.u8(content.length); w.write(content)
  return w.finish()
}

/**
 * Like [iOS] PrivateMessagePacket.decode: an unknown TLV type rejects the whole message, a repeated field
 * keeps the last value, one dangling byte at the end is ignored; both fields are required.
 */
export function decodePrivateMessage (payload: Uint8Array): PrivateMessage {
  const r = new ByteReader(payload)
  let messageId: string | null = null
  let content: string | null = null
  while (r.remaining >= 2) {
    const type = r.u8('tlvType')
    if (type === PrivateMessageTlv.messageId) {
      messageId = decodeUtf8(r.bytes(r.u8('messageId'), 'messageId'), 'messageId')
    } else if (type === PrivateMessageTlv.content) {
      content = decodeUtf8(r.bytes(r.u8('content'), 'content'), 'content')
    } else {
      throw new DecodeError('tlvType', `unknown private-message TLV 0x${type.toString(16)}`)
    }
  }
  if (messageId === null) throw new DecodeError('messageId', 'missing')
  if (content === null) throw new DecodeError('content', 'missing')
  return { messageId, content }
}
