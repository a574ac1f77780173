// The tables. Migrations in drizzle/ are generated from this file by drizzle-kit (`npm run db:generate`).
import { sql } from 'drizzle-orm'
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export const EVENT_STATUSES = ['new', 'processing', 'processed', 'failed'] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/**
 * One row per accepted delivery: what it is and where it stands. Times are milliseconds since the
 * epoch. The request's headers and body live in `payloads`: the worker updates this row twice per
 * event, and a small row is rewritten in one page where a row holding a 2 KB body would be rewritten
 * with its overflow page (see `npm run bench -- worker`).
 */
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
    /** The body's length; null once retention has dropped the body. */
    bodyBytes: integer('body_bytes'),
    clientIp: text('client_ip'),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
    occurredAt: integer('occurred_at', { mode: 'timestamp_ms' }),
    status: text('status', { enum: EVENT_STATUSES }).notNull().default('new'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    processedAt: integer('processed_at', { mode: 'timestamp_ms' }),
    lastError: text('last_error'),
    /** Per-source ordering: events with the same key run one at a time, in order (null: unordered). */
    orderingKey: text('ordering_key'),
    /** The event's place in its key's line (occurred_at, else received_at); null when not in a line. */
    orderAt: integer('order_at', { mode: 'timestamp_ms' }),
    /** True while another event of the same key runs or comes first: not claimable. */
    blocked: integer('blocked', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [
    uniqueIndex('events_source_delivery_id').on(t.source, t.deliveryId),
    // The worker's claim: due new events (not held back by their key), and processing events whose lease expired.
    index('events_due').on(t.nextAttemptAt).where(sql`status = 'new' AND blocked = 0`),
    index('events_lease').on(t.leaseUntil).where(sql`status = 'processing'`),
    // Listings, newest first, by source and/or status.
    index('events_source_status_id').on(t.source, t.status, t.id),
    index('events_status_id').on(t.status, t.id),
    // Traffic per minute and rates (console, /api/stats): arrivals, and finished processing by outcome.
    index('events_received_at').on(t.receivedAt),
    index('events_processed_at').on(t.processedAt, t.status).where(sql`processed_at IS NOT NULL`),
    // Per-key ordering: the head of a key's line, and the (at most one) running or runnable event of a key.
    index('events_line').on(t.source, t.orderingKey, t.orderAt, t.id).where(sql`order_at IS NOT NULL AND status IN ('new', 'processing')`),
    index('events_line_active').on(t.source, t.orderingKey).where(sql`order_at IS NOT NULL AND (status = 'processing' OR (status = 'new' AND blocked = 0))`),
    // Retention: processed events whose body is still kept.
    index('events_bodies').on(t.processedAt).where(sql`status = 'processed' AND body_bytes IS NOT NULL`),
  ],
)

/** The request as received, one row per event (same id): written once, read when the event is processed or inspected. */
export const payloads = sqliteTable('payloads', {
  eventId: integer('event_id').primaryKey().references(() => events.id, { onDelete: 'cascade' }),
  /** JSON array of [name, value] pairs, as received, sensitive ones redacted. */
  headers: text('headers').notNull(),
  /** Null once retention has dropped it. */
  body: blob('body', { mode: 'buffer' }).$type<Buffer>(),
})

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
    /** Forwarding: how long the destination took to answer. */
    responseMs: integer('response_ms'),
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

/** `ctx.once(key, fn)`: one row per completed effect of an event, with fn's result as JSON. */
export const effects = sqliteTable(
  'effects',
  {
    eventId: integer('event_id').notNull().references(() => events.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    result: text('result').notNull(),
    completedAt: integer('completed_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.key] })],
)

/** What the gateway learned about a source at run time (e.g. its destination answered 410 Gone). */
export const sourceStates = sqliteTable('source_states', {
  source: text('source').primaryKey(),
  forwardDisabledAt: integer('forward_disabled_at', { mode: 'timestamp_ms' }),
  forwardDisabledReason: text('forward_disabled_reason'),
})

export type WebhookEventRow = typeof events.$inferSelect
export type NewWebhookEventRow = typeof events.$inferInsert
export type AttemptRow = typeof attempts.$inferSelect
export type RejectionRow = typeof rejections.$inferSelect
