// The relay policies a simulation can run, by name. Registering one more is one line here; `--compare`
// runs every entry on the same topology, traffic and seed.
import { adaptivePolicy } from '../src/mesh/policy/adaptive.js'
import { bitchatAndroidPolicy } from '../src/mesh/policy/bitchat-android.js'
import { bitchatIosPolicy } from '../src/mesh/policy/bitchat-ios.js'
import { floodPolicy } from '../src/mesh/policy/flood.js'
import type { RelayPolicy } from '../src/mesh/policy/relay-policy.js'

export const POLICIES: Record<string, RelayPolicy> = {
  flood: floodPolicy,
  'bitchat-ios': bitchatIosPolicy,
  'bitchat-android': bitchatAndroidPolicy,
  adaptive: adaptivePolicy,
}

/** The policy a scenario runs when it names none. */
export const DEFAULT_POLICY = 'adaptive'

export function policyByName (name: string): RelayPolicy {
  const policy = POLICIES[name]
  if (policy === undefined) throw new Error(`unknown policy '${name}' (known: ${Object.keys(POLICIES).join(', ')})`)
  return policy
}
