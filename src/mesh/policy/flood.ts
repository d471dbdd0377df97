// Pure flooding: every packet, at once, on every other link, TTL − 1. The baseline the others are measured against.
import type { RelayContext, RelayDecision, RelayPolicy } from './relay-policy.js'

export const floodPolicy: RelayPolicy = {
  name: 'flood',
  fullFanout: true,
  decide (context: RelayContext): RelayDecision | null {
    if (context.links.length === 0) return null
    return { ttl: context.ttl - 1, delayMs: 0, cancelAfterDuplicates: Infinity, links: context.links }
  },
}
