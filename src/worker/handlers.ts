// What processing means for a source, chosen from its config:
// - a handler only (handlers[source][type], then handlers[source]['*']): the handler runs;
// - `forward` only: the event is forwarded to the destination;
// - both: the handler runs first, then the event is forwarded, in the same attempt. If the forward fails,
//   the next attempt runs the handler again: put its side effects in ctx.once, as for any retry. A handler
//   that throws PermanentError stops the event before it is forwarded;
// - neither: the event is marked processed, with a note.
import type { Config, Handler } from '../config.ts'
import type { Store } from '../store/store.ts'
import { forwardEvent } from './forward.ts'
import { toHandlerEvent } from './handler-event.ts'
import { PermanentError } from './errors.ts'
import type { ProcessFn } from './run-event.ts'

/** Finds the handler for an event: handlers[source][type], then handlers[source]['*']. */
export function findHandler(handlers: Config['handlers'], source: string, type: string | null): Handler | undefined {
  const bySource = handlers[source]
  if (!bySource) return undefined
  return (type !== null ? bySource[type] : undefined) ?? bySource['*']
}

export type ProcessConfig = Pick<Config, 'handlers'> & Partial<Pick<Config, 'sources' | 'server'>>

/** The ProcessFn built from the config's handlers and forwarding destinations. `store` is needed when a source forwards. */
export function createProcess(config: ProcessConfig, deps: { store?: Pick<Store, 'disableForwarding' | 'forwardingState'> } = {}): ProcessFn {
  const { store } = deps
  const forwarding = [...(config.sources?.values() ?? [])].filter((s) => s.forward)
  if (forwarding.length && !store) throw new TypeError(`createProcess: sources ${forwarding.map((s) => s.name).join(', ')} forward events; pass the store`)
  // X-Forwarded-Proto: the scheme providers reach the source on, known from the config once.
  const protoBySource = new Map(forwarding.map((s) => [s.name, new URL(s.url ?? config.server?.publicUrl ?? 'http://localhost').protocol.slice(0, -1)]))
  return async (event, ctx) => {
    const handler = findHandler(config.handlers, event.source, event.type)
    const source = config.sources?.get(event.source)
    const forward = source?.forward
    if (!handler && !forward) return { note: `no handler configured for ${event.source}/${event.type ?? '(no type)'}; marked processed` }
    if (handler) await handler(toHandlerEvent(event), ctx)
    if (!forward || !store) return
    const disabled = await store.forwardingState(event.source)
    if (disabled)
      throw new PermanentError(
        `forwarding is disabled for source ${event.source} since ${disabled.disabledAt.toISOString()} (${disabled.reason}); ` +
          `fix the destination, run \`inhook forwarding enable ${event.source}\`, then \`inhook events replay --status failed --source ${event.source}\``,
      )
    return forwardEvent(event, forward, { attempt: ctx.attempt, signal: ctx.signal, store, log: ctx.log, proto: protoBySource.get(event.source)! })
  }
}
