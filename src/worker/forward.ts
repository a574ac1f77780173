// Forwarding: send a stored event to the source's destination (an internal HTTP service) with the
// original bytes, the provider's headers, and the gateway's own Standard Webhooks signature, so the
// service verifies one scheme whatever the provider. The answer becomes the attempt's outcome.
import { hmac } from '../../providers/kit.ts'
import { whsecKey } from '../../providers/standard-webhooks.ts'
import type { ForwardConfig } from '../config.ts'
import type { Store, WebhookEvent } from '../store/store.ts'
import { PermanentError } from './errors.ts'
import type { ProcessResult } from './run-event.ts'

/** How much of the destination's answer is kept on the attempt. */
export const RESPONSE_BODY_BYTES = 1024
/** A longer Retry-After is cut to this: a destination cannot park an event for days. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000

// Hop-by-hop headers (RFC 9110 §7.6.1) and those the gateway sets or fetch computes itself.
const NOT_FORWARDED = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'host', 'content-length', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'idempotency-key',
])
/** What ingest stores in place of a secret header's value (see redactHeaders). */
const REDACTED = '[redacted]'

/** The destination's answer, kept on the attempt (run-event reads these from the result or the error). */
export interface DestinationAnswer {
  responseStatus?: number
  responseBody?: string
  responseMs?: number
  /** From Retry-After: the next attempt waits at least this long. */
  retryAfterMs?: number
}

/** A delivery that may succeed later: 408, 429, 5xx, a connection error, a timeout. */
export class ForwardError extends Error implements DestinationAnswer {
  override name = 'ForwardError'
  declare responseStatus?: number
  declare responseBody?: string
  declare responseMs?: number
  declare retryAfterMs?: number
  constructor(message: string, answer: DestinationAnswer = {}) {
    super(message)
    Object.assign(this, answer)
  }
}

/** A delivery the destination refused for good (4xx, a redirect, 410 Gone): the event fails at once. */
export class ForwardRejectedError extends PermanentError implements DestinationAnswer {
  override name = 'ForwardRejectedError'
  declare responseStatus?: number
  declare responseBody?: string
  declare responseMs?: number
  constructor(message: string, answer: DestinationAnswer = {}) {
    super(message)
    Object.assign(this, answer)
  }
}

export interface ForwardContext {
  /** 1-based; sent as X-Inhook-Attempt. */
  attempt: number
  /** Aborts the delivery (the handler timeout, or the worker stopping). */
  signal: AbortSignal
  /** Records a 410 Gone: forwarding is turned off for the source until re-enabled. */
  store: Pick<Store, 'disableForwarding'>
  log: { warn(obj: object, msg?: string): void }
  /** The scheme the provider used to reach the gateway, for X-Forwarded-Proto (default: 'http'). */
  proto?: string
  now?: () => Date
}

/**
 * `v1,<base64 HMAC-SHA256>` over `id.timestamp.body` with a `whsec_` secret (Standard Webhooks). The key
 * derivation is the standard-webhooks provider's; its `signStandardWebhook` takes a string body, and a
 * stored body may be any bytes.
 */
export function signatureFor(secret: string, id: string, seconds: number, body: Uint8Array): string {
  return `v1,${hmac('sha256', whsecKey(secret), `${id}.${seconds}.`, body).toString('base64')}`
}

/** The request headers: the provider's (minus hop-by-hop, Host and redacted ones), the configured ones, then the gateway's. */
export function forwardHeaders(event: WebhookEvent, forward: Pick<ForwardConfig, 'headers' | 'signingSecret'>, attempt: number, now: Date, proto = 'http'): Headers {
  const headers = new Headers()
  const connectionTokens = new Set(
    event.headers.filter(([name]) => name.toLowerCase() === 'connection').flatMap(([, value]) => value.split(',').map((t) => t.trim().toLowerCase())),
  )
  for (const [name, value] of event.headers) {
    const lower = name.toLowerCase()
    if (NOT_FORWARDED.has(lower) || connectionTokens.has(lower) || lower.startsWith('x-inhook-') || value === REDACTED) continue
    if (forward.signingSecret && lower.startsWith('webhook-')) continue
    headers.append(lower, value)
  }
  for (const [name, value] of Object.entries(forward.headers)) headers.set(name, value)
  if (event.clientIp) headers.set('x-forwarded-for', event.clientIp)
  headers.set('x-forwarded-proto', proto)
  if (forward.signingSecret) {
    const seconds = Math.floor(now.getTime() / 1000)
    headers.set('webhook-id', event.id)
    headers.set('webhook-timestamp', String(seconds))
    headers.set('webhook-signature', signatureFor(forward.signingSecret, event.id, seconds, event.body))
  }
  headers.set('idempotency-key', event.id)
  headers.set('x-inhook-source', event.source)
  if (event.type) headers.set('x-inhook-event-type', event.type)
  headers.set('x-inhook-attempt', String(attempt))
  return headers
}

/** Delivers one event. Resolves on 2xx; throws ForwardError (retry) or ForwardRejectedError (fail now). */
export async function forwardEvent(event: WebhookEvent, forward: ForwardConfig, ctx: ForwardContext): Promise<ProcessResult> {
  const now = ctx.now ?? (() => new Date())
  const where = describeUrl(forward.url)
  const headers = forwardHeaders(event, forward, ctx.attempt, now(), ctx.proto)
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(forward.timeoutMs)])
  let response: Response
  let responseBody: string
  try {
    response = await fetch(forward.url, {
      method: forward.method,
      headers,
      body: forward.method === 'GET' || forward.method === 'HEAD' ? undefined : event.body,
      redirect: 'manual',
      signal,
    })
    responseBody = await readStart(response, RESPONSE_BODY_BYTES)
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason
    const responseMs = elapsed()
    if ((error as Error).name === 'TimeoutError') throw new ForwardError(`${where} did not answer within ${forward.timeoutMs} ms`, { responseMs })
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    throw new ForwardError(`could not reach ${where}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { responseMs })
  }
  const answer: DestinationAnswer = { responseStatus: response.status, responseBody, responseMs: elapsed() }
  const status = response.status
  if (status >= 200 && status < 300) return answer
  if (status === 410) {
    const reason = `${where} answered 410 Gone to event ${event.id}`
    await ctx.store.disableForwarding(event.source, reason, now())
    ctx.log.warn({ source: event.source, destination: where }, `forwarding disabled for source ${event.source}: the destination answered 410 Gone; fix it, then \`inhook forwarding enable ${event.source}\``)
    throw new ForwardRejectedError(`${where} answered 410 Gone; forwarding is now disabled for source ${event.source}`, answer)
  }
  if (status === 408 || status === 429 || status >= 500) {
    throw new ForwardError(`${where} answered ${status}`, { ...answer, retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), now()) })
  }
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location')
    throw new ForwardRejectedError(`${where} answered ${status} (a redirect${location ? ` to ${describeUrl(location, forward.url)}` : ''}); set forward.url to the final URL`, answer)
  }
  const retry = forward.retryOn4xx === true || (Array.isArray(forward.retryOn4xx) && forward.retryOn4xx.includes(status))
  if (retry) throw new ForwardError(`${where} answered ${status}`, { ...answer, retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), now()) })
  throw new ForwardRejectedError(`${where} answered ${status}; not retried (a 4xx means the request itself is refused; see forward.retryOn4xx)`, answer)
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now.getTime()
  if (!Number.isFinite(ms)) return undefined
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS)
}

/** The first `limit` bytes of the body as text; the rest is not read. */
async function readStart(response: Response, limit: number): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < limit) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}

/** Origin and path only: a destination URL may carry credentials or a token in its query. */
function describeUrl(url: string, base?: string): string {
  try {
    const u = new URL(url, base)
    return `${u.origin}${u.pathname}`
  } catch {
    return '(invalid URL)'
  }
}
