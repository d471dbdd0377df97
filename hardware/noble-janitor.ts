// noble never forgets an advertiser. Its HCI layer keeps the last report of every address it ever heard,
// from any device (gap._discoveries, advertisement included). For each advertiser of our service its
// bindings and its core keep an address, a Peripheral and GATT caches. Nothing evicts them (noble/noble#636:
// a scanner next to a few hundred beacons died of it in half a day; abandonware/noble#109: 1.6 MB a day on
// a Pi; noble-bleno.md §4). Phones draw a new random address about every 15 minutes, so a relay that runs
// for weeks meets addresses without end. There is no public call for this, so the janitor reaches into the
// private maps of @stoprocent/noble's HCI bindings. The emulator test checks these names against the real
// library, so an upgrade that renames them fails there, not silently on a Pi.

import type { Logger } from '../src/logger.js'

/** Our choice: an advertiser unheard for one to two of these is forgotten; present ones report every scan (5 s). */
export const NOBLE_SWEEP_MS = 300_000

/** Peripheral states with a connection under way; 'disconnected' and 'error' (a failed connect) have none. */
const BUSY = new Set(['connecting', 'connected', 'disconnecting'])

interface NobleInternals {
  _peripherals: Map<string, { state: string }>
  _cleanupPeriperals: (uuid: string) => void
  _bindings: {
    _gap: { _discoveries: Record<string, object> }
    _addresses: Record<string, unknown>
    _addresseTypes: Record<string, unknown>
    _connectable: Record<string, unknown>
    scannable: Record<string, unknown>
  }
}

/** The private maps this janitor prunes, or null when `noble` is not the HCI build it knows (macOS, a fake). */
function internals (noble: unknown): NobleInternals | null {
  const n = noble as Partial<NobleInternals> | null
  const b = n?._bindings
  const ok = n?._peripherals instanceof Map && typeof n._cleanupPeriperals === 'function' &&
    typeof b?._gap?._discoveries === 'object' && typeof b._addresses === 'object' &&
    typeof b._addresseTypes === 'object' && typeof b._connectable === 'object' && typeof b.scannable === 'object'
  return ok ? n as NobleInternals : null
}

export class NobleJanitor {
  private readonly noble: NobleInternals | null
  /** The report objects present at the last sweep. noble replaces an address's object on every report. */
  private heard = new WeakSet<object>()

  /** `keep(address)`: the central role still means to dial this advertiser. */
  constructor (noble: unknown, private readonly keep: (address: string) => boolean, logger: Logger) {
    this.noble = internals(noble)
    if (this.noble === null) logger.debug('noble has no HCI internals here; advertisers are not pruned')
  }

  /**
   * Forgets every advertiser with no new report since the last sweep, unless it is connected, being
   * connected or kept. Returns how many addresses were forgotten.
   */
  sweep (): number {
    const noble = this.noble
    if (noble === null) return 0
    const b = noble._bindings
    const discoveries = b._gap._discoveries
    const heard = new WeakSet<object>()
    let forgotten = 0
    for (const address of Object.keys(discoveries)) {
      const report = discoveries[address]!
      const id = address.replace(/:/g, '').toLowerCase() // the bindings' addressToId
      const peripheral = noble._peripherals.get(id)
      if (!this.heard.has(report) || this.keep(address) || (peripheral !== undefined && BUSY.has(peripheral.state))) {
        heard.add(report)
        continue
      }
      delete discoveries[address]
      if (peripheral !== undefined) noble._cleanupPeriperals(id)
      for (const map of [b._addresses, b._addresseTypes, b._connectable, b.scannable]) delete map[id]
      forgotten++
    }
    this.heard = heard
    return forgotten
  }
}
