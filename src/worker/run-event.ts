// The unit of work: run one claimed event and record the outcome.
import type { Logger } from 'pino'
import type { HandlerContext } from '../config.ts'
import type { Metrics } from '../metrics.ts'
import type { Store, WebhookEvent } from '../store/store.ts'
import { backoffMs, type Backoff } from './backoff.ts'
import { errorMessage, HandlerTimeoutError, PermanentError } from './errors.ts'

/** What processing an event means: run a handler, forward it… Returns an optional note for the attempt. */
export type ProcessFn = (event: WebhookEvent, ctx: HandlerContext) => Promise<ProcessResult | void>

export interface ProcessResult {
  note?: string
  responseStatus?: number
  responseBody?: string
}

export interface WorkerDeps {
  store: Store
  process: ProcessFn
  log: Logger
  metrics?: Metrics
  maxAttempts: number
  timeoutMs: number
  backoff: Backoff
  random?: () => number
}

/** Runs one claimed event and records the outcome. Never throws: we MUST release it. */
export async function runEvent(deps: WorkerDeps, event: WebhookEvent, clock: () => Date = () => new Date()): Promise<'processed' | 'retry' | 'failed'> {
  const startedAt = clock()
  const controller = new AbortController()
  const log = deps.log.child({ event: event.id, source: event.source, attempt: event.attempts })
  let timer: NodeJS.Timeout | undefined
  let outcome: 'processed' | 'retry' | 'failed'
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new HandlerTimeoutError(`timed out after ${deps.timeoutMs} ms`)
        reject(error) // before abort: a handler that returns on abort must not count as a success
        controller.abort(error)
      }, deps.timeoutMs)
    })
    const result = await Promise.race([deps.process(event, { attempt: event.attempts, signal: controller.signal, log }), timeout])
    clearTimeout(timer)
    outcome = 'processed'
    await mark(deps, log, () => deps.store.complete(event.id, { attempt: event.attempts, startedAt, finishedAt: clock(), ...(result ?? {}) }))
  } catch (error) {
    clearTimeout(timer)
    const message = errorMessage(error).slice(0, 2000)
    const details = error instanceof Object && 'responseStatus' in error ? (error as ProcessResult) : {}
    const attempt = { attempt: event.attempts, startedAt, finishedAt: clock(), error: message, responseStatus: details.responseStatus, responseBody: details.responseBody }
    if (error instanceof PermanentError || event.attempts >= deps.maxAttempts) {
      outcome = 'failed'
      log.warn({ error: message }, 'event failed for good')
      await mark(deps, log, () => deps.store.fail(event.id, attempt))
    } else {
      outcome = 'retry'
      const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs
      const delay = Math.max(backoffMs(event.attempts, deps.backoff, (deps.random ?? Math.random)()), retryAfterMs ?? 0)
      log.info({ error: message, retryInMs: delay }, 'attempt failed; will retry')
      await mark(deps, log, () => deps.store.retry(event.id, attempt, new Date(attempt.finishedAt.getTime() + delay)))
    }
  }
  deps.metrics?.attempts.inc({ source: event.source, outcome })
  deps.metrics?.processingSeconds.observe({ source: event.source, outcome }, (clock().getTime() - startedAt.getTime()) / 1000)
  return outcome
}

/** Records an outcome; if storage is failing, the lease expires and the event runs again (at least once). */
async function mark(deps: WorkerDeps, log: Logger, write: () => Promise<void>) {
  try {
    await write()
  } catch (error) {
    log.error({ err: error }, 'could not record the outcome; the event will run again when its lease expires')
  }
}
