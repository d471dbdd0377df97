// Bitchat iOS's relay rules ([iOS] Services/RelayController.swift, BLE/BLEFanoutSelector.swift,
// TransportConfig.swift; bitchat-protocol.md §4.1): degree-aware TTL caps and jitter windows, cancel a
// waiting relay on the first duplicate above two neighbours, and for broadcasts a message-seeded subset of
// about log₂(n) links in each role. The default until the simulator finds a better one.
import type { Link } from '../link.js'
import { MessageType } from '../../wire/packet-types.js'
import { jitter, type RelayContext, type RelayDecision, type RelayPolicy } from './relay-policy.js'

/** [iOS] TransportConfig.bleHighDegreeThreshold. */
export const HIGH_DEGREE_THRESHOLD = 6
/** [iOS] RelayController: at degree ≤ 2 a broadcast keeps its full TTL and relays are never cancelled. */
export const SPARSE_DEGREE = 2
/** [iOS] RelayController: broadcast TTL cap in dense meshes, and the floor of any broadcast limit. */
export const DENSE_BROADCAST_TTL_CAP = 5
export const MIN_BROADCAST_TTL_LIMIT = 2
/** [iOS] RelayController: non-announce broadcasts are capped at 6 in mid-degree meshes (announces keep 7). */
export const MID_DEGREE_BROADCAST_TTL_CAP = 6
export const ANNOUNCE_TTL_CAP = 7
/** [iOS] TransportConfig.bleFragmentRelayTtlCap (dense meshes) and bleFragmentRelayMin/MaxDelayMs. */
export const FRAGMENT_RELAY_TTL_CAP = 5
export const FRAGMENT_RELAY_DELAY_MS: readonly [number, number] = [8, 25]
/** [iOS] RelayController: handshakes 10–35 ms, other directed traffic 20–60 ms. */
export const HANDSHAKE_RELAY_DELAY_MS: readonly [number, number] = [10, 35]
export const DIRECTED_RELAY_DELAY_MS: readonly [number, number] = [20, 60]
/** [iOS] RelayController: broadcast jitter windows by degree (0–2, 3–5, 6–9, ≥ 10). */
export const BROADCAST_RELAY_DELAY_MS: ReadonlyArray<readonly [number, number]> = [[10, 40], [60, 150], [80, 180], [100, 220]]
/** [iOS] RelayController: a scheduled relay is dropped when one more copy is heard (if degree > 2). */
export const CANCEL_AFTER_DUPLICATES = 1

function broadcastWindow (degree: number): readonly [number, number] {
  if (degree <= SPARSE_DEGREE) return BROADCAST_RELAY_DELAY_MS[0]!
  if (degree < HIGH_DEGREE_THRESHOLD) return BROADCAST_RELAY_DELAY_MS[1]!
  if (degree < 10) return BROADCAST_RELAY_DELAY_MS[2]!
  return BROADCAST_RELAY_DELAY_MS[3]!
}

/** [iOS] BLEFanoutSelector.subsetSize: all links up to 2, then bitLength(count − 1) + 1. */
export function fanoutSize (count: number): number {
  if (count <= 2) return count
  let value = count - 1
  let bits = 0
  while (value > 0) { value >>>= 1; bits++ }
  return Math.min(count, Math.max(1, bits + 1))
}

/** FNV-1a of each link's ID, computed once per link: the subset is chosen on every relay. */
const linkHashes = new WeakMap<Link, number>()
function linkHash (link: Link): number {
  let h = linkHashes.get(link)
  if (h === undefined) {
    h = 0x811c9dc5
    const id = link.id
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
    h >>>= 0
    linkHashes.set(link, h)
  }
  return h
}

let scores = new Float64Array(16)

/**
 * The k links with the lowest score mix(seed, link): every relay of the same packet through this node
 * picks the same links ([iOS] BLEFanoutSelector.deterministicSubset, with a 32-bit mix instead of SHA-256).
 * Selection by repeated minimum: k is about log₂(degree), so this beats sorting and allocates one array.
 */
export function deterministicSubset (links: readonly Link[], k: number, seed: number): readonly Link[] {
  const n = links.length
  if (k >= n) return links
  if (scores.length < n) scores = new Float64Array(n * 2)
  for (let i = 0; i < n; i++) {
    let h = (seed ^ linkHash(links[i]!)) >>> 0
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    scores[i] = (h ^ (h >>> 16)) >>> 0
  }
  const out = new Array<Link>(k)
  for (let j = 0; j < k; j++) {
    let best = 0
    for (let i = 1; i < n; i++) if (scores[i]! < scores[best]!) best = i
    out[j] = links[best]!
    scores[best] = Infinity
  }
  return out
}

/**
 * [iOS] BLEFanoutSelector.selectLinks: the links we opened (to their peripherals) and the links they opened
 * (centrals subscribed to us) are two lists, and each gets a subset of its own size. fanoutSize keeps up to
 * 3 links whole, so of a phone's 5–6 candidate links some are dropped only where one role holds 4 or more
 * (1 of 4, 1 of 5, 2 of 6); one subset over all of them would drop 1–2. A link without a role (in memory)
 * counts as one they opened.
 */
export function fanoutSubset (links: readonly Link[], seed: number): readonly Link[] {
  let opened = 0
  for (const link of links) if (link.info.role === 'central') opened++
  const other = links.length - opened
  if (fanoutSize(opened) >= opened && fanoutSize(other) >= other) return links
  const ours = links.filter(link => link.info.role === 'central')
  const theirs = links.filter(link => link.info.role !== 'central')
  return [...deterministicSubset(ours, fanoutSize(opened), seed), ...deterministicSubset(theirs, fanoutSize(other), seed)]
}

export const bitchatIosPolicy: RelayPolicy = {
  name: 'bitchat-ios',
  decide (c: RelayContext): RelayDecision | null {
    if (c.links.length === 0) return null
    const cancel = c.degree > SPARSE_DEGREE ? CANCEL_AFTER_DUPLICATES : Infinity
    if (c.type === MessageType.noiseHandshake) {
      return { ttl: c.ttl - 1, delayMs: jitter(c.random, ...HANDSHAKE_RELAY_DELAY_MS), cancelAfterDuplicates: cancel, links: c.links }
    }
    if (c.directed) {
      return { ttl: c.ttl - 1, delayMs: jitter(c.random, ...DIRECTED_RELAY_DELAY_MS), cancelAfterDuplicates: cancel, links: c.links }
    }
    if (c.type === MessageType.fragment || c.type === MessageType.voiceFrame) {
      const cap = c.degree < HIGH_DEGREE_THRESHOLD ? ANNOUNCE_TTL_CAP : FRAGMENT_RELAY_TTL_CAP
      const ttl = Math.min(c.ttl, cap) - 1
      if (ttl < 1) return null
      return { ttl, delayMs: jitter(c.random, ...FRAGMENT_RELAY_DELAY_MS), cancelAfterDuplicates: cancel, links: c.links }
    }
    let limit: number
    if (c.degree >= HIGH_DEGREE_THRESHOLD) limit = Math.max(MIN_BROADCAST_TTL_LIMIT, Math.min(c.ttl, DENSE_BROADCAST_TTL_CAP))
    else if (c.degree <= SPARSE_DEGREE) limit = c.ttl
    else limit = Math.max(MIN_BROADCAST_TTL_LIMIT, Math.min(c.ttl, c.type === MessageType.announce ? ANNOUNCE_TTL_CAP : MID_DEGREE_BROADCAST_TTL_CAP))
    const fullFanout = c.type === MessageType.announce || c.type === MessageType.requestSync
    const links = fullFanout ? c.links : fanoutSubset(c.links, c.seed)
    return { ttl: limit - 1, delayMs: jitter(c.random, ...broadcastWindow(c.degree)), cancelAfterDuplicates: cancel, links }
  },
}
