// Bitchat Android's relay rules ([AND] mesh/PacketRelayManager.kt; bitchat-protocol.md §4.2): relay at
// once on every other link with TTL − 1, always while the new TTL is high or the network small, otherwise
// with a probability that falls as the network grows. No cancellation and no jitter (voice frames
// excepted), so its cost is flooding's minus the coin flips.
//
// One difference from the phone is the router's, not this file's: Android re-sends a packet received at
// TTL 1 with TTL 0, while our router (like iOS) never relays at TTL ≤ 1. So here the last hop Android
// would add is missing; its neighbours could not relay a TTL-0 copy anyway, so only nodes exactly one
// hop past the TTL horizon lose the copy.
import { MessageType } from '../../wire/packet-types.js'
import { jitter, type RelayContext, type RelayDecision, type RelayPolicy } from './relay-policy.js'

/** [AND] PacketRelayManager: a relay whose new TTL is at least this is always sent. */
export const ALWAYS_RELAY_MIN_TTL = 4
/** [AND] PacketRelayManager: networks of at most this many peers relay everything. */
export const SMALL_NETWORK_PEERS = 10
/** [AND] PacketRelayManager: relay probability by network size (peers ≤ bound → probability). */
export const RELAY_PROBABILITY_BY_SIZE: ReadonlyArray<readonly [number, number]> = [[30, 0.85], [50, 0.7], [100, 0.55]]
/** [AND] PacketRelayManager: above the last bound. */
export const LARGE_NETWORK_RELAY_PROBABILITY = 0.4
/** [AND] voice frames are the only relays with jitter: 8–25 ms. */
export const VOICE_RELAY_DELAY_MS: readonly [number, number] = [8, 25]
/** [AND] voice TTL is capped at 5 when more than 6 peers are connected. */
export const VOICE_TTL_CAP = 5
export const VOICE_TTL_CAP_ABOVE_DEGREE = 6

/** The probability Android relays a packet whose new TTL is below ALWAYS_RELAY_MIN_TTL. */
export function relayProbability (networkSize: number): number {
  if (networkSize <= SMALL_NETWORK_PEERS) return 1
  for (const [bound, p] of RELAY_PROBABILITY_BY_SIZE) if (networkSize <= bound) return p
  return LARGE_NETWORK_RELAY_PROBABILITY
}

export const bitchatAndroidPolicy: RelayPolicy = {
  name: 'bitchat-android',
  decide (c: RelayContext): RelayDecision | null {
    if (c.links.length === 0) return null
    const voice = c.carriedType === MessageType.voiceFrame
    const ttl = voice && c.degree > VOICE_TTL_CAP_ABOVE_DEGREE ? Math.min(c.ttl, VOICE_TTL_CAP) - 1 : c.ttl - 1
    if (ttl < 1) return null
    if (ttl < ALWAYS_RELAY_MIN_TTL) {
      const p = relayProbability(c.knownPeers)
      if (p < 1 && c.random.next() >= p) return null
    }
    const delayMs = voice ? jitter(c.random, ...VOICE_RELAY_DELAY_MS) : 0
    return { ttl, delayMs, cancelAfterDuplicates: Infinity, links: c.links }
  },
}
