import pino, { type Logger } from 'pino'

/** JSON logs; pretty when stdout is a terminal. Secrets never reach a log line (see redact). */
export function createLogger(level = 'info', options: { pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const pretty = options.pretty ?? process.stdout.isTTY === true
  const base = {
    level,
    base: undefined,
    redact: { paths: ['secret', 'secrets', 'token', 'password', '*.secret', '*.secrets', '*.token', '*.password', 'headers.authorization', 'headers.cookie'], censor: '[redacted]' },
  }
  if (pretty && !options.destination) return pino({ ...base, transport: { target: 'pino-pretty', options: { ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' } } })
  return options.destination ? pino(base, options.destination as pino.DestinationStream) : pino(base)
}

export type { Logger }
