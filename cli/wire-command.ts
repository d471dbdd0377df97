// `blemesh wire`: decode Bitchat frames to one line of JSON and build frames from JSON, for debugging
// interop with the phones. decode prints what the codec sees; encode writes exactly what the JSON says
// (never compresses). Exit codes: 0 ok, 1 usage error, 2 malformed input (one stderr line naming the field).
import { type Announce, capabilityBits, decodeAnnounce, encodeAnnounce } from '../src/wire/announce.js'
import { compressedOriginalSize } from '../src/wire/compression.js'
import { DecodeError } from '../src/wire/decode-error.js'
import { type FilePacket, decodeFile, encodeFile } from '../src/wire/file.js'
import { type Fragment, decodeFragment, encodeFragment } from '../src/wire/fragment.js'
import { bytesToHex, hexToBytes } from '../src/wire/hex.js'
import { type NoisePayload, NoisePayloadType, decodeNoisePayload, encodeNoisePayload } from '../src/wire/noise-payload.js'
import { decodePacket, encodePacket } from '../src/wire/packet.js'
import { padFrame } from '../src/wire/padding.js'
import { MessageType, type Packet } from '../src/wire/packet-types.js'
import { type PrivateMessage, decodePrivateMessage, encodePrivateMessage } from '../src/wire/private-message.js'
import { type RequestSync, decodeRequestSync, encodeRequestSync } from '../src/wire/request-sync.js'

export interface WireIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  readStdin: () => Promise<string>
}

const processIO: WireIO = {
  stdout: (text) => { process.stdout.write(text) },
  stderr: (text) => { process.stderr.write(text) },
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
}

const USAGE = `usage: blemesh wire decode <kind> <hex>
       blemesh wire encode <kind> <json|-> [--pad]

kinds: packet (a whole frame), announce, fragment, request-sync, file, private-message, noise-payload
       (every kind but packet takes the bare payload bytes of that format)

decode prints one JSON object on one line; encode prints lowercase hex of the unpadded frame
(--pad, packet only: PKCS#7 padding to the 256/512/1024/2048 bucket). encode never compresses.
Bytes are hex strings; timestamps and 'since' are decimal strings. encode(decode(x)) reproduces x.
exit codes: 0 ok, 1 usage error, 2 malformed input (the field is named on stderr)
`

/** Malformed user input: exit 2 with the field named. */
class InputError extends Error {
  constructor (readonly field: string, message: string) { super(`${field}: ${message}`) }
}

type Json = Record<string, unknown>

interface Kind {
  decode: (bytes: Uint8Array) => Json
  encode: (json: Json) => Uint8Array
}

// ---- JSON field readers (each names the field it fails on) ----

function hexField (value: unknown, field: string, length?: number): Uint8Array {
  if (typeof value !== 'string') throw new InputError(field, 'expected a hex string')
  const bytes = hexToBytes(value)
  if (bytes === null) throw new InputError(field, 'not an even-length hex string')
  if (length !== undefined && bytes.length !== length) throw new InputError(field, `expected ${length} bytes, got ${bytes.length}`)
  return bytes
}

function nullableHex (value: unknown, field: string, length?: number): Uint8Array | null {
  return value === null || value === undefined ? null : hexField(value, field, length)
}

function intField (value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(field, `expected an integer in ${min}..${max}`)
  }
  return value
}

function boolField (value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new InputError(field, 'expected true or false')
  return value
}

function stringField (value: unknown, field: string): string {
  if (typeof value !== 'string') throw new InputError(field, 'expected a string')
  return value
}

function nullableString (value: unknown, field: string): string | null {
  return value === null || value === undefined ? null : stringField(value, field)
}

function u64Field (value: unknown, field: string): bigint {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value
  if (typeof text !== 'string' || !/^[0-9]+$/.test(text)) throw new InputError(field, 'expected a decimal string')
  const n = BigInt(text)
  if (n > 0xffff_ffff_ffff_ffffn) throw new InputError(field, 'does not fit 64 bits')
  return n
}

function arrayField (value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new InputError(field, 'expected an array')
  return value
}

// ---- kinds ----

const TYPE_NAMES = new Map<number, string>(Object.entries(MessageType).map(([name, code]) => [code, name]))
const NOISE_TYPE_NAMES = new Map<number, string>(Object.entries(NoisePayloadType).map(([name, code]) => [code, name]))

const packetKind: Kind = {
  decode (bytes) {
    const p = decodePacket(bytes)
    const json: Json = {
      version: p.version,
      type: p.type,
      ...(TYPE_NAMES.has(p.type) ? { typeName: TYPE_NAMES.get(p.type) } : {}),
      ttl: p.ttl,
      timestamp: p.timestamp.toString(),
      senderId: bytesToHex(p.senderId),
      recipientId: p.recipientId === null ? null : bytesToHex(p.recipientId),
      route: p.route.map(bytesToHex),
      payload: bytesToHex(p.payload),
      isCompressed: p.isCompressed,
    }
    if (p.isCompressed) json.originalSize = compressedOriginalSize(p)
    json.isRSR = p.isRSR
    json.signature = p.signature === null ? null : bytesToHex(p.signature)
    if (p.extraFlags !== undefined) json.extraFlags = p.extraFlags
    return json
  },
  encode (j) {
    const version = intField(j.version, 'version', 1, 2) as 1 | 2
    const payload = hexField(j.payload, 'payload')
    const isCompressed = boolField(j.isCompressed, 'isCompressed')
    const route = arrayField(j.route ?? [], 'route').map((h) => hexField(h, 'route', 8))
    if (version === 1 && route.length > 0) throw new InputError('route', 'a route needs version 2')
    if (route.length > 255) throw new InputError('route', 'at most 255 hops')
    if (payload.length > (version === 2 ? 0xffff_ffff : 0xffff)) throw new InputError('payload', `too long for a v${version} length`)
    const packet: Packet = {
      version,
      type: intField(j.type, 'type', 0, 255),
      ttl: intField(j.ttl, 'ttl', 0, 255),
      timestamp: u64Field(j.timestamp, 'timestamp'),
      senderId: hexField(j.senderId, 'senderId', 8),
      recipientId: nullableHex(j.recipientId, 'recipientId', 8),
      route,
      payload,
      isCompressed,
      isRSR: boolField(j.isRSR ?? false, 'isRSR'),
      signature: nullableHex(j.signature, 'signature', 64),
    }
    if (isCompressed) {
      const declared = compressedOriginalSize(packet)
      if (declared === null) throw new InputError('payload', 'a compressed payload starts with its original size')
      if (j.originalSize !== undefined && j.originalSize !== declared) {
        throw new InputError('originalSize', `does not match the payload's size prefix (${declared})`)
      }
    }
    if (j.extraFlags !== undefined) {
      const extra = intField(j.extraFlags, 'extraFlags', 0, 255)
      if ((extra & ~0xe8) !== 0) throw new InputError('extraFlags', 'only bits 0x08 and 0xe0 are extra')
      if (extra !== 0) packet.extraFlags = extra
    }
    return encodePacket(packet)
  },
}

const announceKind: Kind = {
  decode (bytes) {
    const a = decodeAnnounce(bytes)
    const json: Json = {
      nickname: a.nickname,
      noisePublicKey: bytesToHex(a.noisePublicKey),
      signingPublicKey: bytesToHex(a.signingPublicKey),
      neighbors: a.neighbors.map(bytesToHex),
      capabilities: a.capabilities === null ? null : bytesToHex(a.capabilities),
    }
    if (a.capabilities !== null) json.capabilityBits = capabilityBits(a.capabilities)
    json.geohash = a.geohash
    json.unknown = a.unknown.map((u) => ({ type: u.type, value: bytesToHex(u.value) }))
    if (a.tlvOrder !== undefined) json.tlvOrder = a.tlvOrder
    return json
  },
  encode (j) {
    const a: Announce = {
      nickname: stringField(j.nickname, 'nickname'),
      noisePublicKey: hexField(j.noisePublicKey, 'noisePublicKey', 32),
      signingPublicKey: hexField(j.signingPublicKey, 'signingPublicKey', 32),
      neighbors: arrayField(j.neighbors ?? [], 'neighbors').map((h) => hexField(h, 'neighbors', 8)),
      capabilities: nullableHex(j.capabilities, 'capabilities'),
      geohash: nullableString(j.geohash, 'geohash'),
      unknown: arrayField(j.unknown ?? [], 'unknown').map((u) => {
        if (typeof u !== 'object' || u === null) throw new InputError('unknown', 'expected {type, value} objects')
        const o = u as Json
        return { type: intField(o.type, 'unknown', 7, 255), value: hexField(o.value, 'unknown') }
      }),
    }
    if (j.tlvOrder !== undefined) a.tlvOrder = arrayField(j.tlvOrder, 'tlvOrder').map((t) => intField(t, 'tlvOrder', 0, 255))
    return encodeAnnounce(a)
  },
}

const fragmentKind: Kind = {
  decode (bytes) {
    const f = decodeFragment(bytes)
    return { fragmentId: bytesToHex(f.fragmentId), index: f.index, total: f.total, originalType: f.originalType, data: bytesToHex(f.data) }
  },
  encode (j) {
    const f: Fragment = {
      fragmentId: hexField(j.fragmentId, 'fragmentId', 8),
      index: intField(j.index, 'index', 0, 0xffff),
      total: intField(j.total, 'total', 0, 0xffff),
      originalType: intField(j.originalType, 'originalType', 0, 255),
      data: hexField(j.data, 'data'),
    }
    return encodeFragment(f)
  },
}

const requestSyncKind: Kind = {
  decode (bytes) {
    const r = decodeRequestSync(bytes)
    const json: Json = { p: r.p, m: r.m, filter: bytesToHex(r.filter) }
    if (r.types !== null) json.types = r.types
    if (r.since !== null) json.since = r.since.toString()
    if (r.fragmentIds !== null) json.fragmentIds = r.fragmentIds.map(bytesToHex)
    return json
  },
  encode (j) {
    const r: RequestSync = {
      p: intField(j.p, 'p', 1, 32),
      m: intField(j.m, 'm', 1, 0xffff_ffff),
      filter: hexField(j.filter, 'filter'),
      types: j.types === undefined || j.types === null ? null : intField(j.types, 'types', 0, Number.MAX_SAFE_INTEGER),
      since: j.since === undefined || j.since === null ? null : u64Field(j.since, 'since'),
      fragmentIds: j.fragmentIds === undefined || j.fragmentIds === null
        ? null
        : arrayField(j.fragmentIds, 'fragmentIds').map((h) => hexField(h, 'fragmentIds', 8)),
    }
    return encodeRequestSync(r)
  },
}

const fileKind: Kind = {
  decode (bytes) {
    const f = decodeFile(bytes)
    return { fileName: f.fileName, fileSize: f.fileSize, mimeType: f.mimeType, content: bytesToHex(f.content) }
  },
  encode (j) {
    const f: FilePacket = {
      fileName: nullableString(j.fileName, 'fileName'),
      fileSize: intField(j.fileSize, 'fileSize', 0, Number.MAX_SAFE_INTEGER),
      mimeType: nullableString(j.mimeType, 'mimeType'),
      content: hexField(j.content, 'content'),
    }
    return encodeFile(f)
  },
}

const privateMessageKind: Kind = {
  decode (bytes) {
    const m = decodePrivateMessage(bytes)
    return { messageId: m.messageId, content: m.content }
  },
  encode (j) {
    const m: PrivateMessage = { messageId: stringField(j.messageId, 'messageId'), content: stringField(j.content, 'content') }
    return encodePrivateMessage(m)
  },
}

const noisePayloadKind: Kind = {
  decode (bytes) {
    const p = decodeNoisePayload(bytes)
    return { type: p.type, ...(NOISE_TYPE_NAMES.has(p.type) ? { typeName: NOISE_TYPE_NAMES.get(p.type) } : {}), data: bytesToHex(p.data) }
  },
  encode (j) {
    const p: NoisePayload = { type: intField(j.type, 'type', 0, 255), data: hexField(j.data, 'data') }
    return encodeNoisePayload(p)
  },
}

const KINDS: Record<string, Kind> = {
  packet: packetKind,
  announce: announceKind,
  fragment: fragmentKind,
  'request-sync': requestSyncKind,
  file: fileKind,
  'private-message': privateMessageKind,
  'noise-payload': noisePayloadKind,
}

// ---- command ----

function usageError (io: WireIO, message: string): number {
  io.stderr(`blemesh wire: ${message}\n${USAGE}`)
  return 1
}

/** One stderr line, "<field>: <reason>", so scripts can pick the field out. */
function malformed (io: WireIO, field: string, reason: string): number {
  const text = reason.startsWith(`${field}: `) ? reason : `${field}: ${reason}`
  io.stderr(`blemesh wire: malformed input: ${text.split('\n')[0]!}\n`)
  return 2
}

export async function run (argv: string[], io: WireIO = processIO): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help')) {
    io.stdout(USAGE)
    return 0
  }
  const pad = argv.includes('--pad')
  const positional = argv.filter((a) => a !== '--pad')
  const unknownOption = positional.find((a) => a.startsWith('--'))
  if (unknownOption !== undefined) return usageError(io, `unknown option ${unknownOption}`)
  const [action, kindName, input, ...extra] = positional
  if (action !== 'decode' && action !== 'encode') return usageError(io, action === undefined ? 'missing decode|encode' : `unknown action '${action}'`)
  if (kindName === undefined) return usageError(io, 'missing <kind>')
  const kind = Object.hasOwn(KINDS, kindName) ? KINDS[kindName] : undefined
  if (kind === undefined) return usageError(io, `unknown kind '${kindName}'`)
  if (input === undefined) return usageError(io, action === 'decode' ? 'missing <hex>' : 'missing <json|->')
  if (extra.length > 0) return usageError(io, `unexpected argument '${extra[0]!}'`)
  if (pad && (action !== 'encode' || kindName !== 'packet')) return usageError(io, '--pad applies to encode packet only')

  try {
    if (action === 'decode') {
      const cleaned = input.replace(/\s+/g, '').replace(/^0x/i, '')
      const bytes = hexToBytes(cleaned)
      if (bytes === null) return malformed(io, 'hex', 'not an even-length hex string')
      io.stdout(`${JSON.stringify(kind.decode(bytes))}\n`)
      return 0
    }
    const text = input === '-' ? await io.readStdin() : input
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (error) {
      return malformed(io, 'json', (error as Error).message)
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return malformed(io, 'json', 'expected a JSON object')
    let frame = kind.encode(json as Json)
    if (pad) frame = padFrame(frame)
    io.stdout(`${bytesToHex(frame)}\n`)
    return 0
  } catch (error) {
    if (error instanceof DecodeError || error instanceof InputError) return malformed(io, error.field, error.message)
    // Encoders reject values they cannot represent with "<field>: <reason>".
    if (error instanceof Error && action === 'encode') {
      const field = /^(\w+):/.exec(error.message)?.[1] ?? 'json'
      return malformed(io, field, error.message)
    }
    throw error
  }
}
