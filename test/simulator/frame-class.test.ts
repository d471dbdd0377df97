import { describe, expect, test } from 'vitest'
import { isApplicationType } from '../../simulator/frame-class.js'
import { MessageType } from '../../src/wire/packet-types.js'

describe('frame-class', () => {
  test('isApplicationType — messages, private, file, voice and courier traffic are application; announces and sync are control', () => {
    expect([MessageType.message, MessageType.noiseEncrypted, MessageType.fileTransfer, MessageType.voiceFrame, MessageType.courierEnvelope].map(isApplicationType)).toEqual([true, true, true, true, true])
    expect([MessageType.announce, MessageType.leave, MessageType.noiseHandshake, MessageType.requestSync].some(isApplicationType)).toBe(false)
  })
})
