// The admin API's schemas: they validate requests and generate /api/openapi.json, so the two cannot drift.
import { z } from '@hono/zod-openapi'
import { EVENT_STATUSES } from '../store/schema.ts'
import { parseWhen, WHEN_HINT } from './time.ts'

/** Page size limit of listings. */
export const MAX_LIMIT = 500

const when = (what: string) =>
  z
    .string()
    .refine((v) => parseWhen(v, new Date()) !== undefined, WHEN_HINT)
    .optional()
    .openapi({ description: `${what}: an ISO 8601 date, or a duration before now (30s, 15m, 2h, 7d)`, example: '2h' })

export const EventFilterSchema = z.object({
  source: z.string().max(200).optional().openapi({ description: 'Source name (the URL segment of /webhooks/:source)', example: 'github' }),
  status: z.enum(EVENT_STATUSES).optional().openapi({ description: 'Processing status' }),
  type: z.string().max(200).optional().openapi({ description: 'Event type, exactly', example: 'push' }),
  since: when('Received at or after'),
  until: when('Received at or before'),
  q: z.string().min(1).max(500).optional().openapi({ description: 'Substring of the delivery id or the event type' }),
})

export const ListQuerySchema = EventFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(50).openapi({ description: `Page size (default 50, at most ${MAX_LIMIT})`, example: 50 }),
  cursor: z.string().regex(/^[1-9]\d{0,15}$/, 'expected the nextCursor of a previous page').optional().openapi({ description: 'The nextCursor of the previous page: events older than it' }),
}).openapi('EventListQuery')

export const ReplayFilterSchema = EventFilterSchema.refine((f) => Object.values(f).some((v) => v !== undefined), {
  message: 'give at least one filter (source, status, type, since, until or q); to replay everything use {"since": "3650d"}',
}).openapi('ReplayFilter', { description: 'Which processed or failed events to replay (new and processing events are left as they are)' })

export const IdParamSchema = z.object({ id: z.string().max(40).openapi({ param: { name: 'id', in: 'path' }, description: 'Event id', example: '42' }) })

const isoDate = z.string().openapi({ format: 'date-time', example: '2025-01-31T12:00:00.000Z' })

export const EventSummarySchema = z
  .object({
    id: z.string().openapi({ example: '42' }),
    source: z.string(),
    provider: z.string(),
    type: z.string().nullable(),
    deliveryId: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    query: z.string().openapi({ description: 'Query string without "?", secret parameters redacted' }),
    clientIp: z.string().nullable(),
    receivedAt: isoDate,
    occurredAt: isoDate.nullable().openapi({ description: "The provider's own event time, when it sends one" }),
    status: z.enum(EVENT_STATUSES),
    attempts: z.number().int().openapi({ description: 'Processing attempts so far' }),
    nextAttemptAt: isoDate,
    leaseUntil: isoDate.nullable(),
    processedAt: isoDate.nullable().openapi({ description: 'When processing last finished (processed or failed)' }),
    lastError: z.string().nullable(),
    bodyBytes: z.number().int(),
  })
  .openapi('EventSummary')

export const EventPageSchema = z
  .object({
    items: z.array(EventSummarySchema),
    nextCursor: z.string().optional().openapi({ description: 'Pass as cursor for the next (older) page; absent on the last page' }),
  })
  .openapi('EventPage')

export const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    outcome: z.enum(['processed', 'retry', 'failed', 'replayed']),
    startedAt: isoDate,
    finishedAt: isoDate,
    durationMs: z.number().int(),
    error: z.string().nullable(),
    note: z.string().nullable(),
    responseStatus: z.number().int().nullable().openapi({ description: "Forwarding: the destination's status code" }),
    responseBody: z.string().nullable().openapi({ description: "Forwarding: the start of the destination's answer" }),
    responseMs: z.number().int().nullable().openapi({ description: 'Forwarding: how long the destination took to answer' }),
  })
  .openapi('Attempt')

export const EventDetailSchema = EventSummarySchema.extend({
  headers: z.array(z.tuple([z.string(), z.string()])).openapi({ description: 'Request headers as received, [name, value] pairs; sensitive ones redacted' }),
  contentType: z.string().nullable(),
  bodyEncoding: z.enum(['utf8', 'base64']),
  body: z.string().openapi({ description: 'The exact body: UTF-8 text when it is valid UTF-8, else base64 (see bodyEncoding)' }),
  history: z.array(AttemptSchema).openapi({ description: 'Every processing attempt and replay, oldest first' }),
}).openapi('EventDetail')

export const ReplayedSchema = z.object({ replayed: z.number().int().openapi({ description: 'How many events were set back to new' }) }).openapi('Replayed')

const windowCounts = z.object({ lastMinute: z.number().int(), lastHour: z.number().int() })

export const StatsSchema = z
  .object({
    bySourceStatus: z.array(z.object({ source: z.string(), status: z.enum(EVENT_STATUSES), count: z.number().int() })),
    queueDepth: z.number().int().openapi({ description: 'Events due for processing now' }),
    oldestDueSeconds: z.number().openapi({ description: 'How long the oldest due event has been waiting; 0 when none' }),
    rates: z
      .object({
        ingest: windowCounts.openapi({ description: 'Events stored' }),
        duplicates: windowCounts.openapi({ description: 'Duplicate deliveries acknowledged without storing (counted by this process since it started)' }),
        rejected: windowCounts.openapi({ description: 'Requests refused' }),
        processing: windowCounts.openapi({ description: 'Events whose processing finished (processed or failed)' }),
        failed: windowCounts.openapi({ description: 'Events that failed for good' }),
        ingestPerSecond: z.object({ lastMinute: z.number(), lastHour: z.number() }),
        processingPerSecond: z.object({ lastMinute: z.number(), lastHour: z.number() }),
      })
      .openapi({ description: 'Counts over the last 60 s and 3600 s, and the same as per-second rates' }),
  })
  .openapi('Stats')

export const RejectionsQuerySchema = z
  .object({
    source: z.string().max(200).optional(),
    since: when('At or after'),
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(100).openapi({ description: `How many, newest first (default 100, at most ${MAX_LIMIT})` }),
  })
  .openapi('RejectionsQuery')

export const RejectionSchema = z
  .object({
    at: isoDate,
    source: z.string(),
    clientIp: z.string().nullable(),
    status: z.number().int().openapi({ description: 'The status answered: 401, 403, 413 or 429' }),
    reason: z.string().openapi({ description: 'Reason code, e.g. mismatch, stale, missing-signature, too-large, rate-limited, ip-not-allowed', example: 'mismatch' }),
    hint: z.string().nullable().openapi({ description: 'What to check (never a secret or an expected signature)' }),
  })
  .openapi('Rejection')

export const RejectionListSchema = z.object({ items: z.array(RejectionSchema) }).openapi('RejectionList')

export const ErrorSchema = z.object({ error: z.string() }).openapi('Error')
