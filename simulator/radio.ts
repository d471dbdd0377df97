// The radio between two virtual nodes: log-distance path loss with per-pair log-normal shadowing gives an
// RSSI; the RSSI decides whether two nodes may connect (the gate) and how often a link-layer packet
// must be resent (loss rising as the margin shrinks).

/** Path-loss exponent; 2 is free space, 2.7–3.5 is indoor/urban (issue "Simulator", starting default). */
export const PATH_LOSS_EXPONENT = 2.7
/** RSSI at 1 m: the usual iBeacon/phone "measured power" at 0 dBm TX (issue "Simulator", starting default). */
export const RSSI_AT_1M_DBM = -59
/** Standard deviation of per-pair log-normal shadowing (issue "Simulator", starting default). */
export const SHADOWING_SIGMA_DB = 4
/** Bitchat iOS connects to nothing weaker (bitchat-protocol.md §1: TransportConfig RSSI gate −90 default). */
export const LINK_GATE_DBM = -90
/**
 * RSSI at which half the link-layer packets fail. Phone BLE receivers are rated around −95…−97 dBm at
 * 1M PHY (our assumption from common datasheets); the gate sits 5 dB above, so links it admits lose ≲ 8 %.
 */
export const HALF_LOSS_DBM = -95
/** Width of the logistic loss curve: 2 dB per e-fold (our choice; a steep waterfall like real receivers). */
export const LOSS_SLOPE_DB = 2
/** A link whose RSSI has stayed below the gate for this long breaks (iOS supervision timeouts are 2–6 s). */
export const LINK_BREAK_AFTER_MS = 4_000

export interface RadioParams {
  pathLossExponent: number
  rssiAt1mDbm: number
  shadowingSigmaDb: number
  gateDbm: number
  halfLossDbm: number
  lossSlopeDb: number
  /** Extra independent loss per link-layer attempt, for stress runs (0 by default). */
  extraLoss: number
}

export const DEFAULT_RADIO: RadioParams = {
  pathLossExponent: PATH_LOSS_EXPONENT,
  rssiAt1mDbm: RSSI_AT_1M_DBM,
  shadowingSigmaDb: SHADOWING_SIGMA_DB,
  gateDbm: LINK_GATE_DBM,
  halfLossDbm: HALF_LOSS_DBM,
  lossSlopeDb: LOSS_SLOPE_DB,
  extraLoss: 0,
}

/** Mean RSSI at `distanceM` without shadowing; distances under 1 m count as 1 m. */
export function meanRssiDbm (params: RadioParams, distanceM: number): number {
  return params.rssiAt1mDbm - 10 * params.pathLossExponent * Math.log10(distanceM > 1 ? distanceM : 1)
}

/** Distance at which the mean RSSI equals `rssiDbm`. */
export function rangeAtDbm (params: RadioParams, rssiDbm: number): number {
  return Math.pow(10, (params.rssiAt1mDbm - rssiDbm) / (10 * params.pathLossExponent))
}

/**
 * Area in which a node is heard above the gate, on average, with shadowing included:
 * π r₀² · exp(2 (σ/η)²) where η = 10 n / ln 10 (the log-normal shadowing area correction).
 */
export function effectiveCoverageArea (params: RadioParams): number {
  const r0 = rangeAtDbm(params, params.gateDbm)
  const eta = 10 * params.pathLossExponent / Math.LN10
  const s = params.shadowingSigmaDb / eta
  return Math.PI * r0 * r0 * Math.exp(2 * s * s)
}

/** Farthest distance at which shadowing (capped at +4σ) can still lift a pair above the gate. */
export function maxLinkRange (params: RadioParams): number {
  return rangeAtDbm(params, params.gateDbm - 4 * params.shadowingSigmaDb)
}

/**
 * Shadowing of the pair {i, j} in dB: the same for both directions and for the whole run, drawn from a
 * hash of (seed, pair) so it needs no storage (100 000 nodes would otherwise need a table of pairs).
 */
export function pairShadowingDb (params: RadioParams, seed: number, i: number, j: number): number {
  if (params.shadowingSigmaDb === 0) return 0
  const lo = i < j ? i : j
  const hi = i < j ? j : i
  const u1 = (mix32(seed ^ Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) + 0.5) / 4294967296
  const u2 = (mix32(seed + 0x6a09e667 ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(lo, 0xc2b2ae3d)) + 0.5) / 4294967296
  // Box–Muller, clamped to ±4σ so the max-range search above stays exact.
  let z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
  if (z > 4) z = 4
  else if (z < -4) z = -4
  return z * params.shadowingSigmaDb
}

/** RSSI between nodes i and j at `distanceM`. */
export function pairRssiDbm (params: RadioParams, seed: number, i: number, j: number, distanceM: number): number {
  return meanRssiDbm(params, distanceM) + pairShadowingDb(params, seed, i, j)
}

/** Probability that one link-layer packet attempt fails at `rssiDbm` (logistic in the margin). */
export function attemptLossProbability (params: RadioParams, rssiDbm: number): number {
  const p = 1 / (1 + Math.exp((rssiDbm - params.halfLossDbm) / params.lossSlopeDb))
  return params.extraLoss > 0 ? 1 - (1 - p) * (1 - params.extraLoss) : p
}

/** murmur3 finalizer: a cheap, well-spread 32-bit mix. */
export function mix32 (x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}
