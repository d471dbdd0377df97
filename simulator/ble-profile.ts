// What kind of device a node is, as far as the BLE link model cares: how many links it holds, its ATT MTU,
// the connection intervals it accepts and its advertising and scanning rhythm.

/** Bitchat advertising interval used here (issue "Simulator": advertising every 100 ms). */
export const ADVERTISING_INTERVAL_MS = 100
/** BLE adds 0–10 ms of random advDelay to each advertising event (Core spec Vol 6 Part B §4.4.2.2.1). */
export const ADVERTISING_DELAY_MAX_MS = 10
/**
 * How a device scans. Our own nodes never pause (hardware/central-role.ts restarts the scan every 5 s);
 * Android runs a fixed duty cycle; iOS picks its rhythm from its links and recent traffic
 * ([iOS] BLEScanDutyPolicy: continuous with ≤ 2 links or a packet heard in the last 10 s, otherwise
 * 5 s on / 10 s off, or 3 s on / 15 s off from 6 links).
 */
export type ScanRhythm = 'continuous' | 'android' | 'ios'
/** Continuous scanning, taken in back-to-back windows of this length (our choice: iOS's sparse window). */
export const CONTINUOUS_SCAN_WINDOW_MS = 5_000
/** [iOS] TransportConfig.bleDutyOnDuration / bleDutyOffDuration. */
export const IOS_SCAN_ON_MS = 5_000
export const IOS_SCAN_OFF_MS = 10_000
/** [iOS] TransportConfig.bleDutyOnDurationDense / bleDutyOffDurationDense, from bleHighDegreeThreshold links. */
export const IOS_DENSE_SCAN_ON_MS = 3_000
export const IOS_DENSE_SCAN_OFF_MS = 15_000
export const IOS_DENSE_LINKS = 6
/** [iOS] BLEScanDutyPolicy: up to this many links, scanning never pauses. */
export const IOS_CONTINUOUS_MAX_LINKS = 2
/** [iOS] TransportConfig.bleRecentTrafficForceScanSeconds: a packet heard this recently keeps scanning on. */
export const IOS_RECENT_TRAFFIC_MS = 10_000
/** Android scan duty cycle, 8 s on / 2 s off (bitchat-protocol.md §1, AppConstants.Power). */
export const ANDROID_SCAN_ON_MS = 8_000
export const ANDROID_SCAN_OFF_MS = 2_000

/**
 * The next scan window and the pause after it, for a device with `links` links that last heard a frame
 * `sinceTrafficMs` ago. Chosen as each window opens: traffic that arrives during a pause ends it only at
 * the next window (iOS re-plans sooner, on its own events).
 */
export function scanWindow (rhythm: ScanRhythm, links: number, sinceTrafficMs: number): { onMs: number, offMs: number } {
  if (rhythm === 'android') return { onMs: ANDROID_SCAN_ON_MS, offMs: ANDROID_SCAN_OFF_MS }
  if (rhythm === 'continuous' || links <= IOS_CONTINUOUS_MAX_LINKS || sinceTrafficMs <= IOS_RECENT_TRAFFIC_MS) return { onMs: CONTINUOUS_SCAN_WINDOW_MS, offMs: 0 }
  return links >= IOS_DENSE_LINKS ? { onMs: IOS_DENSE_SCAN_ON_MS, offMs: IOS_DENSE_SCAN_OFF_MS } : { onMs: IOS_SCAN_ON_MS, offMs: IOS_SCAN_OFF_MS }
}

/** Connection set-up after discovery, 50–500 ms (issue "Simulator", starting default). */
export const CONNECT_SETUP_MIN_MS = 50
export const CONNECT_SETUP_MAX_MS = 500
/** Apple's floor on the connection interval is 15 ms; 30 ms is a common upper choice (research §5). */
export const CONNECTION_INTERVAL_MIN_MS = 15
export const CONNECTION_INTERVAL_MAX_MS = 30
/** Link-layer packets per connection event per direction (issue "Simulator", starting default). */
export const PACKETS_PER_EVENT = 4
/** ATT_MTU iOS usually grants (issue "Simulator": MTU 185 on iOS). */
export const IOS_ATT_MTU = 185
/** Android requests 517 (bitchat-protocol.md §1: requestMtu(517)); Bitchat fragments above 512 anyway. */
export const ANDROID_ATT_MTU = 517
/** ATT header bytes: a write or notification carries ATT_MTU − 3 bytes. */
export const ATT_HEADER_BYTES = 3
/**
 * Frames the sending side will hold per link before `send` says full: four connection events' worth
 * (our choice; CoreBluetooth's write-without-response queue is of the same order).
 */
export const LINK_QUEUE_FRAMES = 16

export interface BleProfile {
  name: string
  /** Concurrent links (as central and peripheral together). */
  maxLinks: number
  attMtu: number
  scan: ScanRhythm
  connectionIntervalMinMs: number
  connectionIntervalMaxMs: number
  packetsPerEvent: number
  queueFrames: number
}

const COMMON = {
  connectionIntervalMinMs: CONNECTION_INTERVAL_MIN_MS,
  connectionIntervalMaxMs: CONNECTION_INTERVAL_MAX_MS,
  packetsPerEvent: PACKETS_PER_EVENT,
  queueFrames: LINK_QUEUE_FRAMES,
}

/**
 * Link caps: Android "generally 7", Bitchat iOS 6 centrals (≈ 7 with a peripheral link), noble on a
 * Raspberry Pi ≈ 5–6 (flooding-and-simulation.md §5; issue "Simulator": phone ≈ 7, Pi ≈ 6, laptop ≈ 7).
 */
export const PROFILES: Record<string, BleProfile> = {
  phone: { name: 'phone', maxLinks: 7, attMtu: IOS_ATT_MTU, scan: 'ios', ...COMMON },
  android: { name: 'android', maxLinks: 7, attMtu: ANDROID_ATT_MTU, scan: 'android', ...COMMON },
  pi: { name: 'pi', maxLinks: 6, attMtu: ANDROID_ATT_MTU, scan: 'continuous', ...COMMON },
  laptop: { name: 'laptop', maxLinks: 7, attMtu: ANDROID_ATT_MTU, scan: 'continuous', ...COMMON },
}

/** Whether `name` is a profile (an own key: 'toString' and 'constructor' are not profiles). */
export function isProfileName (name: string): boolean {
  return Object.hasOwn(PROFILES, name)
}

export function profileByName (name: string): BleProfile {
  const profile = isProfileName(name) ? PROFILES[name] : undefined
  if (profile === undefined) throw new Error(`unknown radio profile '${name}' (known: ${Object.keys(PROFILES).join(', ')})`)
  return profile
}
