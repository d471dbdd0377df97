// The GATT client side on noble: scan for the mesh service, connect (one attempt at a time, with a
// timeout and cancelConnect: a connect to an absent device never ends by itself), ask for the largest ATT
// MTU, discover, subscribe, and turn the connection into a Link that sends by write without response.
import type { Clock, TimerId } from '../src/clock.js'
import type { Logger } from '../src/logger.js'
import { ATT_DEFAULT_MTU, ATT_HEADER_BYTES, ATT_MAX_MTU, MESH_CHARACTERISTIC, MESH_SERVICE, normalizeAddress } from './gatt-profile.js'
import { awaitDisconnects, BleLink, type LinkPacing } from './ble-link.js'
import type { NobleCharacteristicLike, NobleLike, NoblePeripheralLike } from './library-types.js'
import type { Verdict } from './link-policy.js'
import { NobleJanitor } from './noble-janitor.js'
import { withTimeout } from './with-timeout.js'

/** [iOS] TransportConfig.swift: connect timeout 8 s. */
export const CONNECT_TIMEOUT_MS = 8_000
/** Our choice: service discovery on an idle link takes tens of ms; 5 s means the peer is not answering ATT. */
export const GATT_TIMEOUT_MS = 5_000
/** Our choice: the MTU exchange noble starts on connect normally finishes before discovery does. */
export const MTU_WAIT_MS = 2_000
/** Our choice: scan and stop-scan commands complete in milliseconds when the controller is alive. */
export const SCAN_CALL_TIMEOUT_MS = 5_000
/**
 * Our choice: scanning is restarted this often. Controllers (and btvirt) report an advertiser once per
 * scan enable with duplicate filtering on (hci-emulator.md §6), and noble stops scanning to connect and
 * does not resume (noble-bleno.md §1.5). iOS scans 5 s on / 10 s off ([iOS] TransportConfig.swift).
 */
export const SCAN_RESTART_MS = 5_000
/** Our choice: an advertiser not seen for this long is no longer retried from memory. */
export const SEEN_TTL_MS = 30_000

export interface CentralHooks {
  /** Allow/deny, link cap, RSSI gate and backoff for an advertiser. */
  admit (address: string, rssi: number): Verdict
  /** True when some link (either role) already leads to this address or to the peer behind it. */
  alreadyLinked (address: string): boolean
  connectFailed (address: string, reason: string): void
  linkUp (link: BleLink): void
  linkEnded (link: BleLink, reason: string): void
  /** Every connect attempt, successful or not, ended (the shared-adapter workaround re-arms advertising). */
  attemptEnded (): void
  nextLinkId (role: 'central', address: string): string
}

export interface CentralOptions {
  connectTimeoutMs: number
  scanRestartMs: number
  /** macOS noble reports the MTU as the write length already (noble-bleno.md §3). */
  mtuIsPayload: boolean
  pacing?: LinkPacing
  /** How often advertisers unheard since the last sweep are pruned from noble (NOBLE_SWEEP_MS). */
  nobleSweepMs: number
}

interface Seen { id: string, address: string, rssi: number, at: number }

export class CentralRole {
  private running = false
  private scanning = false
  private connecting: string | null = null
  private readonly seen = new Map<string, Seen>()
  private readonly links = new Map<string, BleLink>()
  /** Disconnects in flight; stop() waits for them so the adapter is not closed under the command. */
  private readonly disconnecting = new Set<Promise<void>>()
  private scanTimer: TimerId | null = null
  private sweepTimer: TimerId | null = null
  private readonly janitor: NobleJanitor
  private scanBusy: Promise<void> | null = null
  private readonly onDiscover = (peripheral: NoblePeripheralLike): void => { this.discovered(peripheral) }

  constructor (
    private readonly noble: NobleLike,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly hooks: CentralHooks,
    private readonly options: CentralOptions,
  ) {
    this.janitor = new NobleJanitor(noble, address => {
      const a = normalizeAddress(address)
      return this.seen.has(a) || this.connecting === a
    }, logger)
  }

  get address (): string {
    return this.noble.address
  }

  /** Links up plus the attempt in progress, for the link cap. */
  get busyCount (): number {
    return this.links.size + (this.connecting === null ? 0 : 1)
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    // Before the first scan: a report can arrive before startScanning's promise continues (hci-emulator.md §6).
    this.noble.on('discover', this.onDiscover)
    this.scheduleSweep()
    await this.restartScan()
  }

  private scheduleSweep (): void {
    this.sweepTimer = this.clock.setTimer(this.options.nobleSweepMs, () => {
      if (!this.running) return
      const forgotten = this.janitor.sweep()
      if (forgotten > 0) this.logger.debug({ forgotten }, 'advertisers not heard since the last sweep forgotten')
      this.scheduleSweep()
    })
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    if (this.scanTimer !== null) this.clock.clearTimer(this.scanTimer)
    this.scanTimer = null
    if (this.sweepTimer !== null) this.clock.clearTimer(this.sweepTimer)
    this.sweepTimer = null
    this.noble.removeListener('discover', this.onDiscover)
    await this.setScanning(false)
    for (const link of [...this.links.values()]) link.close('transport stopped')
    await awaitDisconnects(this.clock, this.logger, this.disconnecting)
  }

  /** Stops and starts the scan, then retries remembered advertisers whose backoff ran out. */
  async restartScan (): Promise<void> {
    if (!this.running) return
    if (this.scanTimer !== null) this.clock.clearTimer(this.scanTimer)
    this.scanTimer = this.clock.setTimer(this.options.scanRestartMs, () => {
      this.scanTimer = null
      void this.restartScan()
    })
    if (this.connecting !== null) return
    await this.setScanning(false)
    if (!this.running || this.connecting !== null) return
    await this.setScanning(true)
    this.retryRemembered()
  }

  private retryRemembered (): void {
    const now = this.clock.now()
    for (const [address, seen] of this.seen) {
      if (now - seen.at > SEEN_TTL_MS) { this.seen.delete(address); continue }
      this.consider(seen)
    }
  }

  private async setScanning (on: boolean): Promise<void> {
    while (this.scanBusy !== null) await this.scanBusy
    if (this.scanning === on) return
    this.scanBusy = (async () => {
      try {
        if (on) {
          // Duplicate filtering on: every restart yields each advertiser once, which is all we need.
          await withTimeout(this.clock, () => this.noble.startScanningAsync([MESH_SERVICE], false), SCAN_CALL_TIMEOUT_MS, 'noble startScanning')
        } else {
          await withTimeout(this.clock, () => this.noble.stopScanningAsync(), SCAN_CALL_TIMEOUT_MS, 'noble stopScanning')
        }
        this.scanning = on
      } catch (error) {
        // noble's own view of the scan can drift (spurious scanStart/missing scanStop, noble-bleno.md §4);
        // assume the opposite of what we asked so the next cycle asks again.
        this.scanning = !on
        this.logger.warn({ err: error, on }, 'scan command failed')
      }
    })().finally(() => { this.scanBusy = null })
    await this.scanBusy
  }

  private discovered (peripheral: NoblePeripheralLike): void {
    if (!this.running || peripheral.connectable === false) return
    const uuids = peripheral.advertisement?.serviceUuids
    if (uuids !== undefined && uuids.length > 0 && !uuids.includes(MESH_SERVICE)) return
    const address = normalizeAddress(peripheral.address !== '' ? peripheral.address : peripheral.id)
    const seen = { id: peripheral.id, address, rssi: peripheral.rssi, at: this.clock.now() }
    this.seen.set(address, seen)
    this.consider(seen)
  }

  private consider (seen: Seen): void {
    if (!this.running || this.connecting !== null) return
    if (this.hooks.alreadyLinked(seen.address)) return
    const verdict = this.hooks.admit(seen.address, seen.rssi)
    if (!verdict.ok) {
      this.logger.debug({ address: seen.address, reason: verdict.reason }, 'not connecting')
      return
    }
    void this.connect(seen)
  }

  private async connect (seen: Seen): Promise<void> {
    const { id, address } = seen
    this.connecting = address
    this.logger.debug({ address, rssi: seen.rssi }, 'connecting')
    let peripheral: NoblePeripheralLike | null = null
    let disconnected: string | null = null
    const onSetupDisconnect = (reason: unknown): void => { disconnected = String(reason) }
    try {
      // noble stops the scan for a connect anyway; doing it ourselves keeps our scan state true.
      await this.setScanning(false)
      peripheral = await withTimeout(this.clock, () => this.noble.connectAsync(id, { mtu: ATT_MAX_MTU }),
        this.options.connectTimeoutMs, `connect to ${address}`, () => { this.cancelConnect(id) })
      peripheral.once('disconnect', onSetupDisconnect)
      const p = peripheral
      const { characteristics } = await withTimeout(this.clock,
        () => p.discoverSomeServicesAndCharacteristicsAsync([MESH_SERVICE], [MESH_CHARACTERISTIC]), GATT_TIMEOUT_MS, `discover on ${address}`)
      const characteristic = characteristics.find(c => c.uuid === MESH_CHARACTERISTIC)
      if (characteristic === undefined) throw new Error('mesh characteristic missing')
      if (!characteristic.properties.includes('notify') || !characteristic.properties.includes('writeWithoutResponse')) {
        throw new Error(`mesh characteristic lacks notify/writeWithoutResponse (${characteristic.properties.join(',')})`)
      }
      const mtu = await this.negotiatedMtu(p)
      await withTimeout(this.clock, () => characteristic.subscribeAsync(), GATT_TIMEOUT_MS, `subscribe on ${address}`)
      if (disconnected !== null) throw new Error(`disconnected during setup (${disconnected})`)
      p.removeListener('disconnect', onSetupDisconnect)
      this.open(p, characteristic, address, seen.rssi, mtu)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      this.logger.info({ address, reason }, 'connect failed')
      this.hooks.connectFailed(address, reason)
      if (peripheral !== null) {
        peripheral.removeListener('disconnect', onSetupDisconnect)
        const p = peripheral
        await withTimeout(this.clock, () => p.disconnectAsync(), GATT_TIMEOUT_MS, `disconnect ${address}`)
          .catch((e: unknown) => { this.logger.debug({ err: e, address }, 'disconnect after failed setup failed') })
      }
    } finally {
      this.connecting = null
      this.hooks.attemptEnded()
      // Only resume the scan: retrying remembered advertisers waits for the next scan cycle. The resumed
      // scan reports every advertiser in range again, though, so what keeps a peer that fails at once from
      // spinning us in a connect loop is the link manager's backoff (admit), not this.
      if (this.running) void this.setScanning(true)
    }
  }

  private async negotiatedMtu (p: NoblePeripheralLike): Promise<number> {
    // null until the exchange noble starts on connect completes (noble-bleno.md §2.3).
    const known = p.mtu
    const mtu = known ?? await withTimeout(this.clock, new Promise<number>(resolve => { p.once('mtu', resolve) }), MTU_WAIT_MS, 'mtu exchange')
      .catch(() => p.mtu ?? ATT_DEFAULT_MTU)
    return this.options.mtuIsPayload ? mtu : mtu - ATT_HEADER_BYTES
  }

  private cancelConnect (id: string): void {
    try {
      this.noble.cancelConnect(id)
    } catch (error) {
      this.logger.debug({ err: error }, 'cancelConnect failed')
    }
  }

  private open (p: NoblePeripheralLike, characteristic: NobleCharacteristicLike, address: string, rssi: number, payload: number): void {
    const carrier = {
      write: async (frame: Uint8Array): Promise<void> => {
        await characteristic.writeAsync(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), true)
      },
      mtu: (): number => payload,
      disconnect: (): void => {
        const done = withTimeout(this.clock, () => p.disconnectAsync(), GATT_TIMEOUT_MS, `disconnect ${address}`)
          .catch((error: unknown) => { this.logger.debug({ err: error, address }, 'disconnect failed') })
          .finally(() => { this.disconnecting.delete(done) })
        this.disconnecting.add(done)
      },
    }
    const onData = (data: Buffer): void => { link.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) }
    const onDisconnect = (reason: unknown): void => { link.remoteClosed(`disconnected (${String(reason)})`) }
    const link: BleLink = new BleLink(this.hooks.nextLinkId('central', address), { role: 'central', address, rssi },
      carrier, this.clock, this.logger, (ended, reason) => {
        characteristic.removeListener('data', onData)
        p.removeListener('disconnect', onDisconnect)
        this.links.delete(ended.id)
        this.hooks.linkEnded(ended, reason)
      }, this.options.pacing)
    characteristic.on('data', onData)
    p.once('disconnect', onDisconnect)
    this.links.set(link.id, link)
    this.logger.info({ link: link.id, address, mtu: payload }, 'link up (central)')
    this.hooks.linkUp(link)
  }
}
