import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type WireIO, run } from '../../cli/wire-command.js'
import { encodePacket } from '../../src/wire/packet.js'
import vectors from '../fixtures/wire/android-contract-vectors.json' with { type: 'json' }
import { packetArb } from '../wire/arbitraries.js'
import { fcOptions, toHex } from '../wire/fc.js'

interface Captured { code: number, out: string, err: string }

async function wire (argv: string[], stdin = ''): Promise<Captured> {
  let out = ''
  let err = ''
  const io: WireIO = { stdout: (t) => { out += t }, stderr: (t) => { err += t }, readStdin: async () => stdin }
  const code = await run(argv, io)
  return { code, out, err }
}

const v2Signed = vectors.packetV2RoutedSigned.hexWithoutSignature + '5a'.repeat(64)

describe('blemesh wire', () => {
  test.each([
    ['packet', vectors.packetV1.hex],
    ['packet', v2Signed],
    ['announce', vectors.announce.hex],
    ['fragment', vectors.fragment.hex],
    ['request-sync', vectors.requestSync.hex],
    ['file', vectors.file.hex],
    ['private-message', vectors.privateMessage.hex],
    ['noise-payload', vectors.privateMessage.noisePayloadHex],
  ])('blemesh wire — %s: decode prints one JSON line and encode reproduces the Android vector', async (kind, hex) => {
    const decoded = await wire(['decode', kind, hex])
    expect(decoded.code).toBe(0)
    expect(decoded.err).toBe('')
    expect(decoded.out.endsWith('\n')).toBe(true)
    expect(decoded.out.trimEnd().includes('\n')).toBe(false)
    const encoded = await wire(['encode', kind, decoded.out])
    expect(encoded).toEqual({ code: 0, out: `${hex}\n`, err: '' })
  })

  test('blemesh wire — packet JSON carries the spec fields, timestamps as decimal strings', async () => {
    const { out } = await wire(['decode', 'packet', v2Signed])
    const json = JSON.parse(out) as Record<string, unknown>
    expect(json).toMatchObject({
      version: 2, type: 0x11, ttl: 5, timestamp: '42', senderId: '0102030405060708', recipientId: '1112131415161718',
      route: ['2122232425262728', '3132333435363738'], payload: 'dead', isCompressed: false, isRSR: false, signature: '5a'.repeat(64),
    })
  })

  test('blemesh wire — a compressed packet shows its originalSize and re-encodes its wire bytes', async () => {
    const hex = '010207' + '0000000000000001' + '04' + '0005' + '1011121314151617' + '0064' + 'abcdef'
    const { out } = await wire(['decode', 'packet', hex])
    expect(JSON.parse(out)).toMatchObject({ isCompressed: true, originalSize: 100, payload: '0064abcdef' })
    expect((await wire(['encode', 'packet', out])).out).toBe(`${hex}\n`)
    const wrong = JSON.stringify({ ...JSON.parse(out), originalSize: 99 })
    expect((await wire(['encode', 'packet', wrong])).code).toBe(2)
  })

  test('blemesh wire — the 0x09 alias and a legacy file length re-encode in canonical form', async () => {
    const alias = await wire(['decode', 'noise-payload', '09cafe'])
    expect((await wire(['encode', 'noise-payload', alias.out])).out).toBe('20cafe\n')
    const legacy = await wire(['decode', 'file', '0400' + '02' + 'dead'])
    expect((await wire(['encode', 'file', legacy.out])).out).toBe('020004000000020400000002dead\n')
  })

  test('blemesh wire — encode reads JSON from stdin with -, and --pad pads the frame', async () => {
    const { out } = await wire(['decode', 'packet', vectors.packetV1.hex])
    expect((await wire(['encode', 'packet', '-'], out)).out).toBe(`${vectors.packetV1.hex}\n`)
    const padded = await wire(['encode', 'packet', '-', '--pad'], out)
    expect(padded.code).toBe(0)
    expect(padded.out.trimEnd().length).toBe(512)
    expect(padded.out.startsWith(vectors.packetV1.hex)).toBe(true)
  })

  test('blemesh wire — decode accepts a padded frame', async () => {
    const { out } = await wire(['decode', 'packet', vectors.packetV1.hex])
    const padded = (await wire(['encode', 'packet', out, '--pad'])).out.trim()
    expect((await wire(['decode', 'packet', padded])).out).toBe(out)
  })

  test.each([
    ['no arguments', []],
    ['unknown action', ['inspect', 'packet', '00']],
    ['missing kind', ['decode']],
    ['unknown kind', ['decode', 'bogus', '00']],
    ['a kind every object has', ['decode', 'constructor', '00']],
    ['missing hex', ['decode', 'packet']],
    ['extra argument', ['decode', 'packet', '00', '11']],
    ['unknown option', ['decode', 'packet', '00', '--fast']],
    ['--pad on decode', ['decode', 'packet', '00', '--pad']],
    ['--pad on a payload kind', ['encode', 'fragment', '{}', '--pad']],
  ])('blemesh wire — usage error: %s exits 1', async (_name, argv) => {
    const r = await wire(argv)
    expect(r.code).toBe(1)
    expect(r.out).toBe('')
    expect(r.err).toMatch(/usage: blemesh wire/)
  })

  test.each([
    ['odd-length hex', ['decode', 'packet', '012'], 'hex'],
    ['non-hex characters', ['decode', 'fragment', 'zz'], 'hex'],
    ['unsupported version', ['decode', 'packet', '03' + '00'.repeat(30)], 'version'],
    ['truncated frame', ['decode', 'packet', vectors.packetV1.hex.slice(0, -2)], 'payload'],
    ['short fragment', ['decode', 'fragment', '0001'], 'fragmentId'],
    ['announce without keys', ['decode', 'announce', '0103626f62'], 'noisePublicKey'],
    ['invalid JSON', ['encode', 'packet', '{nope'], 'json'],
    ['JSON that is not an object', ['encode', 'packet', '[1]'], 'json'],
    ['fragment ID of 1 byte', ['encode', 'fragment', JSON.stringify({ fragmentId: '00', index: 0, total: 1, originalType: 2, data: '' })], 'fragmentId'],
    ['timestamp as a float', ['encode', 'packet', JSON.stringify({ version: 1, type: 2, ttl: 7, timestamp: 1.5, senderId: '0102030405060708', recipientId: null, route: [], payload: '', isCompressed: false, isRSR: false, signature: null })], 'timestamp'],
    ['route on v1', ['encode', 'packet', JSON.stringify({ version: 1, type: 2, ttl: 7, timestamp: '1', senderId: '0102030405060708', recipientId: null, route: ['0102030405060708'], payload: '', isCompressed: false, isRSR: false, signature: null })], 'route'],
    ['content over 255 bytes', ['encode', 'private-message', JSON.stringify({ messageId: 'x', content: 'a'.repeat(256) })], 'content'],
  ])('blemesh wire — malformed input: %s exits 2 naming the field on one stderr line', async (_name, argv, field) => {
    const r = await wire(argv)
    expect(r.code).toBe(2)
    expect(r.out).toBe('')
    expect(r.err.split('\n').filter((l) => l !== '')).toHaveLength(1)
    expect(r.err).toContain(`malformed input: ${field}:`)
  })

  const PACKET = { version: 2, type: 2, ttl: 7, timestamp: '1', senderId: '0102030405060708', recipientId: null, route: [], payload: 'aa', isCompressed: false, isRSR: false, signature: null }
  const ANNOUNCE = { nickname: 'n', noisePublicKey: '11'.repeat(32), signingPublicKey: '22'.repeat(32) }
  const BASES: Record<string, Record<string, unknown>> = {
    packet: PACKET,
    announce: ANNOUNCE,
    fragment: { fragmentId: '0102030405060708', index: 0, total: 1, originalType: 2, data: 'aa' },
    'request-sync': { p: 7, m: 100, filter: '' },
    file: { fileName: null, fileSize: 1, mimeType: null, content: 'aa' },
    'private-message': { messageId: 'm', content: 'c' },
    'noise-payload': { type: 1, data: '' },
  }

  test.each<[string, Record<string, unknown>, string]>([
    ['packet', { version: 3 }, 'version'],
    ['packet', { version: '2' }, 'version'],
    ['packet', { type: 256 }, 'type'],
    ['packet', { type: -1 }, 'type'],
    ['packet', { ttl: 7.5 }, 'ttl'],
    ['packet', { timestamp: '-1' }, 'timestamp'],
    ['packet', { timestamp: '1x' }, 'timestamp'],
    ['packet', { timestamp: 'x1' }, 'timestamp'],
    ['packet', { timestamp: true }, 'timestamp'],
    ['packet', { timestamp: 2 ** 53 }, 'timestamp'],
    ['packet', { timestamp: '18446744073709551616' }, 'timestamp'],
    ['packet', { senderId: 12 }, 'senderId'],
    ['packet', { senderId: '010203' }, 'senderId'],
    ['packet', { senderId: '0102030405060' }, 'senderId'],
    ['packet', { recipientId: '01' }, 'recipientId'],
    ['packet', { route: '0102030405060708' }, 'route'],
    ['packet', { route: ['01'] }, 'route'],
    ['packet', { route: Array(256).fill('0102030405060708') }, 'route'],
    ['packet', { version: 1, payload: 'aa'.repeat(0x1_0000) }, 'payload'],
    ['packet', { payload: null }, 'payload'],
    ['packet', { isCompressed: 'no' }, 'isCompressed'],
    ['packet', { isRSR: 1 }, 'isRSR'],
    ['packet', { signature: 'aa' }, 'signature'],
    ['packet', { isCompressed: true, payload: '000000' }, 'payload'],
    ['packet', { extraFlags: 0x01 }, 'extraFlags'],
    ['packet', { extraFlags: 256 }, 'extraFlags'],
    ['announce', { nickname: 5 }, 'nickname'],
    ['announce', { noisePublicKey: '11' }, 'noisePublicKey'],
    ['announce', { signingPublicKey: '22'.repeat(31) }, 'signingPublicKey'],
    ['announce', { neighbors: ['01'] }, 'neighbors'],
    ['announce', { neighbors: 'x' }, 'neighbors'],
    ['announce', { capabilities: 'x' }, 'capabilities'],
    ['announce', { geohash: 7 }, 'geohash'],
    ['announce', { unknown: [7] }, 'unknown'],
    ['announce', { unknown: [null] }, 'unknown'],
    ['announce', { unknown: [{ type: 6, value: '' }] }, 'unknown'],
    ['announce', { unknown: [{ type: 9, value: 'z' }] }, 'unknown'],
    ['announce', { tlvOrder: [256] }, 'tlvOrder'],
    ['announce', { tlvOrder: 1 }, 'tlvOrder'],
    ['fragment', { index: 0x1_0000 }, 'index'],
    ['fragment', { total: -1 }, 'total'],
    ['fragment', { originalType: 256 }, 'originalType'],
    ['fragment', { data: 'x' }, 'data'],
    ['request-sync', { p: 33 }, 'p'],
    ['request-sync', { m: 0 }, 'm'],
    ['request-sync', { filter: 1 }, 'filter'],
    ['request-sync', { types: -1 }, 'types'],
    ['request-sync', { since: 'soon' }, 'since'],
    ['request-sync', { fragmentIds: ['01'] }, 'fragmentIds'],
    ['request-sync', { fragmentIds: 'x' }, 'fragmentIds'],
    ['file', { fileName: 1 }, 'fileName'],
    ['file', { fileSize: -1 }, 'fileSize'],
    ['file', { mimeType: false }, 'mimeType'],
    ['file', { content: 'x' }, 'content'],
    ['private-message', { messageId: 1 }, 'messageId'],
    ['private-message', { content: null }, 'content'],
    ['noise-payload', { type: 256 }, 'type'],
    ['noise-payload', { data: 'x' }, 'data'],
  ])('blemesh wire — encode %s with %j names the field', async (kind, change, field) => {
    const r = await wire(['encode', kind, JSON.stringify({ ...BASES[kind], ...change })])
    expect(r.code).toBe(2)
    expect(r.err).toContain(`malformed input: ${field}:`)
  })

  test.each<[string, Record<string, unknown>]>([
    ['packet', {}],
    ['packet', { timestamp: '18446744073709551615', ttl: 255, type: 0 }],
    ['packet', { timestamp: 42 }],
    ['packet', { route: Array(255).fill('0102030405060708'), recipientId: '1112131415161718', signature: '5a'.repeat(64) }],
    ['packet', { version: 1, payload: 'aa'.repeat(0xffff) }],
    ['packet', { isCompressed: true, payload: '00000064aa', originalSize: 100 }],
    ['packet', { extraFlags: 0xe8 }],
    ['announce', {}],
    ['announce', { neighbors: ['0102030405060708'], capabilities: '01', geohash: 'u4pruy', unknown: [{ type: 7, value: 'ab' }, { type: 255, value: '' }] }],
    ['fragment', { index: 0xfffe, total: 0xffff, originalType: 255 }],
    ['request-sync', { p: 32, m: 0xffff_ffff, types: 0, since: '0', fragmentIds: ['0102030405060708'] }],
    ['file', { fileName: 'a.txt', fileSize: 0, mimeType: 'text/plain' }],
    ['noise-payload', { type: 255 }],
  ])('blemesh wire — encode %s with %j round-trips through decode', async (kind, change) => {
    const encoded = await wire(['encode', kind, JSON.stringify({ ...BASES[kind], ...change })])
    expect(encoded.err).toBe('')
    expect(encoded.code).toBe(0)
    const decoded = await wire(['decode', kind, encoded.out.trim()])
    expect(decoded.code).toBe(0)
    const json = JSON.parse(decoded.out) as Record<string, unknown>
    for (const [key, value] of Object.entries(change)) {
      expect(json[key], key).toEqual(key === 'timestamp' || key === 'since' ? String(value) : value)
    }
    expect((await wire(['encode', kind, decoded.out])).out).toBe(encoded.out)
  })

  test.each([['--help'], ['-h'], ['help']])('blemesh wire — %s prints the usage and exits 0', async (flag) => {
    const r = await wire([flag])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^usage: blemesh wire/)
    expect((await wire([flag, 'packet'])).code).toBe(1)
  })

  test('blemesh wire — optional request-sync fields given as null are absent, and capability bits are listed', async () => {
    const sync = await wire(['encode', 'request-sync', JSON.stringify({ ...BASES['request-sync'], types: null, since: null, fragmentIds: null })])
    expect(sync).toEqual(await wire(['encode', 'request-sync', JSON.stringify(BASES['request-sync'])]))
    const announce = await wire(['encode', 'announce', JSON.stringify({ ...ANNOUNCE, capabilities: '0501' })])
    expect(JSON.parse((await wire(['decode', 'announce', announce.out.trim()])).out)).toMatchObject({ capabilities: '0501', capabilityBits: [0, 2, 8] })
  })

  test('blemesh wire — decode names types, shows capability bits, and leaves out what is absent', async () => {
    const packet = JSON.parse((await wire(['decode', 'packet', (await wire(['encode', 'packet', JSON.stringify({ ...PACKET, type: 0x2a })])).out.trim()])).out) as Record<string, unknown>
    expect(packet.typeName).toBeUndefined()
    expect(Object.keys(packet)).not.toContain('originalSize')
    expect(Object.keys(packet)).not.toContain('extraFlags')
    const message = JSON.parse((await wire(['decode', 'packet', (await wire(['encode', 'packet', JSON.stringify(PACKET)])).out.trim()])).out) as Record<string, unknown>
    expect(message.typeName).toBe('message')
    const announce = JSON.parse((await wire(['decode', 'announce', (await wire(['encode', 'announce', JSON.stringify(ANNOUNCE)])).out.trim()])).out) as Record<string, unknown>
    expect(announce).toMatchObject({ capabilities: null, geohash: null, neighbors: [], unknown: [] })
    expect(Object.keys(announce)).not.toContain('capabilityBits')
    expect(Object.keys(announce)).not.toContain('tlvOrder')
    const sync = JSON.parse((await wire(['decode', 'request-sync', (await wire(['encode', 'request-sync', JSON.stringify(BASES['request-sync'])])).out.trim()])).out) as Record<string, unknown>
    expect(Object.keys(sync).sort()).toEqual(['filter', 'm', 'p'])
    const noise = JSON.parse((await wire(['decode', 'noise-payload', '01'])).out) as Record<string, unknown>
    expect(noise).toEqual({ type: 1, typeName: 'privateMessage', data: '' })
    expect(JSON.parse((await wire(['decode', 'noise-payload', '7f'])).out)).toEqual({ type: 0x7f, data: '' })
  })

  test('blemesh wire — encode(decode(x)) = x for canonical packet frames', async () => {
    await fc.assert(fc.asyncProperty(packetArb(100), async (packet) => {
      const hex = toHex(encodePacket(packet))
      const decoded = await wire(['decode', 'packet', hex])
      expect(decoded.code).toBe(0)
      expect((await wire(['encode', 'packet', decoded.out])).out).toBe(`${hex}\n`)
    }), fcOptions(2_000))
  })

  test('blemesh wire — the real CLI runs through blemesh main with the documented exit codes', () => {
    const cli = (args: string[]): { status: number | null, stdout: string, stderr: string } =>
      spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'wire', ...args], { encoding: 'utf8', timeout: 60_000 })
    const ok = cli(['decode', 'fragment', vectors.fragment.hex])
    expect(ok.status).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({ index: 1, total: 3, originalType: 2, data: 'aabb' })
    const bad = cli(['decode', 'packet', '00'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('malformed input: version:')
    expect(cli([]).status).toBe(1)
  }, 60_000)
})
