import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { platform, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'
import { loadOrCreateIdentity, nodeConfigFor, openStore, parseNodeArgs, resolvePeer } from '../../cli/node-command.js'

const dir = mkdtempSync(join(tmpdir(), 'blemesh-node-cmd-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('node command', () => {
  test.each([
    { argv: ['--hci', '1'], plan: { central: { kind: 'hci', deviceId: 1 }, peripheral: { kind: 'hci', deviceId: 1 } } },
    { argv: ['--central-hci', '0', '--peripheral-hci', '1'], plan: { central: { kind: 'hci', deviceId: 0 }, peripheral: { kind: 'hci', deviceId: 1 } } },
    {
      argv: ['--central-uart', '/dev/ttyA', '--peripheral-uart', '/dev/ttyB', '--baud', '115200'],
      plan: { central: { kind: 'uart', port: '/dev/ttyA', baudRate: 115_200 }, peripheral: { kind: 'uart', port: '/dev/ttyB', baudRate: 115_200 } },
    },
    { argv: ['--uart', '/dev/ttyA', '--role', 'peripheral'], plan: { central: null, peripheral: { kind: 'uart', port: '/dev/ttyA', baudRate: 1_000_000 } } },
    { argv: ['--hci', '0', '--role', 'central'], plan: { central: { kind: 'hci', deviceId: 0 }, peripheral: null } },
    // Built-in adapter for one role, a USB dongle for the other: the robust Raspberry Pi set-up.
    { argv: ['--hci', '0', '--peripheral-hci', '1'], plan: { central: { kind: 'hci', deviceId: 0 }, peripheral: { kind: 'hci', deviceId: 1 } } },
    // A shared UART is allowed once one role has a port of its own.
    { argv: ['--uart', '/dev/ttyA', '--central-uart', '/dev/ttyB'], plan: { central: { kind: 'uart', port: '/dev/ttyB', baudRate: 1_000_000 }, peripheral: { kind: 'uart', port: '/dev/ttyA', baudRate: 1_000_000 } } },
    { argv: ['--central-hci', '0', '--peripheral-hci', '1', '--shared-controller'], plan: { central: { kind: 'hci', deviceId: 0 }, peripheral: { kind: 'hci', deviceId: 1 }, sharedController: true } },
  ])('node command — adapter flags $argv make the plan', ({ argv, plan }) => {
    expect(parseNodeArgs(argv).plan).toEqual(plan)
  })

  test.each([
    [['--min-rssi', '-85'], -85],
    [['--min-rssi=-70'], -70],
    [['--min-rssi', '0'], 0],
  ])('node command — %j sets the RSSI gate to %i (a negative value may follow the flag)', (argv, gate) => {
    expect(parseNodeArgs(argv).minRssi).toBe(gate)
  })

  test('node command — BLEMESH_LOG is checked like --log-level, which overrides it', () => {
    const before = process.env.BLEMESH_LOG
    try {
      process.env.BLEMESH_LOG = 'chatty'
      expect(() => parseNodeArgs([])).toThrow(/BLEMESH_LOG must be one of .*, got 'chatty'/)
      expect(parseNodeArgs(['--log-level', 'debug']).logLevel).toBe('debug')
    } finally {
      if (before === undefined) delete process.env.BLEMESH_LOG
      else process.env.BLEMESH_LOG = before
    }
  })

  test('node command — no adapter flags: hci0 in both roles on Linux, the OS default elsewhere', () => {
    const expected = platform() === 'linux' ? { kind: 'hci', deviceId: 0 } : { kind: 'os' }
    expect(parseNodeArgs([]).plan).toEqual({ central: expected, peripheral: expected })
  })

  test.each([
    { argv: ['--uart', '/dev/ttyA'], message: /one owner/ },
    { argv: ['--role', 'relay'], message: /--role must be/ },
    { argv: ['--hci', 'zero'], message: /--hci needs an integer/ },
    { argv: ['--policy', 'gossip'], message: /--policy must be/ },
    { argv: ['--policy', 'toString'], message: /--policy must be/ },
    { argv: ['--policy', 'flood', '--no-two-hop-skip'], message: /--no-two-hop-skip applies to --policy adaptive; flood never skips/ },
    { argv: ['--bogus'], message: /Unknown option/ },
    { argv: ['--max-links', '0'], message: /--max-links must be in \[1, 64\], got 0/ },
    { argv: ['--min-rssi', '50'], message: /--min-rssi must be in \[-127, 0\], got 50/ },
    { argv: ['--min-rssi=-200'], message: /--min-rssi must be in \[-127, 0\], got -200/ },
    { argv: ['--advertising-rearm-ms', '0'], message: /--advertising-rearm-ms must be at least 1000, got 0/ },
    { argv: ['--baud', '9'], message: /--baud must be in/ },
    { argv: ['--nickname', 'x'.repeat(256)], message: /--nickname must be 1 to 255 UTF-8 bytes, got 256/ },
    { argv: ['--nickname', 'é'.repeat(128)], message: /got 256/ },
    { argv: ['--nickname', ''], message: /--nickname must be 1 to 255/ },
    { argv: ['--log-level', 'loud'], message: /--log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'/ },
    // Only --min-rssi takes a negative value; another flag followed by one is refused, not read as an RSSI gate.
    { argv: ['--max-links', '-5'], message: /max-links/ },
    { argv: ['--wait', '-1'], message: /wait/ },
    { argv: ['--to', 'alice'], message: /--to says whom --send writes to/ },
    { argv: ['--send', 'hi', '--to', ''], message: /--to needs a nickname or a peer ID/ },
  ])('node command — $argv is refused with a usage error', ({ argv, message }) => {
    expect(() => parseNodeArgs(argv)).toThrow(message)
  })

  test.each([
    [[], 'adaptive', false],
    [['--sync'], 'adaptive', true],
    [['--no-two-hop-skip'], 'adaptive-no-two-hop-skip', false],
    [['--policy', 'flood', '--sync'], 'flood', true],
  ])('node command — %j gives the node policy %s and sync %s', (argv, policy, sync) => {
    const config = nodeConfigFor(parseNodeArgs(argv))
    expect(config.policy?.name).toBe(policy)
    expect(config.sync).toBe(sync)
    expect(config.inflater).toBeDefined()
  })

  test.each([
    [['--send', 'hi'], 'hi', undefined],
    [['--send', 'hi', '--to', 'alice'], 'hi', 'alice'],
  ])('node command — %j sends %j to %j (undefined: everyone)', (argv, send, to) => {
    expect(parseNodeArgs(argv)).toMatchObject({ send, to })
  })

  const peers = [
    { peerId: '00112233445566aa', nickname: 'alice' },
    { peerId: '00112233445566bb', nickname: 'bob' },
    { peerId: '00112233445566cc', nickname: 'bob' },
  ]
  test.each([
    ['a nickname', 'alice', '00112233445566aa'],
    ['a peer ID, in either case', '00112233445566AA', '00112233445566aa'],
    ['a peer ID nobody has announced (the handshake looks for it)', 'ffeeddccbbaa9988', 'ffeeddccbbaa9988'],
    ['a nickname is case-sensitive', 'Alice', { error: "no peer is called 'Alice' (/peers lists them)" }],
    ['two peers of one name', 'bob', { error: "2 peers are called 'bob': use a peer ID (00112233445566bb, 00112233445566cc)" }],
  ])('node command — resolvePeer: %s', (_, who, expected) => {
    expect(resolvePeer(peers, who)).toEqual(expected)
  })

  test('node command — the two-hop skip is on unless --no-two-hop-skip', () => {
    expect(parseNodeArgs([]).twoHopSkip).toBe(true)
    expect(parseNodeArgs(['--no-two-hop-skip']).twoHopSkip).toBe(false)
    expect(parseNodeArgs(['--policy', 'adaptive', '--no-two-hop-skip']).twoHopSkip).toBe(false)
  })

  test('node command — allow/deny entries split into addresses and 16-hex peer IDs', () => {
    const o = parseNodeArgs(['--allow', '00:AA:01:00:00:42, 0011223344556677,, ', '--deny', 'AABBCCDDEEFF0011,11:22:33:44:55:66,0011223344556677a,x0011223344556677'])
    expect(o.allowAddresses).toEqual(['00:AA:01:00:00:42'])
    expect(o.allowPeers).toEqual(['0011223344556677'])
    expect(o.denyAddresses).toEqual(['11:22:33:44:55:66', '0011223344556677a', 'x0011223344556677'])
    expect(o.denyPeers).toEqual(['aabbccddeeff0011'])
  })

  test('node command — defaults: wait 30 s, no JSON events, the store under XDG_DATA_HOME; a 255-byte nickname is fine', () => {
    const before = process.env.XDG_DATA_HOME
    try {
      process.env.XDG_DATA_HOME = '/var/lib/example'
      const o = parseNodeArgs(['--nickname', 'n'.repeat(255)])
      expect([o.waitSeconds, o.jsonEvents, o.identityFile, o.nickname]).toEqual([30, false, '/var/lib/example/blemesh/node.db', 'n'.repeat(255)])
      expect(parseNodeArgs(['--wait', '0', '--json-events', '--identity', 'x.db'])).toMatchObject({ waitSeconds: 0, jsonEvents: true, identityFile: 'x.db' })
    } finally {
      if (before === undefined) delete process.env.XDG_DATA_HOME
      else process.env.XDG_DATA_HOME = before
    }
  })

  test('node command — openStore refuses a directory before SQLite does', () => {
    const p = join(dir, 'a-directory')
    mkdirSync(p)
    expect(() => openStore(p)).toThrow('it is a directory')
  })

  test('node command — the identity survives restarts and the nickname follows the flag', () => {
    const identityIn = (path: string, nickname: string | undefined): ReturnType<typeof loadOrCreateIdentity> => {
      const store = openStore(path)
      try { return loadOrCreateIdentity(store, nickname) } finally { store.close() }
    }
    const file = join(dir, 'nested', 'node.db')
    const first = identityIn(file, undefined)
    expect(first.nickname).toBe(first.identity.peerIdHex.slice(0, 8))
    const second = identityIn(file, 'relay-1')
    expect(second.identity.peerIdHex).toBe(first.identity.peerIdHex)
    expect(second.nickname).toBe('relay-1')
    expect(identityIn(file, undefined).nickname).toBe('relay-1')
    expect(identityIn(file, undefined).nickname).toBe('relay-1')
    expect(identityIn(join(dir, 'other.db'), undefined).identity.peerIdHex).not.toBe(first.identity.peerIdHex)
  })

  // Before any adapter is touched: the store is opened first, so these run on machines without Bluetooth.
  test.each([
    ['a directory', (): string => { const p = join(dir, 'store'); mkdirSync(p); return p }, /it is a directory/],
    ['a file that is not SQLite', (): string => { const p = join(dir, 'not.db'); writeFileSync(p, 'not a database, just text that is long enough to be read as a header page'.repeat(20)); return p }, /not a database/],
  ])('node command — --identity naming %s: exit 2 and why, no stack trace', (_, make, reason) => {
    const file = make()
    const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url))
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, 'node', '--identity', file], { encoding: 'utf8', timeout: 60_000 })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(new RegExp(`^blemesh node: cannot use ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} as the node's store: `))
    expect(r.stderr).toMatch(reason)
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })
})

