// Size bounds shared by the packet codec and the compression layer (bitchat-protocol.md §2.1, §6.2).
// Decoders accept what either phone may send; the tighter iOS ceilings are for what we originate.

/** [AND] AppConstants.Protocol.MAX_PAYLOAD_LENGTH: the larger of the two phones' ceilings, so we accept and relay Android media. */
export const MAX_PAYLOAD_BYTES = 10_485_760
/**
 * [iOS] FileTransferLimits.maxFramedFileBytes = 1 MiB + 18 + 2×65535 + 96: iOS drops anything larger
 * (iOS #1629), so frames we originate should stay under it to reach iPhones.
 */
export const IOS_MAX_PAYLOAD_BYTES = 1_048_576 + 18 + 2 * 65_535 + 96
/**
 * Declared-size : DEFLATE-body ratio above which a compressed payload is rejected before inflating.
 * Bitchat uses 50 000:1, but raw DEFLATE cannot exceed ~1032:1 (a 258-byte match per ≥2 bits), so any
 * larger claim can only fail the phones' exact-size check after they have done the work; 1100 keeps a
 * margin for rounding and rejects bombs early.
 */
export const MAX_COMPRESSION_RATIO = 1_100
