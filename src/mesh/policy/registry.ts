// Relay policies by name, for people choosing one (`blemesh node --policy`, `blemesh sim --policy`) and for
// `--compare`, which runs every entry. Registering one more is one line here.
import { adaptivePolicy } from './adaptive.js'
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

/** Throws a RangeError naming the known policies for an unknown name (a usage error, not bad input). */
export function relayPolicyByName (name: string): RelayPolicy {
  const policy = RELAY_POLICIES[name]
  if (policy === undefined) throw new RangeError(`unknown policy '${name}' (known: ${Object.keys(RELAY_POLICIES).join(', ')})`)
  return policy
}
