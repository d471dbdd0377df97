// fast-check's default size ('small') caps every generated array, byte string and text at about 10
// elements whatever `maxLength` a test asks for: a 2 100-byte frame test saw at most 10 bytes, and a
// 300-operation model test at most 10 operations. 'xlarge' lets lengths range up to each `maxLength`, so a
// property covers the inputs it names. Every length-bearing arbitrary in test/ states its `maxLength`.
import fc from 'fast-check'

fc.configureGlobal({ ...fc.readConfigureGlobal(), baseSize: 'xlarge' })
