// The relay policies a simulation can run are the core's registry; `--compare` runs every entry on the same
// topology, traffic and seed.
export {
  RELAY_POLICIES as POLICIES,
  DEFAULT_RELAY_POLICY as DEFAULT_POLICY,
  relayPolicyByName as policyByName,
  isRelayPolicyName,
  relayPolicyWithoutTwoHopSkip,
  ADAPTIVE_WITHOUT_TWO_HOP_SKIP,
} from '../src/mesh/policy/registry.js'
