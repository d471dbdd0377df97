import { nobleCrypto } from '../../src/crypto/noble-provider.js'
import { describeProvider } from './provider-suite.js'

describeProvider(nobleCrypto)
