// `blemesh node`: a mesh node on real Bluetooth (or emulated controllers over UART). Logs go to stderr;
// stdout carries received messages and peers (JSON lines with --json-events); stdin lines are sent as
// public messages.
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { homedir, platform } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { AdapterError } from '../hardware/adapter-errors.js'
import { openAdapters, UART_BAUD_RATE, type AdapterPlan, type Endpoint, type OpenedAdapters } from '../hardware/adapters.js'
import { BleTransport } from '../hardware/ble-transport.js'
import { withTimeout } from '../hardware/with-timeout.js'
import { acceptAnnounce } from '../src/crypto/announce-acceptance.js'
import { generateIdentity, identityFromSecrets, type Identity } from '../src/crypto/identity.js'
import { nodeCrypto } from '../src/crypto/node-provider.js'
import type { Logger } from '../src/logger.js'
import { DEFAULT_RELAY_POLICY, isRelayPolicyName, RELAY_POLICIES, relayPolicyByName, relayPolicyWithoutTwoHopSkip } from '../src/mesh/policy/registry.js'
import type { PeerKeys } from '../src/mesh/peers.js'
import { createNode, MAX_NICKNAME_BYTES, type MeshNode, type NodeConfig } from '../src/node.js'
import { nodeDeflater } from '../src/wire/node-deflater.js'
import { encodeUtf8 } from '../src/wire/utf8.js'
import { Store } from './store.js'
import { createLogger, systemClock, systemRandom } from './system.js'

const USAGE = `usage: blemesh node [options]

Runs a mesh node on Bluetooth. Lines typed on stdin are sent as public messages;
/msg PEER TEXT sends TEXT privately (Noise, as Bitchat's private chat) to PEER, a nickname
or a 16-hex peer ID. /quit stops, /drop closes every link, /peers and /stats print state,
/history the stored public chat.

adapters (default: hci0 in both roles on Linux, CoreBluetooth on macOS):
  --hci N                   one adapter in both roles (Linux raw HCI; stop bluetoothd)
  --central-hci N --peripheral-hci M
                            two adapters: central on one, peripheral on the other
  --uart PATH               a UART HCI controller (one role: use with --role)
  --central-uart P --peripheral-uart Q
                            one UART controller per role
  --baud N                  UART baud rate (default ${UART_BAUD_RATE})
  --role both|central|peripheral
  --shared-controller       the central and peripheral paths reach one controller (a multiplexer):
                            apply the one-adapter workarounds

links:
  --allow A,B,...           only link to these addresses / 16-hex peer IDs
  --deny A,B,...            never link to these addresses / peer IDs
  --max-links N             links in both roles together (default 6)
  --min-rssi DBM            do not connect to weaker advertisers (default -90)
  --advertising-rearm-ms MS how often advertising is re-asserted regardless (default 15000)

node:
  --nickname NAME
  --identity FILE           SQLite file keeping the identity (default ~/.local/share/blemesh/node.db)
  --policy NAME             relay policy: adaptive (default), flood, bitchat-ios, bitchat-android
  --no-two-hop-skip         adaptive: relay to a neighbour even when another neighbour that says it
                            relays everywhere links to it (costs frames; trusts neighbours less)
  --sync                    gossip sync of announces: ask each neighbour for the peers we have not
                            heard (REQUEST_SYNC, as the phones do) and answer theirs
  --send TEXT               send TEXT once a peer is known, then exit
  --to PEER                 with --send: send TEXT privately to PEER (nickname or peer ID) once it
                            is known, and exit when its delivery receipt comes (1 if none does)
  --wait SECONDS            how long --send waits for a peer, and --to for the receipt (default 30)
  --json-events             print events as JSON lines on stdout
  --log-level LEVEL         pino level for stderr (default info, or $BLEMESH_LOG)
`

/** Our choice: how long a graceful stop (leave packet, disconnects) may take before we exit anyway. */
const STOP_TIMEOUT_MS = 10_000
/** Our choice: after --send, time for the frames to leave our queues before we exit. */
const SEND_FLUSH_MS = 2_000
const DEFAULT_SEND_WAIT_S = 30
/** How many stored public messages `/history` prints. */
const HISTORY_LINES = 50

const PEER_ID = /^[0-9a-fA-F]{16}$/

export interface NodeCommandOptions {
  plan: AdapterPlan
  allowAddresses: string[]
  denyAddresses: string[]
  allowPeers: string[]
  denyPeers: string[]
  maxLinks: number | undefined
  minRssi: number | undefined
  advertisingRearmMs: number | undefined
  nickname: string | undefined
  identityFile: string
  policy: string
  /** `--no-two-hop-skip`: adaptive without the two-hop skip. */
  twoHopSkip: boolean
  /** `--sync`: gossip sync of announces (NodeConfig.sync). */
  sync: boolean
  send: string | undefined
  /** `--to`: --send goes privately to this peer (nickname or peer ID). */
  to: string | undefined
  waitSeconds: number
  jsonEvents: boolean
  logLevel: string | undefined
}

function list (value: string | undefined): string[] {
  return (value ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
}

function integer (name: string, value: string | undefined, min = -Infinity, max = Infinity): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n)) throw new UsageError(`--${name} needs an integer, got '${value}'`)
  if (n < min || n > max) throw new UsageError(`--${name} must be ${max === Infinity ? `at least ${min}` : `in [${min}, ${max}]`}, got ${n}`)
  return n
}

/** pino's levels: anything else made pino throw at start-up. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
/** RSSI as HCI reports it: a signed byte of dBm, −127 … +20; a gate above 0 dBm would refuse every phone. */
const MIN_RSSI_RANGE = [-127, 0] as const
/** Re-arming advertising restarts it on the controller; a few per second would keep it busy doing only that. */
const MIN_REARM_MS = 1_000
/** A typo guard, not a tuning: BLE controllers hold about 8–20 connections at most. */
const MAX_LINKS_FLAG = 64

/**
 * `--min-rssi -85` is how people write it, but node's parseArgs reads "-85" as an option and refuses;
 * an option taking a negative number gets it joined as `--min-rssi=-85`.
 */
function joinNegativeValues (argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1]
    if (argv[i] === '--min-rssi' && next !== undefined && /^-\d+$/.test(next)) { out.push(`--min-rssi=${next}`); i++ } else out.push(argv[i]!)
  }
  return out
}

class UsageError extends Error {}

function defaultIdentityFile (): string {
  const base = process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share')
  return join(base, 'blemesh', 'node.db')
}

/** Turns argv into options; throws UsageError for anything a person typed wrong. */
export function parseNodeArgs (argv: string[]): NodeCommandOptions {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    strict: true,
    options: {
      hci: { type: 'string' },
      'central-hci': { type: 'string' },
      'peripheral-hci': { type: 'string' },
      uart: { type: 'string' },
      'central-uart': { type: 'string' },
      'peripheral-uart': { type: 'string' },
      baud: { type: 'string' },
      role: { type: 'string' },
      'shared-controller': { type: 'boolean' },
      'advertising-rearm-ms': { type: 'string' },
      allow: { type: 'string' },
      deny: { type: 'string' },
      'max-links': { type: 'string' },
      'min-rssi': { type: 'string' },
      nickname: { type: 'string' },
      identity: { type: 'string' },
      policy: { type: 'string' },
      'no-two-hop-skip': { type: 'boolean' },
      sync: { type: 'boolean' },
      send: { type: 'string' },
      to: { type: 'string' },
      wait: { type: 'string' },
      'json-events': { type: 'boolean' },
      'log-level': { type: 'string' },
    },
  })
  const role = values.role ?? 'both'
  if (role !== 'both' && role !== 'central' && role !== 'peripheral') throw new UsageError(`--role must be both, central or peripheral, got '${role}'`)
  const baudRate = integer('baud', values.baud, 1_200, 12_000_000) ?? UART_BAUD_RATE
  const hci = (name: string, v: string | undefined): Endpoint | undefined => {
    const id = integer(name, v, 0, 1_000)
    return id === undefined ? undefined : { kind: 'hci', deviceId: id }
  }
  const uart = (v: string | undefined): Endpoint | undefined => v === undefined ? undefined : { kind: 'uart', port: v, baudRate }
  let central: Endpoint | undefined = hci('central-hci', values['central-hci']) ?? uart(values['central-uart'])
  let peripheral: Endpoint | undefined = hci('peripheral-hci', values['peripheral-hci']) ?? uart(values['peripheral-uart'])
  const shared: Endpoint | undefined = hci('hci', values.hci) ?? uart(values.uart)
  if (shared !== undefined) {
    if (shared.kind === 'uart' && role === 'both' && central === undefined && peripheral === undefined) {
      throw new UsageError('a UART controller has one owner: use --uart with --role central|peripheral, or --central-uart P --peripheral-uart Q')
    }
    central ??= shared
    peripheral ??= shared
  }
  const fallback: Endpoint = platform() === 'linux' ? { kind: 'hci', deviceId: 0 } : { kind: 'os' }
  const plan: AdapterPlan = {
    central: role === 'peripheral' ? null : (central ?? fallback),
    peripheral: role === 'central' ? null : (peripheral ?? fallback),
    ...(values['shared-controller'] === true ? { sharedController: true } : {}),
  }
  const policy = values.policy ?? DEFAULT_RELAY_POLICY
  if (!isRelayPolicyName(policy)) {
    throw new UsageError(`--policy must be one of ${Object.keys(RELAY_POLICIES).join(', ')}, got '${policy}'`)
  }
  const twoHopSkip = values['no-two-hop-skip'] !== true
  if (!twoHopSkip && policy !== 'adaptive') throw new UsageError(`--no-two-hop-skip applies to --policy adaptive; ${policy} never skips`)
  const split = (entries: string[]): { peers: string[], addresses: string[] } => ({
    peers: entries.filter(e => PEER_ID.test(e)).map(e => e.toLowerCase()),
    addresses: entries.filter(e => !PEER_ID.test(e)),
  })
  const nickname = values.nickname
  if (nickname !== undefined && (nickname === '' || encodeUtf8(nickname).length > MAX_NICKNAME_BYTES)) {
    throw new UsageError(`--nickname must be 1 to ${MAX_NICKNAME_BYTES} UTF-8 bytes, got ${encodeUtf8(nickname).length}`)
  }
  const logLevel = values['log-level'] ?? process.env.BLEMESH_LOG
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    const from = values['log-level'] !== undefined ? '--log-level' : 'BLEMESH_LOG'
    throw new UsageError(`${from} must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`)
  }
  if (values.to !== undefined && values.send === undefined) throw new UsageError('--to says whom --send writes to; give --send TEXT too')
  if (values.to === '') throw new UsageError('--to needs a nickname or a peer ID')
  const allow = split(list(values.allow))
  const deny = split(list(values.deny))
  return {
    plan,
    allowAddresses: allow.addresses,
    denyAddresses: deny.addresses,
    allowPeers: allow.peers,
    denyPeers: deny.peers,
    maxLinks: integer('max-links', values['max-links'], 1, MAX_LINKS_FLAG),
    minRssi: integer('min-rssi', values['min-rssi'], ...MIN_RSSI_RANGE),
    advertisingRearmMs: integer('advertising-rearm-ms', values['advertising-rearm-ms'], MIN_REARM_MS),
    nickname,
    identityFile: values.identity ?? defaultIdentityFile(),
    policy,
    twoHopSkip,
    sync: values.sync === true,
    send: values.send,
    to: values.to,
    waitSeconds: integer('wait', values.wait, 0) ?? DEFAULT_SEND_WAIT_S,
    jsonEvents: values['json-events'] ?? false,
    logLevel,
  }
}

/** What the options decide of the node's configuration (nickname and pins come from the store). */
export function nodeConfigFor (options: Pick<NodeCommandOptions, 'policy' | 'twoHopSkip' | 'sync'>): NodeConfig {
  const policy = options.twoHopSkip ? relayPolicyByName(options.policy) : relayPolicyWithoutTwoHopSkip(options.policy)
  return { inflater: nodeDeflater, policy, sync: options.sync }
}

/** The node's SQLite file (identity, pins, chat), with its directory created on first run. */
export function openStore (file: string): Store {
  // SQLite says only "unable to open database file" for a directory.
  if (existsSync(file) && statSync(file).isDirectory()) throw new Error('it is a directory')
  mkdirSync(dirname(file), { recursive: true })
  return new Store(file)
}

/** The node's identity from its store, created on first run; the nickname is kept up to date. */
export function loadOrCreateIdentity (store: Store, nickname: string | undefined): { identity: Identity, nickname: string } {
  const stored = store.loadIdentity()
  if (stored !== undefined) {
    const identity = identityFromSecrets(nodeCrypto, stored.noiseSecretKey, stored.signingSecretKey)
    if (nickname !== undefined && nickname !== stored.nickname) store.setNickname(nickname)
    return { identity, nickname: nickname ?? stored.nickname }
  }
  const identity = generateIdentity(nodeCrypto)
  const name = nickname ?? identity.peerIdHex.slice(0, 8)
  store.saveIdentity({ noiseSecretKey: identity.noiseSecretKey, signingSecretKey: identity.signingSecretKey, nickname: name })
  return { identity, nickname: name }
}

type Printer = (event: string, fields: Record<string, unknown>, human: string) => void

function printer (json: boolean): Printer {
  return (event, fields, human) => {
    process.stdout.write(json ? `${JSON.stringify({ event, ...fields })}\n` : `${human}\n`)
  }
}

export async function run (argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE)
    return 0
  }
  let options: NodeCommandOptions
  try {
    options = parseNodeArgs(argv)
  } catch (error) {
    process.stderr.write(`blemesh node: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  // noble and bleno print their warnings with console.log; stdout belongs to our events.
  console.log = (...args: unknown[]) => { console.error(...args) }
  const logger = createLogger(options.logLevel)
  const code = await runNode(options, logger)
  // The UART driver retries a closed port on timers and the HCI sockets may linger; do not let either hold
  // the process once we are done.
  setTimeout(() => { process.exit(code) }, 200).unref()
  return code
}

async function runNode (options: NodeCommandOptions, logger: Logger): Promise<number> {
  const print = printer(options.jsonEvents)
  // One file for identity, pins and chat history: they outlive the process, so a restart can neither
  // forget who was pinned nor lose the conversation.
  let store: Store | undefined
  let identity: Identity
  let nickname: string
  try {
    store = openStore(options.identityFile)
    ;({ identity, nickname } = loadOrCreateIdentity(store, options.nickname))
  } catch (error) {
    // A directory, a file that is not SQLite, no permission, a newer schema: the user's file, not our bug.
    store?.close()
    process.stderr.write(`blemesh node: cannot use ${options.identityFile} as the node's store: ${(error as Error).message}\n`)
    return 2
  }
  let adapters: OpenedAdapters
  try {
    adapters = await openAdapters(options.plan, systemClock, logger)
  } catch (error) {
    store.close()
    if (error instanceof AdapterError) {
      process.stderr.write(`blemesh node: ${error.message}\n`)
      return 1
    }
    throw error
  }
  const transport = new BleTransport({
    ...adapters,
    clock: systemClock,
    random: systemRandom,
    logger,
    localPeerId: identity.peerIdHex,
    ...(options.advertisingRearmMs === undefined ? {} : { advertisingRearmMs: options.advertisingRearmMs }),
    // A link's peer is taken only from an announce whose key binding and signature check out.
    announceVerifier: packet => acceptAnnounce(nodeCrypto, packet, nodeDeflater).ok,
    policy: {
      allowAddresses: options.allowAddresses,
      denyAddresses: options.denyAddresses,
      allowPeers: options.allowPeers,
      denyPeers: options.denyPeers,
      ...(options.maxLinks === undefined ? {} : { maxLinks: options.maxLinks }),
      ...(options.minRssi === undefined ? {} : { minRssi: options.minRssi }),
    },
  })
  const node = createNode({
    identity,
    transport,
    clock: systemClock,
    random: systemRandom,
    crypto: nodeCrypto,
    logger,
    config: { ...nodeConfigFor(options), nickname, pins: storedPins(store) },
  })
  wireEvents(node, transport, print)
  persistEvents(node, store, logger)

  let finish: (code: number) => void = () => {}
  const finished = new Promise<number>(resolve => { finish = resolve })
  try {
    await node.start()
  } catch (error) {
    process.stderr.write(`blemesh node: starting failed: ${(error as Error).message}\n`)
    adapters.close()
    store.close()
    return 1
  }
  const addresses = transport.addresses()
  print('ready', { peerId: node.peerId, nickname: node.nickname, central: addresses.central ?? null, peripheral: addresses.peripheral ?? null },
    `blemesh node ${node.nickname} (${node.peerId}) on ${[adapters.central?.where, adapters.peripheral?.where].filter(Boolean).join(' + ')}`)

  // After both libraries installed theirs, so ours is the last SIGINT listener and they do not exit for us.
  const onSignal = (): void => { finish(0) }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const sendPrivate = (peerId: string, text: string): string => {
    const messageId = node.sendPrivate(peerId, text)
    print('private-sent', { peerId, messageId, text }, `> [${peerId}] ${text}`)
    return messageId
  }

  const input = createInterface({ input: process.stdin })
  input.on('line', line => {
    const text = line.trimEnd()
    if (text === '') return
    if (text === '/quit') { finish(0); return }
    if (text === '/drop') { transport.dropLinks('dropped by command'); return }
    if (text === '/peers') { print('peers', { peers: node.peers() }, node.peers().map(p => `${p.nickname} ${p.peerId}`).join('\n')); return }
    if (text === '/history') {
      const history = store.recentMessages(HISTORY_LINES)
      print('history', { messages: history }, history.map(chatLine).join('\n'))
      return
    }
    if (text === '/msg' || text.startsWith('/msg ')) {
      const [, who = '', ...words] = text.split(' ')
      const body = words.join(' ')
      const peer = resolvePeer(node.peers(), who)
      if (body === '') { process.stderr.write('blemesh node: usage: /msg PEER TEXT\n'); return }
      if (typeof peer !== 'string') { process.stderr.write(`blemesh node: ${peer.error}\n`); return }
      sendPrivate(peer, body)
      return
    }
    if (text === '/stats') {
      const stats = { node: node.stats(), links: transport.linkStats() }
      print('stats', stats, JSON.stringify(stats))
      return
    }
    try {
      node.sendPublic(text)
      print('sent', { text }, `> ${text}`)
    } catch (error) {
      logger.warn({ err: error }, 'could not send')
    }
  })

  if (options.send !== undefined) {
    const text = options.send
    const to = options.to
    const sendWhenPeered = (peerId: string | null): void => {
      // The peer may not have our announce yet (its arrival is what told us about the peer, not the other
      // way round); without it the peer cannot verify the message. Announce first, on the same queues.
      node.announce()
      if (peerId === null) {
        node.sendPublic(text)
        print('sent', { text }, `> ${text}`)
        setTimeout(() => { finish(0) }, SEND_FLUSH_MS)
        return
      }
      const messageId = sendPrivate(peerId, text)
      const offReceipt = node.on('receipt', r => {
        if (r.messageId !== messageId || r.kind !== 'delivered') return
        offReceipt(); clearTimeout(noReceipt)
        setTimeout(() => { finish(0) }, SEND_FLUSH_MS)
      })
      const noReceipt = setTimeout(() => {
        offReceipt()
        process.stderr.write(`blemesh node: no delivery receipt from ${peerId} within ${options.waitSeconds} s\n`)
        finish(1)
      }, options.waitSeconds * 1000)
    }
    // The recipient: any peer for a public message, the one named by --to for a private one.
    const wanted = (): string | null | undefined => {
      if (to === undefined) return node.peers().length > 0 ? null : undefined
      const peer = resolvePeer(node.peers(), to)
      return typeof peer === 'string' ? peer : undefined
    }
    const now = wanted()
    if (now !== undefined) sendWhenPeered(now)
    else {
      const off = node.on('peerAppeared', () => {
        const peer = wanted()
        if (peer === undefined) return
        off(); clearTimeout(giveUp); sendWhenPeered(peer)
      })
      const giveUp = setTimeout(() => {
        off()
        process.stderr.write(`blemesh node: ${to === undefined ? 'no peer' : `no peer ${to}`} appeared within ${options.waitSeconds} s; nothing sent\n`)
        finish(1)
      }, options.waitSeconds * 1000)
    }
  }

  const code = await finished
  input.close()
  process.removeListener('SIGINT', onSignal)
  process.removeListener('SIGTERM', onSignal)
  await withTimeout(systemClock, () => node.stop(), STOP_TIMEOUT_MS, 'node stop')
    .catch((error: unknown) => { logger.warn({ err: error }, 'stopping the node did not finish cleanly') })
  adapters.close()
  store.close()
  return code
}

/** How a public message reads on the terminal, live or from the stored history. */
function chatLine (m: { nickname: string, senderId: string, text: string }): string {
  return `[${m.nickname || m.senderId}] ${m.text}`
}

/**
 * The peer a person means by `who`: a 16-hex peer ID (known or not: the handshake finds it), or the
 * nickname of exactly one present peer.
 */
export function resolvePeer (peers: ReadonlyArray<{ peerId: string, nickname: string }>, who: string): string | { error: string } {
  if (PEER_ID.test(who)) return who.toLowerCase()
  const named = peers.filter(p => p.nickname === who)
  if (named.length === 1) return named[0]!.peerId
  if (named.length === 0) return { error: `no peer is called '${who}' (/peers lists them)` }
  return { error: `${named.length} peers are called '${who}': use a peer ID (${named.map(p => p.peerId).join(', ')})` }
}

function storedPins (store: Store): Array<[string, PeerKeys]> {
  return store.pinnedPeers().map(p => [p.peerId, { noisePublicKey: p.noisePublicKey, signingPublicKey: p.signingPublicKey }])
}

function persistEvents (node: MeshNode, store: Store, logger: Logger): void {
  node.on('peerAppeared', p => {
    const pinned = store.pinPeer({
      peerId: p.peerId,
      noisePublicKey: new Uint8Array(Buffer.from(p.noisePublicKey, 'hex')),
      signingPublicKey: new Uint8Array(Buffer.from(p.signingPublicKey, 'hex')),
      nickname: p.nickname,
      seenAtMs: systemClock.now(),
    })
    // The node refuses other keys for a pinned ID itself; a refusal here means the file and the node disagree.
    if (!pinned) logger.warn({ peerId: p.peerId }, 'peer keys differ from the stored pin; the stored pin stays')
  })
  node.on('message', m => {
    store.addMessage({ senderId: m.senderId, nickname: m.nickname, text: m.text, timestampMs: m.timestamp, receivedAtMs: systemClock.now() })
  })
}

function wireEvents (node: MeshNode, transport: BleTransport, print: Printer): void {
  node.on('message', m => { print('message', { ...m }, chatLine(m)) })
  node.on('peerAppeared', p => { print('peer', { peerId: p.peerId, nickname: p.nickname }, `+ ${p.nickname} (${p.peerId})`) })
  node.on('privateMessage', m => { print('private-message', { ...m }, `[${m.nickname} → you] ${m.text}`) })
  node.on('receipt', r => { print('receipt', { ...r }, `✓ ${r.kind} ${r.messageId}`) })
  node.on('privateUndelivered', e => { print('private-undelivered', { ...e }, `✗ no delivery receipt for ${e.messageId} from ${e.peerId}`) })
  node.on('peerLeft', p => { print('peer-left', { peerId: p.peerId, nickname: p.nickname, reason: p.reason }, `- ${p.nickname} (${p.peerId}) ${p.reason}`) })
  node.on('linkUp', ({ linkId }) => {
    const link = transport.linkStats().find(l => l.id === linkId)
    print('link-up', { linkId, role: link?.role ?? null, address: link?.address ?? null, mtu: link?.mtu ?? null },
      `link up ${linkId}`)
  })
  node.on('linkDown', ({ linkId, reason }) => { print('link-down', { linkId, reason }, `link down ${linkId}: ${reason}`) })
}
