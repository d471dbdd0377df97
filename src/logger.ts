// The core depends on pino's type only; cli/ and simulator/ create the real loggers.
export type { Logger } from 'pino'
