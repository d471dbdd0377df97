// What a frame on a link is for: application payload or control traffic, by the type it carries
// (`carriedType` in wire/packet reads that from the header without decoding; the link model must stay cheap).
import { MessageType } from '../src/wire/packet-types.js'

/** Application payload rather than control: public and private messages, files, voice, courier envelopes. */
export function isApplicationType (type: number): boolean {
  return type === MessageType.message || type === MessageType.noiseEncrypted || type === MessageType.fileTransfer ||
    type === MessageType.voiceFrame || type === MessageType.courierEnvelope
}
