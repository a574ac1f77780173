// The admin HTTP API, mounted at /api: events, replay, stats, rejections. Every route is declared with
// its zod schemas, which both validate the request and generate /api/openapi.json.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import type { AppDeps } from '../app.ts'
import type { Attempt, EventFilter, WebhookEvent, WebhookEventSummary } from '../store/store.ts'
import { bearerAuth } from './auth.ts'
import { bodyText, contentType } from './body.ts'
import { rejectionJson, statsReport } from './report.ts'
import {
  ErrorSchema, EventDetailSchema, EventPageSchema, IdParamSchema, ListQuerySchema, RejectionListSchema, RejectionsQuerySchema,
  ReplayedSchema, ReplayFilterSchema, StatsSchema,
} from './schemas.ts'
import { parseWhen } from './time.ts'

/** Admin requests are small (a replay filter, a login form). */
export const MAX_REQUEST_BYTES = 64 * 1024

/** The database could not be read or written (locked, closed, disk): worth a retry, not a bug. */
export const isStorageFailure = (error: unknown) => error instanceof Error && (error.name === 'StorageError' || error.name === 'SqliteError')

export type AdminDeps = Pick<AppDeps, 'config' | 'store' | 'log' | 'metrics' | 'adminToken' | 'now' | 'onStored'>

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description })
const errors = {
  400: json(ErrorSchema, 'Invalid parameters: the message names the parameter and what was expected'),
  401: json(ErrorSchema, 'Missing or wrong bearer token'),
}
const notFound = { 404: json(ErrorSchema, 'No event with this id') }
const security = [{ bearer: [] }]

const listEvents = createRoute({
  method: 'get', path: '/events', tags: ['events'], security,
  summary: 'List events, newest first (no bodies)',
  request: { query: ListQuerySchema },
  responses: { 200: json(EventPageSchema, 'A page of events'), ...errors },
})

const getEvent = createRoute({
  method: 'get', path: '/events/{id}', tags: ['events'], security,
  summary: 'One event: metadata, headers, body and attempts',
  request: { params: IdParamSchema },
  responses: { 200: json(EventDetailSchema, 'The event'), ...errors, ...notFound },
})

const getBody = createRoute({
  method: 'get', path: '/events/{id}/body', tags: ['events'], security,
  summary: 'The exact body bytes, with the original Content-Type',
  request: { params: IdParamSchema },
  responses: { 200: { description: 'The body as received', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } }, ...errors, ...notFound },
})

const replayEvent = createRoute({
  method: 'post', path: '/events/{id}/replay', tags: ['events'], security,
  summary: 'Process a processed or failed event again',
  request: { params: IdParamSchema },
  responses: { 200: json(ReplayedSchema, 'Queued again'), ...errors, ...notFound, 409: json(ErrorSchema, 'The event is new or processing: it will run anyway') },
})

const replayWhere = createRoute({
  method: 'post', path: '/events/replay', tags: ['events'], security,
  summary: 'Replay every processed or failed event matching the filters',
  request: { body: { content: { 'application/json': { schema: ReplayFilterSchema } }, required: true } },
  responses: { 200: json(ReplayedSchema, 'How many were queued again'), ...errors },
})

const getStats = createRoute({
  method: 'get', path: '/stats', tags: ['stats'], security,
  summary: 'Counts by source and status, queue depth, oldest due age, rates',
  responses: { 200: json(StatsSchema, 'Current figures'), 401: errors[401] },
})

const listRejections = createRoute({
  method: 'get', path: '/rejections', tags: ['rejections'], security,
  summary: 'The rejection log, newest first: refused requests with reason and hint (never a body)',
  request: { query: RejectionsQuerySchema },
  responses: { 200: json(RejectionListSchema, 'Refused requests'), ...errors },
})

const iso = (d: Date | null) => (d ? d.toISOString() : null)

export function summaryJson(e: WebhookEventSummary) {
  return {
    id: e.id, source: e.source, provider: e.provider, type: e.type, deliveryId: e.deliveryId, method: e.method, path: e.path, query: e.query,
    clientIp: e.clientIp, receivedAt: e.receivedAt.toISOString(), occurredAt: iso(e.occurredAt), status: e.status, attempts: e.attempts,
    nextAttemptAt: e.nextAttemptAt.toISOString(), leaseUntil: iso(e.leaseUntil), processedAt: iso(e.processedAt), lastError: e.lastError, bodyBytes: e.bodyBytes,
  }
}

/** Forwarding: how long the destination took, when the store records it. */
export const responseMs = (a: Attempt): number | null => (a as Attempt & { responseMs?: number | null }).responseMs ?? null

export function attemptJson(a: Attempt) {
  return {
    attempt: a.attempt, outcome: a.outcome, startedAt: a.startedAt.toISOString(), finishedAt: a.finishedAt.toISOString(),
    durationMs: a.finishedAt.getTime() - a.startedAt.getTime(), error: a.error, note: a.note, responseStatus: a.responseStatus, responseBody: a.responseBody,
    responseMs: responseMs(a),
  }
}

export function detailJson(e: WebhookEvent, history: Attempt[]) {
  const text = bodyText(e.body)
  return {
    ...summaryJson({ ...e, bodyBytes: e.body.length }),
    headers: e.headers,
    contentType: contentType(e) ?? null,
    bodyEncoding: text === undefined ? ('base64' as const) : ('utf8' as const),
    body: text ?? e.body.toString('base64'),
    history: history.map(attemptJson),
  }
}

/** Turns validated filter strings into a store filter (times relative to `now`). */
export function toFilter(f: { source?: string; status?: EventFilter['status']; type?: string; since?: string; until?: string; q?: string }, now: Date): EventFilter {
  return {
    source: f.source || undefined,
    status: f.status,
    type: f.type || undefined,
    since: f.since ? parseWhen(f.since, now) : undefined,
    until: f.until ? parseWhen(f.until, now) : undefined,
    q: f.q || undefined,
  }
}

/** Validation failures: 400 with the zod message, naming the parameter. */
function validationMessage(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')
}

export function createAdminApi(deps: AdminDeps): OpenAPIHono {
  const { store } = deps
  const now = deps.now ?? (() => new Date())
  const api = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: validationMessage(result.error) }, 400)
    },
  })

  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'admin.token (printed at start when generated)' })
  // The document describes the API's shape only (no data), so it is served without the token.
  api.doc('/openapi.json', {
    openapi: '3.0.3',
    info: { title: 'inhook admin API', version: '1', description: 'Stored webhook events, replay, stats and the rejection log. Authenticate with `Authorization: Bearer <admin token>`.' },
    servers: [{ url: '/api' }],
  })

  const auth = bearerAuth(deps.adminToken)
  const limitBody = bodyLimit({ maxSize: MAX_REQUEST_BYTES, onError: (c) => c.json({ error: `request body over ${MAX_REQUEST_BYTES} bytes` }, 413) })
  api.use('*', async (c, next) => {
    c.header('cache-control', 'no-store')
    if (c.req.path.endsWith('/openapi.json') && c.req.method === 'GET') return next()
    return auth(c, next)
  })
  api.use('*', limitBody)

  api.openapi(listEvents, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid('query')
    const page = await store.list({ ...toFilter(filter, now()), limit, cursor })
    return c.json({ items: page.items.map(summaryJson), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200)
  })

  api.openapi(getEvent, async (c) => {
    const { id } = c.req.valid('param')
    const event = await store.get(id)
    if (!event) return c.json({ error: `no event with id ${JSON.stringify(id)}` }, 404)
    return c.json(detailJson(event, await store.attempts(id)), 200)
  })

  api.openapi(getBody, async (c) => {
    const { id } = c.req.valid('param')
    const event = await store.get(id)
    if (!event) return c.json({ error: `no event with id ${JSON.stringify(id)}` }, 404)
    return new Response(new Uint8Array(event.body), { status: 200, headers: rawBodyHeaders(event) })
  })

  api.openapi(replayEvent, async (c) => {
    const { id } = c.req.valid('param')
    const event = await store.get(id)
    if (!event) return c.json({ error: `no event with id ${JSON.stringify(id)}` }, 404)
    const replayed = await store.replay([id], now())
    if (replayed === 0) return c.json({ error: `event ${id} is ${event.status}; only processed or failed events are replayed` }, 409)
    deps.onStored?.()
    return c.json({ replayed }, 200)
  })

  api.openapi(replayWhere, async (c) => {
    const replayed = await store.replayWhere(toFilter(c.req.valid('json'), now()), now())
    if (replayed > 0) deps.onStored?.()
    deps.log.info({ replayed }, 'replayed events by filter')
    return c.json({ replayed }, 200)
  })

  api.openapi(getStats, async (c) => {
    const at = now()
    const report = await statsReport(store, at)
    const duplicates = deps.metrics.duplicatesPerMinute
    return c.json({ ...report, rates: { ...report.rates, duplicates: { lastMinute: duplicates.total(at, 1), lastHour: duplicates.total(at, 60) } } }, 200)
  })

  api.openapi(listRejections, async (c) => {
    const { source, since, limit } = c.req.valid('query')
    const items = await store.rejections({ source: source || undefined, since: since ? parseWhen(since, now()) : undefined, limit })
    return c.json({ items: items.map(rejectionJson) }, 200)
  })

  api.notFound((c) => c.json({ error: 'not found' }, 404))
  api.onError((error, c) => {
    if (error instanceof HTTPException) return c.json({ error: error.message || 'bad request' }, error.status)
    deps.log.error({ err: error, path: c.req.path }, 'admin API error')
    if (isStorageFailure(error)) return c.json({ error: 'the database is unavailable; try again' }, 503, { 'retry-after': '5' })
    return c.json({ error: 'internal error' }, 500)
  })
  return api
}

/**
 * Headers for serving a stored body as-is. It came from the open internet: the browser must not run
 * or sniff it, whatever its declared type.
 */
export function rawBodyHeaders(event: WebhookEvent): Record<string, string> {
  return {
    'content-type': contentType(event) ?? 'application/octet-stream',
    'content-length': String(event.body.length),
    'content-security-policy': "default-src 'none'; sandbox",
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  }
}
