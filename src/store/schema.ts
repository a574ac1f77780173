// The tables. Migrations in drizzle/ are generated from this file by drizzle-kit (`npm run db:generate`).
import { sql } from 'drizzle-orm'
import { blob, index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export const EVENT_STATUSES = ['new', 'processing', 'processed', 'failed'] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/** One row per accepted delivery. Times are milliseconds since the epoch. */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    source: text('source').notNull(),
    provider: text('provider').notNull(),
    type: text('type'),
    deliveryId: text('delivery_id'),
    method: text('method').notNull(),
    path: text('path').notNull(),
    /** The query string without its leading '?', secrets redacted. */
    query: text('query').notNull().default(''),
    /** JSON array of [name, value] pairs, as received, sensitive ones redacted. */
    headers: text('headers').notNull(),
    body: blob('body', { mode: 'buffer' }).$type<Buffer>(),
    clientIp: text('client_ip'),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
    occurredAt: integer('occurred_at', { mode: 'timestamp_ms' }),
    status: text('status', { enum: EVENT_STATUSES }).notNull().default('new'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    processedAt: integer('processed_at', { mode: 'timestamp_ms' }),
    lastError: text('last_error'),
  },
  (t) => [
    uniqueIndex('events_source_delivery_id').on(t.source, t.deliveryId),
    // The worker's claim: due new events, and processing events whose lease expired.
    index('events_due').on(t.nextAttemptAt).where(sql`status = 'new'`),
    index('events_lease').on(t.leaseUntil).where(sql`status = 'processing'`),
    // Listings, newest first, by source and/or status.
    index('events_source_status_id').on(t.source, t.status, t.id),
    index('events_status_id').on(t.status, t.id),
    // Traffic per minute and rates (console, /api/stats): arrivals, and finished processing by outcome.
    index('events_received_at').on(t.receivedAt),
    index('events_processed_at').on(t.processedAt, t.status).where(sql`processed_at IS NOT NULL`),
  ],
)

/** One row per processing attempt. */
export const attempts = sqliteTable(
  'attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventId: integer('event_id').notNull().references(() => events.id, { onDelete: 'cascade' }),
    attempt: integer('attempt').notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }).notNull(),
    outcome: text('outcome', { enum: ['processed', 'retry', 'failed', 'replayed'] }).notNull(),
    error: text('error'),
    /** Something worth knowing that is not an error, e.g. 'no handler configured'. */
    note: text('note'),
    /** Forwarding: the destination's status code and the first KiB of its body. */
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
  },
  (t) => [index('attempts_event_id').on(t.eventId)],
)

/** The capped log of refused requests (reason and hint; never a body, secret or signature). */
export const rejections = sqliteTable(
  'rejections',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    source: text('source').notNull(),
    clientIp: text('client_ip'),
    status: integer('status').notNull(),
    reason: text('reason').notNull(),
    hint: text('hint'),
  },
  (t) => [index('rejections_at').on(t.at)],
)

export type WebhookEventRow = typeof events.$inferSelect
export type NewWebhookEventRow = typeof events.$inferInsert
export type AttemptRow = typeof attempts.$inferSelect
export type RejectionRow = typeof rejections.$inferSelect
