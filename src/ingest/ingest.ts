// The hot path: `ANY /webhooks/:source`, one step after another (ARCHITECTURE.md, "The flow of one request").
import type { Context } from 'hono'
import type { IncomingMessage } from 'node:http'
import type { Logger } from 'pino'
import { createRawRequest, type Description, type RawRequest, type Rejection, type Reply } from '../../providers/kit.ts'
import type { Config, SourceConfig } from '../config.ts'
import type { Metrics } from '../metrics.ts'
import type { Store } from '../store/store.ts'
import { clientAddress, isAllowed } from './allowlist.ts'
import { BodyBudget } from './body-budget.ts'
import { KeyedBuckets, TokenBucket } from './rate-limit.ts'
import { readIncoming, readStream, TOO_LARGE } from './read-body.ts'

export interface IngestDeps {
  config: Pick<Config, 'server' | 'sources'>
  store: Store
  log: Logger
  metrics: Metrics
  /** Called after a delivery is stored (wakes the worker). */
  onStored?: () => void
  now?: () => Date
}

const REDACTED = '[redacted]'
const DEFAULT_METHODS = ['POST']
/** Seconds a provider is asked to wait after a 503. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5

/** What `createIngestHandler` returns: the route's handler, and the memory its bodies hold (metrics). */
export type IngestHandler = ((c: Context) => Promise<Response>) & { bodyMemory: BodyBudget }

type Outcome = 'accepted' | 'duplicate' | 'rejected' | 'too_large' | 'rate_limited' | 'forbidden' | 'unavailable' | 'challenge' | 'not_found' | 'method_not_allowed' | 'bad_request'

/** Builds the ingest handler. Per-source state (buckets) lives here, created once. */
export function createIngestHandler(deps: IngestDeps): IngestHandler {
  const { config, store, log, metrics } = deps
  const now = deps.now ?? (() => new Date())
  const bodyMemory = new BodyBudget(config.server.bodyMemoryLimitBytes)
  let warnedFull = 0
  const buckets = new Map<string, { source?: TokenBucket; perIp?: KeyedBuckets }>()
  for (const source of config.sources.values()) {
    const start = Date.now()
    buckets.set(source.name, {
      source: source.rateLimit && new TokenBucket(source.rateLimit, start),
      perIp: source.rateLimit?.perIp && new KeyedBuckets(source.rateLimit.perIp),
    })
  }

  // prom-client hashes the labels on every call; the children are looked up once per label set instead.
  const counters = new Map<string, { inc(): void }>()
  const count = (source: string, outcome: Outcome, reason = '') => {
    const key = `${source}\0${outcome}\0${reason}`
    let counter = counters.get(key)
    if (!counter) counters.set(key, (counter = metrics.requests.labels({ source, outcome, reason })))
    counter.inc()
  }
  const timers = new Map<string, { observe(seconds: number): void }>()
  const observe = (source: string, seconds: number) => {
    let timer = timers.get(source)
    if (!timer) timers.set(source, (timer = metrics.ingestSeconds.labels({ source })))
    timer.observe(seconds)
  }
  // Keep-alive connections send request after request from one address: parse it once.
  let lastSocketAddress: string | undefined
  let lastSocketIp: string | undefined
  const socketIp = (address: string | undefined) => {
    if (address !== lastSocketAddress) {
      lastSocketAddress = address
      lastSocketIp = clientAddress(address, null, false)
    }
    return lastSocketIp
  }

  const refuse = (c: Context, source: SourceConfig, status: number, outcome: Outcome, reason: string, hint: string | undefined, ip: string | undefined, headers: Record<string, string> = {}) => {
    count(source.name, outcome, reason)
    log.warn({ source: source.name, status, reason, hint, ip }, 'request refused')
    store.recordRejection({ at: now(), source: source.name, clientIp: ip, status, reason, hint })
    return c.json({ error: STATUS_TEXT[status] ?? 'refused' }, status as 401, headers)
  }

  /** Waits for room for a body (see BodyBudget); undefined if the client left meanwhile. */
  const waitForRoom = async (bytes: number, name: string, incoming: IncomingMessage | undefined) => {
    if (Date.now() - warnedFull > 60_000) {
      warnedFull = Date.now()
      log.warn({ source: name, heldBytes: bodyMemory.stats.held, limitBytes: bodyMemory.limitBytes }, 'request bodies fill server.bodyMemoryLimit: requests wait their turn (logged at most once a minute)')
    }
    metrics.bodyMemoryWaits.inc()
    return bodyMemory.wait(bytes, incoming)
  }

  async function ingest(c: Context): Promise<Response> {
    const started = performance.now()
    // 1. source
    const name = c.req.param('source') ?? ''
    const source = config.sources.get(name)
    if (!source) {
      count('', 'not_found')
      return c.json({ error: 'unknown source' }, 404)
    }
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
    const ip = config.server.trustProxy
      ? clientAddress(incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for') ?? null, config.server.trustProxy)
      : socketIp(incoming?.socket?.remoteAddress)

    // 2. method
    const method = c.req.method
    const methods = source.provider.methods ?? DEFAULT_METHODS
    if (!methods.includes(method) && !(method === 'HEAD' && methods.includes('GET'))) {
      count(name, 'method_not_allowed')
      return c.json({ error: 'method not allowed' }, 405, { allow: methods.join(', ') })
    }

    // 3a. size, as declared: refuse before reading anything.
    const contentLength = c.req.header('content-length')
    const declared = Number(contentLength ?? 0)
    if (declared > source.bodyLimitBytes)
      return refuse(c, source, 413, 'too_large', 'too-large', `Content-Length ${declared} exceeds the limit of ${source.bodyLimitBytes} bytes`, ip, { connection: 'close' })
    // The server keeps one header more than the limit, so an overflow shows here rather than silently dropping headers.
    const headerCount = incoming ? incoming.rawHeaders.length / 2 : 0
    if (headerCount > config.server.maxHeadersCount)
      return refuse(c, source, 431, 'too_large', 'too-many-headers', `more than ${config.server.maxHeadersCount} request headers`, ip, { connection: 'close' })

    // 4. rate
    const state = buckets.get(name)!
    const nowMs = Date.now()
    const wait = Math.max(state.source?.take(nowMs) ?? 0, state.perIp && ip ? state.perIp.take(ip, nowMs) : 0)
    if (wait > 0) return refuse(c, source, 429, 'rate_limited', 'rate-limited', `rate limit reached; retry in ${wait} s`, ip, { 'retry-after': String(wait) })

    // 5. allowlist
    if (source.allowIps && !isAllowed(ip, source.allowIps)) return refuse(c, source, 403, 'forbidden', 'ip-not-allowed', `client address ${ip ?? 'unknown'} is not in allowIps`, ip)

    // 3b. memory: the body's room among all bodies held, reserved until the request is answered. A
    // chunked body may grow to the limit; with neither header, there is no body.
    const bytes = contentLength !== undefined ? declared : c.req.header('transfer-encoding') !== undefined ? source.bodyLimitBytes : 0
    if (bytes === 0) return receive(c, source, name, incoming, ip, method, started)
    const release = bodyMemory.tryReserve(bytes) ?? (await waitForRoom(bytes, name, incoming))
    if (!release) return c.body(null, 503) // the client has gone: nobody reads this
    try {
      return await receive(c, source, name, incoming, ip, method, started)
    } finally {
      release()
    }
  }

  /** Steps 3c to 10: reads, verifies, stores and acknowledges the body, with its room reserved. */
  async function receive(c: Context, source: SourceConfig, name: string, incoming: IncomingMessage | undefined, ip: string | undefined, method: string, started: number): Promise<Response> {
    // 3c. size, streamed: never buffer past the limit (chunked bodies and Content-Length lies alike).
    let body: Buffer | typeof TOO_LARGE
    try {
      body = incoming ? await readIncoming(incoming, source.bodyLimitBytes) : await readStream(c.req.raw.body, source.bodyLimitBytes)
    } catch {
      count(name, 'bad_request', 'aborted')
      return c.json({ error: 'bad request' }, 400)
    }
    if (body === TOO_LARGE) return refuse(c, source, 413, 'too_large', 'too-large', `body exceeds the limit of ${source.bodyLimitBytes} bytes`, ip, { connection: 'close' })

    const url = new URL(c.req.url)
    const req = createRawRequest({ method, url: publicUrl(source, config.server.publicUrl, url), query: url.search, headers: c.req.raw.headers, body })
    const at = now()
    const opts = source.options

    try {
      // 6. challenge
      if (source.provider.challenge) {
        const answer = await source.provider.challenge(req, opts, at)
        if (answer) {
          if ('ok' in answer) return refuse(c, source, 401, 'rejected', answer.reason, answer.hint, ip)
          count(name, 'challenge')
          log.info({ source: name }, 'handshake answered')
          return send(answer)
        }
      }
      // 7. verify
      const verdict = await source.provider.verify(req, opts, at)
      if (!verdict.ok) return refuse(c, source, 401, 'rejected', (verdict as Rejection).reason, (verdict as Rejection).hint, ip)
    } catch (error) {
      // A provider module must not throw; if one does, refuse rather than accept or 500.
      log.error({ source: name, err: error }, 'provider threw during verification')
      return refuse(c, source, 401, 'rejected', 'verify-error', 'the provider module threw; see the log', ip)
    }

    // 8. describe
    let description: Description = {}
    try {
      description = source.provider.describe(req, opts)
    } catch (error) {
      log.warn({ source: name, err: error }, 'provider could not describe the delivery')
    }
    // The ordering key is computed here, once, so the worker's claim stays an indexed scan.
    const orderingKey = source.ordering && orderingKeyOf(source, req, description, log)

    // 9. store
    let duplicate: boolean
    try {
      const result = await store.append({
        source: name,
        provider: source.provider.name,
        type: description.type?.slice(0, 200),
        deliveryId: description.deliveryId?.slice(0, 500),
        method,
        path: url.pathname,
        query: redactQuery(url.search, source.redactQuery),
        headers: incoming ? redactRawHeaders(incoming.rawHeaders, source.redactHeaders) : redactHeaders(c.req.raw.headers, source.redactHeaders),
        body,
        clientIp: ip,
        receivedAt: at,
        occurredAt: description.occurredAt && !Number.isNaN(description.occurredAt.getTime()) ? description.occurredAt : undefined,
        orderingKey,
      })
      duplicate = result.duplicate
    } catch (error) {
      count(name, 'unavailable')
      log.error({ source: name, err: error }, 'could not store the delivery; answering 503')
      return c.json({ error: 'temporarily unavailable' }, 503, { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) })
    }

    // 10. ack
    count(name, duplicate ? 'duplicate' : 'accepted')
    if (duplicate) metrics.duplicatesPerMinute.add(at)
    observe(name, (performance.now() - started) / 1000)
    if (!duplicate) deps.onStored?.()
    if (source.provider.ack) return send(source.provider.ack(req, opts))
    return c.json(duplicate ? { ok: true, duplicate: true } : { ok: true })
  }

  return Object.assign(ingest, { bodyMemory })
}

const STATUS_TEXT: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  413: 'payload too large',
  431: 'request header fields too large',
  429: 'too many requests',
}

const send = (reply: Reply) => new Response(reply.body, { status: reply.status, headers: reply.headers })

/** The URL the provider signed: the source's `url`, else the server's public base + path, else the request's own. */
function publicUrl(source: SourceConfig, base: string | undefined, url: URL): string {
  if (source.url) return source.url + (source.url.includes('?') || !url.search ? '' : url.search)
  if (base) return base.replace(/\/$/, '') + url.pathname + url.search
  return url.href
}

/** The source's ordering key for a delivery; undefined (the event is unordered) when there is none or the key function throws. */
function orderingKeyOf(source: SourceConfig, req: RawRequest, description: Description, log: Logger): string | undefined {
  const where = source.ordering!.path ? `ordering.key '${source.ordering!.path}'` : 'the ordering.key function'
  try {
    // The request's fields and helpers (on its prototype chain), and what describe found.
    const input = Object.assign(Object.create(req) as RawRequest, { source: source.name, type: description.type, deliveryId: description.deliveryId, occurredAt: description.occurredAt })
    const key = source.ordering!.key(input)
    if (key !== undefined && key !== null && key !== '') return String(key).slice(0, 500)
    log.warn({ source: source.name, type: description.type }, `${where} gave no key; the event is processed unordered`)
  } catch (error) {
    log.warn({ source: source.name, err: error }, `${where} threw; the event is processed unordered`)
  }
  return undefined
}

/** Header pairs as received, secrets replaced by '[redacted]'. */
export function redactHeaders(headers: Headers, redact: Set<string>): [string, string][] {
  const pairs: [string, string][] = []
  headers.forEach((value, name) => pairs.push([name, redact.has(name) ? REDACTED : value]))
  return pairs
}

/** The same from Node's raw header list (no Headers object to build): pairs in the order received, names lowercased. */
export function redactRawHeaders(raw: string[], redact: Set<string>): [string, string][] {
  const pairs: [string, string][] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (name.startsWith(':')) continue // HTTP/2 pseudo-headers
    pairs.push([name, redact.has(name) ? REDACTED : raw[i + 1]!])
  }
  return pairs
}

/** The query string without '?', with secret parameters' values replaced. */
export function redactQuery(search: string, redact: Set<string>): string {
  const query = search.startsWith('?') ? search.slice(1) : search
  if (!query || redact.size === 0) return query
  const params = new URLSearchParams(query)
  for (const name of redact) if (params.has(name)) params.set(name, REDACTED)
  return params.toString()
}

