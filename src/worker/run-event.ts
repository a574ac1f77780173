// The unit of work: run one claimed event and record the outcome.
import type { Logger } from 'pino'
import type { HandlerContext } from '../config.ts'
import type { Metrics } from '../metrics.ts'
import type { Store, WebhookEvent } from '../store/store.ts'
import { backoffMs, type Backoff } from './backoff.ts'
import { errorMessage, HandlerTimeoutError, PermanentError } from './errors.ts'
import type { SourceLimits } from './limits.ts'
import { createOnce } from './once.ts'

/** What processing an event means: run a handler, forward it… Returns an optional note for the attempt. */
export type ProcessFn = (event: WebhookEvent, ctx: HandlerContext) => Promise<ProcessResult | void>

export interface ProcessResult {
  note?: string
  responseStatus?: number
  responseBody?: string
  responseMs?: number
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
  /** Per-source forwarding limits, waited for before an attempt starts. */
  limits?: SourceLimits
  /** A source's ordering policy when an event fails an attempt (sources with `ordering`). */
  onFailure?: (source: string) => 'hold' | 'skip' | undefined
  /** Aborted when the worker gives its events back (shutdown): waiting events stop waiting, handlers see ctx.signal abort. */
  signal?: AbortSignal
}

/**
 * processed | retry | failed: recorded. released: the worker stopped while the event waited for its
 * source's limit (it was given back). unrecorded: storage failed; the event runs again when its lease expires.
 */
export type RunOutcome = 'processed' | 'retry' | 'failed' | 'released' | 'unrecorded'

/** Runs one claimed event and records the outcome. Never throws: we MUST release it. */
export async function runEvent(deps: WorkerDeps, event: WebhookEvent, clock: () => Date = () => new Date()): Promise<RunOutcome> {
  const log = deps.log.child({ event: event.id, source: event.source, attempt: event.attempts })
  let giveBack: (() => void) | undefined
  if (deps.limits) {
    try {
      giveBack = await deps.limits.acquire(event.source, deps.signal)
    } catch {
      return 'released'
    }
  }
  const startedAt = clock()
  const controller = new AbortController()
  const stop = () => controller.abort(deps.signal?.reason)
  deps.signal?.addEventListener('abort', stop, { once: true })
  let timer: NodeJS.Timeout | undefined
  let outcome: 'processed' | 'retry' | 'failed'
  let recorded: boolean
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new HandlerTimeoutError(`timed out after ${deps.timeoutMs} ms`)
        reject(error) // before abort: a handler that returns on abort must not count as a success
        controller.abort(error)
      }, deps.timeoutMs)
    })
    const ctx: HandlerContext = { attempt: event.attempts, signal: controller.signal, log, once: createOnce(deps.store, event.id, log, clock) }
    const result = await Promise.race([deps.process(event, ctx), timeout])
    clearTimeout(timer)
    outcome = 'processed'
    recorded = await mark(log, () => deps.store.complete(event.id, { attempt: event.attempts, startedAt, finishedAt: clock(), ...(result ?? {}) }))
  } catch (error) {
    clearTimeout(timer)
    const message = errorMessage(error).slice(0, 2000)
    const answer = answerOf(error)
    const attempt = { attempt: event.attempts, startedAt, finishedAt: clock(), error: message, ...answer }
    if (error instanceof PermanentError || event.attempts >= deps.maxAttempts) {
      outcome = 'failed'
      log.warn({ error: message }, 'event failed for good')
      recorded = await mark(log, () => deps.store.fail(event.id, attempt))
    } else {
      outcome = 'retry'
      const retryAfterMs = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs
      const delay = Math.max(backoffMs(event.attempts, deps.backoff, (deps.random ?? Math.random)()), typeof retryAfterMs === 'number' ? retryAfterMs : 0)
      log.info({ error: message, retryInMs: delay }, 'attempt failed; will retry')
      const leaveLine = deps.onFailure?.(event.source) === 'skip'
      recorded = await mark(log, () => deps.store.retry(event.id, attempt, new Date(attempt.finishedAt.getTime() + delay), { leaveLine }))
    }
  } finally {
    deps.signal?.removeEventListener('abort', stop)
    giveBack?.()
  }
  deps.metrics?.attempts.inc({ source: event.source, outcome })
  deps.metrics?.processingSeconds.observe({ source: event.source, outcome }, (clock().getTime() - startedAt.getTime()) / 1000)
  return recorded ? outcome : 'unrecorded'
}

/** The destination's answer carried by a forwarding error (status, first KiB of the body, duration). */
function answerOf(error: unknown): { responseStatus?: number; responseBody?: string; responseMs?: number } {
  if (!(error instanceof Object)) return {}
  const { responseStatus, responseBody, responseMs } = error as Record<string, unknown>
  return {
    responseStatus: typeof responseStatus === 'number' ? responseStatus : undefined,
    responseBody: typeof responseBody === 'string' ? responseBody : undefined,
    responseMs: typeof responseMs === 'number' ? responseMs : undefined,
  }
}

/** Records an outcome; if storage is failing, the lease expires and the event runs again (at least once). */
async function mark(log: Logger, write: () => Promise<void>): Promise<boolean> {
  try {
    await write()
    return true
  } catch (error) {
    log.error({ err: error }, 'could not record the outcome; the event will run again when its lease expires')
    return false
  }
}
