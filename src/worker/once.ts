// ctx.once(key, fn): an effect that runs at most once per event and key, across retries, crashes and replays.
//
// The record is committed right after `fn` settles, before the handler goes on. The one window left is a
// crash (or a failed commit) between `fn` finishing and its record committing: the next attempt runs `fn`
// again. So effects inside `once` are at-least-once in that window and never repeated after it; an effect
// whose target accepts an idempotency key (most payment and email APIs) closes that window too when given
// `${event.id}:${key}`.
import type { Logger } from 'pino'
import type { Store } from '../store/store.ts'

export type Once = <T>(key: string, fn: () => T | Promise<T>) => Promise<T>

export function createOnce(store: Store, eventId: string, log: Pick<Logger, 'warn'>, clock: () => Date = () => new Date()): Once {
  // The same key twice at once in one run (Promise.all) runs fn once.
  const inFlight = new Map<string, Promise<unknown>>()
  return <T>(key: string, fn: () => T | Promise<T>): Promise<T> => {
    if (typeof key !== 'string' || key === '') return Promise.reject(new TypeError('ctx.once(key, fn): key must be a non-empty string'))
    if (typeof fn !== 'function') return Promise.reject(new TypeError('ctx.once(key, fn): fn must be a function'))
    const running = inFlight.get(key)
    if (running) return running as Promise<T>
    const run = (async () => {
      const stored = await store.findEffect(eventId, key)
      if (stored !== undefined) return JSON.parse(stored) as T
      const json = toJson(await fn(), key, log)
      await store.recordEffect(eventId, key, json, clock())
      return JSON.parse(json) as T
    })().finally(() => inFlight.delete(key))
    inFlight.set(key, run)
    return run
  }
}

/** The result as JSON; `null` (with a warning) when it cannot be, since the effect has happened either way. */
function toJson(result: unknown, key: string, log: Pick<Logger, 'warn'>): string {
  try {
    return JSON.stringify(result) ?? 'null'
  } catch (error) {
    log.warn({ key, error: (error as Error).message }, 'ctx.once: the result is not JSON-serializable; stored as null')
    return 'null'
  }
}
