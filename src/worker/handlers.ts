// What processing means for a source: its handler (by type, then '*'), or nothing (processed with a note).
import type { Config, Handler } from '../config.ts'
import type { ProcessFn } from './run-event.ts'

/** Finds the handler for an event: handlers[source][type], then handlers[source]['*']. */
export function findHandler(handlers: Config['handlers'], source: string, type: string | null): Handler | undefined {
  const bySource = handlers[source]
  if (!bySource) return undefined
  return (type !== null ? bySource[type] : undefined) ?? bySource['*']
}

/** The ProcessFn built from the config's handlers. */
export function createProcess(config: Pick<Config, 'handlers'>): ProcessFn {
  return async (event, ctx) => {
    const handler = findHandler(config.handlers, event.source, event.type)
    if (!handler) return { note: `no handler configured for ${event.source}/${event.type ?? '(no type)'}; marked processed` }
    await handler(event, ctx)
  }
}
