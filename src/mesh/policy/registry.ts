// Relay policies by name, for people choosing one (`blemesh node --policy`, `blemesh sim --policy`) and for
// `--compare`, which runs every entry. Registering one more is one line here.
import { adaptivePolicy, createAdaptivePolicy } from './adaptive.js'
import { bitchatAndroidPolicy } from './bitchat-android.js'
import { bitchatIosPolicy } from './bitchat-ios.js'
import { floodPolicy } from './flood.js'
import type { RelayPolicy } from './relay-policy.js'

export const RELAY_POLICIES: Readonly<Record<string, RelayPolicy>> = {
  flood: floodPolicy,
  'bitchat-ios': bitchatIosPolicy,
  'bitchat-android': bitchatAndroidPolicy,
  adaptive: adaptivePolicy,
}

/** The node's default (createNode), chosen by the measurements in docs/policies.md. */
export const DEFAULT_RELAY_POLICY = 'adaptive'

/** Whether `name` is a registered policy (an own key: 'toString' and 'constructor' are not policies). */
export function isRelayPolicyName (name: string): boolean {
  return Object.hasOwn(RELAY_POLICIES, name)
}

/** Throws a RangeError naming the known policies for an unknown name (a usage error, not bad input). */
export function relayPolicyByName (name: string): RelayPolicy {
  const policy = isRelayPolicyName(name) ? RELAY_POLICIES[name] : undefined
  if (policy === undefined) throw new RangeError(`unknown policy '${name}' (known: ${Object.keys(RELAY_POLICIES).join(', ')})`)
  return policy
}

/** The name `relayPolicyWithoutTwoHopSkip('adaptive')` gives its policy, so summaries say which ran. */
export const ADAPTIVE_WITHOUT_TWO_HOP_SKIP = 'adaptive-no-two-hop-skip'

/**
 * `relayPolicyByName` with the two-hop skip (router step 11) turned off where a policy asks for it; only
 * `adaptive` does. For an operator who would rather not rely on what neighbours say they relay: a neighbour
 * that claims full fanout and then drops traffic starves the neighbours we share with it
 * (docs/policies.md, "Two-hop skip"). It costs frames, not delivery.
 */
export function relayPolicyWithoutTwoHopSkip (name: string): RelayPolicy {
  const policy = relayPolicyByName(name)
  return policy === adaptivePolicy ? createAdaptivePolicy({ twoHopSkip: false }, ADAPTIVE_WITHOUT_TWO_HOP_SKIP) : policy
}
