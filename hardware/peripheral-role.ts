// The GATT server side on bleno: advertise only the mesh service UUID (no name, no identifying data), host
// the one characteristic, and turn each subscribed central into a Link. Frames arrive by write and leave by
// notification. bleno 0.12 callbacks take the connection handle first (noble-bleno.md §2.6).
import type { Clock, TimerId } from '../src/clock.js'
import type { Logger } from '../src/logger.js'
import { ATT_HEADER_BYTES, MESH_CHARACTERISTIC, MESH_CHARACTERISTIC_PROPERTIES, MESH_SERVICE } from './gatt-profile.js'
import { awaitDisconnects, BleLink, LINK_INBOUND_HOLD_FRAMES, type LinkPacing } from './ble-link.js'
import type { BlenoLike, ConnectionHandle } from './library-types.js'
import type { Verdict } from './link-policy.js'
import { withTimeout } from './with-timeout.js'

/** Our choice: bleno's GATT and advertising commands answer in milliseconds; 5 s means the controller is gone. */
export const BLENO_CALL_TIMEOUT_MS = 5_000
/**
 * Our choice: how often advertising is re-asserted even when nothing told us it stopped. noble's HCI_Reset
 * on a shared adapter silently stops it (noble-bleno.md §1.4 A) and bleno's own restart after a
 * disconnect ignores errors (§4).
 */
export const ADVERTISING_REARM_MS = 15_000
/** Our choice: let bleno's own restart after accept/disconnect finish before we check on it. */
export const ADVERTISING_SETTLE_MS = 250

/**
 * Our choice: a central that connected but has not subscribed after this long holds a connection slot for
 * nothing (phones subscribe within a second of connecting); it is disconnected.
 */
export const SUBSCRIBE_WAIT_MS = 10_000

/** The ATT result bleno expects for success (bleno lib/characteristic.js RESULT_SUCCESS). */
const ATT_SUCCESS = 0

export interface PeripheralHooks {
  /** Allow/deny and link cap for a central that just connected. */
  admit (address: string): Verdict
  /** A subscribed central became a link. */
  linkUp (link: BleLink): void
  /** A link ended (the transport's bookkeeping; the node hears through the link's own onClose). */
  linkEnded (link: BleLink, reason: string): void
  /** Ids for new links, unique across the transport. */
  nextLinkId (role: 'peripheral', address: string): string
  /** Current ATT MTU of one connection when the library exposes it (private in bleno 0.12). */
  connectionMtu (handle: ConnectionHandle): number | undefined
  /** Disconnects exactly one connection (bleno.disconnect(0) would drop them all). */
  disconnectHandle (handle: ConnectionHandle): void
}

interface Connection {
  address: string
  handle: ConnectionHandle
  link: BleLink | null
  /** Writes that arrived before the central subscribed. */
  early: Uint8Array[]
  /** Disconnects a central that never subscribes; cleared once it does or the connection ends. */
  deadline: TimerId | null
}

export class PeripheralRole {
  private readonly connections = new Map<ConnectionHandle, Connection>()
  private running = false
  private advertising = false
  private rearmTimer: TimerId | null = null
  private rearming: Promise<void> | null = null
  private readonly listeners: Array<[string, (...args: any[]) => void]> = []
  /** Disconnects we asked for on stop, by handle, until the controller confirms them. */
  private readonly departing = new Map<ConnectionHandle, () => void>()

  constructor (
    private readonly bleno: BlenoLike,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly hooks: PeripheralHooks,
    private readonly pacing?: LinkPacing,
    private readonly rearmMs = ADVERTISING_REARM_MS,
  ) {}

  get address (): string {
    return this.bleno.address
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.listen('accept', (address: string, handle: ConnectionHandle) => { this.onAccept(address, handle) })
    this.listen('disconnect', (address: string, handle: ConnectionHandle) => { this.onDisconnect(address, handle) })
    this.listen('advertisingStartError', (error: Error) => {
      this.logger.warn({ err: error }, 'advertising failed to start; re-arming')
      this.scheduleRearm(ADVERTISING_SETTLE_MS)
    })
    const characteristic = new this.bleno.Characteristic({
      uuid: MESH_CHARACTERISTIC,
      properties: MESH_CHARACTERISTIC_PROPERTIES,
      // Bitchat declares read but serves no data on it ([iOS]/[AND], bitchat-protocol.md §1).
      onReadRequest: (_handle, _offset, callback) => { callback(ATT_SUCCESS, Buffer.alloc(0)) },
      onWriteRequest: (handle, data, _offset, _withoutResponse, callback) => {
        // Answer first: a with-response write must not wait on the node (iOS answers every request at once).
        callback(ATT_SUCCESS)
        this.onWrite(handle, data)
      },
      // Our own map of update callbacks, so passing onSubscribe here does not break anything we use
      // (it replaces bleno's bookkeeping that Characteristic.notify relies on: noble-bleno.md §2.6).
      onSubscribe: (handle, maxValueSize, update) => { this.onSubscribe(handle, maxValueSize, update) },
      onUnsubscribe: (handle) => { this.onUnsubscribe(handle) },
    })
    const service = new this.bleno.PrimaryService({ uuid: MESH_SERVICE, characteristics: [characteristic] })
    await withTimeout(this.clock, () => this.bleno.setServicesAsync([service]), BLENO_CALL_TIMEOUT_MS, 'bleno setServices')
    await this.startAdvertising()
    // A failed first start has already asked for a quick retry; the periodic re-arm follows that one.
    if (this.rearmTimer === null) this.scheduleRearm(this.rearmMs)
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    if (this.rearmTimer !== null) this.clock.clearTimer(this.rearmTimer)
    this.rearmTimer = null
    if (this.advertising) {
      this.advertising = false
      await withTimeout(this.clock, () => this.bleno.stopAdvertisingAsync(), BLENO_CALL_TIMEOUT_MS, 'bleno stopAdvertising')
        .catch((error: unknown) => { this.logger.debug({ err: error }, 'stopAdvertising on stop failed') })
    }
    const confirmed = [...this.connections.values()].map(async connection => {
      const gone = new Promise<void>(resolve => { this.departing.set(connection.handle, resolve) })
      // Drop first, as BleLink.close ends first: a library that reports the disconnect synchronously must not
      // get to name the reason ("disconnected by central" would misreport our own stop).
      this.drop(connection, 'transport stopped')
      this.hooks.disconnectHandle(connection.handle)
      await gone
    })
    await awaitDisconnects(this.clock, this.logger, confirmed)
    this.departing.clear()
    for (const [event, listener] of this.listeners.splice(0)) this.bleno.removeListener(event, listener)
  }

  /**
   * Stops and restarts advertising, verifying the controller took it. Called on a timer, after every
   * central-role connect on a shared adapter, and when bleno reports an error.
   */
  async rearmAdvertising (): Promise<void> {
    if (!this.running) return
    if (this.rearming !== null) return await this.rearming
    this.rearming = (async () => {
      try {
        await withTimeout(this.clock, () => this.bleno.stopAdvertisingAsync(), BLENO_CALL_TIMEOUT_MS, 'bleno stopAdvertising')
      } catch (error) {
        this.logger.debug({ err: error }, 'stopAdvertising before re-arm failed')
      }
      if (!this.running) return
      await this.startAdvertising()
    })().finally(() => { this.rearming = null })
    await this.rearming
  }

  /** Connections accepted, subscribed or not. */
  get connectionCount (): number {
    return this.connections.size
  }

  private async startAdvertising (): Promise<void> {
    try {
      // An empty name puts only the flags and the service UUID in the advertisement, leaves the scan
      // response empty, and blanks bleno's GAP device name (otherwise the host name: bleno gatt.js).
      await withTimeout(this.clock, () => this.bleno.startAdvertisingAsync('', [MESH_SERVICE]), BLENO_CALL_TIMEOUT_MS, 'bleno startAdvertising')
      this.advertising = true
      this.logger.debug('advertising the mesh service')
    } catch (error) {
      this.advertising = false
      this.logger.warn({ err: error }, 'advertising did not start; retrying on the next re-arm')
      if (this.running) this.scheduleRearm(ADVERTISING_SETTLE_MS * 4)
    }
  }

  private scheduleRearm (ms: number): void {
    if (!this.running) return
    if (this.rearmTimer !== null) this.clock.clearTimer(this.rearmTimer)
    this.rearmTimer = this.clock.setTimer(ms, () => {
      this.rearmTimer = null
      void this.rearmAdvertising().finally(() => {
        if (this.running && this.rearmTimer === null) this.scheduleRearm(this.rearmMs)
      })
    })
  }

  private listen (event: string, listener: (...args: any[]) => void): void {
    this.bleno.on(event, listener)
    this.listeners.push([event, listener])
  }

  private onAccept (address: string, handle: ConnectionHandle): void {
    const verdict = this.hooks.admit(address)
    if (!verdict.ok) {
      this.logger.info({ address, handle, reason: verdict.reason }, 'refusing central')
      this.hooks.disconnectHandle(handle)
      return
    }
    this.logger.debug({ address, handle }, 'central connected')
    const connection: Connection = { address, handle, link: null, early: [], deadline: null }
    this.connections.set(handle, connection)
    connection.deadline = this.clock.setTimer(SUBSCRIBE_WAIT_MS, () => {
      connection.deadline = null
      // A controller that reused the handle without reporting the disconnect: the handle is another's now.
      if (this.connections.get(handle) !== connection) return
      this.logger.info({ address, handle }, 'central never subscribed; disconnecting')
      this.forget(connection)
      this.hooks.disconnectHandle(handle)
    })
    // bleno restarts advertising after accept and ignores errors; check on it once it settled.
    this.scheduleRearm(ADVERTISING_SETTLE_MS)
  }

  private onDisconnect (address: string, handle: ConnectionHandle): void {
    this.departing.get(handle)?.()
    this.departing.delete(handle)
    const connection = this.connections.get(handle)
    if (connection === undefined) return
    this.logger.debug({ address, handle }, 'central disconnected')
    this.drop(connection, 'disconnected by central')
    this.scheduleRearm(ADVERTISING_SETTLE_MS)
  }

  private onSubscribe (handle: ConnectionHandle, maxValueSize: number, update: (data: Buffer) => void): void {
    const connection = this.connections.get(handle)
    if (connection === undefined || connection.link !== null) return
    const carrier = {
      write: async (frame: Uint8Array): Promise<void> => {
        // bleno throws (TypeError) when the connection vanished under us; that becomes a failed write.
        update(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength))
      },
      // The per-connection MTU can grow after subscribe; maxValueSize is the value at subscribe time.
      mtu: (): number => {
        const mtu = this.hooks.connectionMtu(handle)
        return mtu === undefined ? maxValueSize : Math.max(maxValueSize, mtu - ATT_HEADER_BYTES)
      },
      disconnect: (): void => { this.hooks.disconnectHandle(handle) },
    }
    const link = new BleLink(this.hooks.nextLinkId('peripheral', connection.address),
      { role: 'peripheral', address: connection.address }, carrier, this.clock, this.logger,
      (ended, reason) => { this.onLinkEnded(connection, ended, reason) }, this.pacing)
    connection.link = link
    this.clearDeadline(connection)
    for (const frame of connection.early.splice(0)) link.receive(frame)
    this.logger.info({ link: link.id, address: connection.address, mtu: link.mtu }, 'link up (peripheral)')
    this.hooks.linkUp(link)
  }

  private onUnsubscribe (handle: ConnectionHandle): void {
    const connection = this.connections.get(handle)
    if (connection?.link == null) return
    // Without a subscription we cannot reach the central; the link is over.
    connection.link.close('central unsubscribed')
  }

  private onWrite (handle: ConnectionHandle, data: Buffer): void {
    const connection = this.connections.get(handle)
    if (connection === undefined) return
    const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    if (connection.link !== null) {
      connection.link.receive(frame)
    } else if (connection.early.length < LINK_INBOUND_HOLD_FRAMES) {
      connection.early.push(frame)
    }
  }

  private drop (connection: Connection, reason: string): void {
    this.forget(connection)
    connection.link?.remoteClosed(reason)
  }

  private onLinkEnded (connection: Connection, link: BleLink, reason: string): void {
    this.forget(connection)
    this.hooks.linkEnded(link, reason)
  }

  private forget (connection: Connection): void {
    this.clearDeadline(connection)
    if (this.connections.get(connection.handle) === connection) this.connections.delete(connection.handle)
  }

  private clearDeadline (connection: Connection): void {
    if (connection.deadline === null) return
    this.clock.clearTimer(connection.deadline)
    connection.deadline = null
  }
}
