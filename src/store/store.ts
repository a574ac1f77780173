// The storage interface: narrow enough that a PostgreSQL implementation can serve ingest and the
// worker unchanged. Ingest and worker code depend on this, never on SQL.
import type { EventStatus } from './schema.ts'

export type { EventStatus }

/** A stored delivery. `id` is a string outside the store (stable, sortable as a number). */
export interface WebhookEvent {
  id: string
  source: string
  provider: string
  type: string | null
  deliveryId: string | null
  method: string
  path: string
  query: string
  headers: [string, string][]
  body: Buffer
  clientIp: string | null
  receivedAt: Date
  occurredAt: Date | null
  status: EventStatus
  attempts: number
  nextAttemptAt: Date
  leaseUntil: Date | null
  processedAt: Date | null
  lastError: string | null
  /** The source's ordering key for this event (sources with `ordering`), else null. */
  orderingKey: string | null
  /** Claims only: headers and body were not read (past `ClaimOptions.payloadBytes`); `get` reads them. */
  payloadDeferred?: true
}

/** A listing row: everything but the body. */
export type WebhookEventSummary = Omit<WebhookEvent, 'body' | 'headers' | 'orderingKey'> & { bodyBytes: number }

export interface NewWebhookEvent {
  source: string
  provider: string
  type?: string
  deliveryId?: string
  method: string
  path: string
  query: string
  headers: [string, string][]
  body: Uint8Array
  clientIp?: string
  receivedAt: Date
  occurredAt?: Date
  /** Events with the same (source, orderingKey) are claimed one at a time, in order of occurredAt, then receipt. */
  orderingKey?: string
}

export type AppendResult = { id: string; duplicate: false } | { id?: undefined; duplicate: true }

export interface Attempt {
  id: string
  eventId: string
  attempt: number
  startedAt: Date
  finishedAt: Date
  outcome: 'processed' | 'retry' | 'failed' | 'replayed'
  error: string | null
  note: string | null
  responseStatus: number | null
  responseBody: string | null
  responseMs: number | null
}

/** What the worker records about one run of an event. */
export interface AttemptRecord {
  attempt: number
  startedAt: Date
  finishedAt: Date
  error?: string
  note?: string
  responseStatus?: number
  responseBody?: string
  responseMs?: number
}

export interface EventFilter {
  source?: string
  status?: EventStatus
  type?: string
  since?: Date
  until?: Date
  /** Substring of the delivery id or the event type. */
  q?: string
}

export interface ListOptions extends EventFilter {
  /** Page size (default: 50, at most 500). */
  limit?: number
  /** Opaque cursor from a previous page: events older than it. */
  cursor?: string
}

export interface Page<T> {
  items: T[]
  nextCursor?: string
}

export interface Rejection {
  at: Date
  source: string
  clientIp?: string
  status: number
  reason: string
  hint?: string
}

export interface ClaimOptions {
  limit: number
  leaseMs: number
  now: Date
  /** Sources not to claim from this time (their per-source forwarding limit is reached). */
  excludeSources?: string[]
  /** At most this many events of these sources (the places left under their forwarding limits). */
  maxPerSource?: Record<string, number>
  /**
   * Read headers and bodies, oldest event first, only while the bodies read add up to at most this
   * many bytes; the others come back with `payloadDeferred` (default: read them all).
   */
  payloadBytes?: number
}

export interface RetryOptions {
  /** An ordered event steps out of its key's line, so later events of the key go ahead (`onFailure: 'skip'`). */
  leaveLine?: boolean
}

export interface ReplayOptions {
  /** Also forget the events' `ctx.once` records, so every effect runs again (default: false). */
  fresh?: boolean
  /** Told after each chunk of a bulk replay: how many are done, of how many. */
  onProgress?: (done: number, total: number) => void
}

/** What a replay with a filter would touch. */
export interface ReplayCount {
  /** Processed and failed events matching the filter (events whose body was dropped excluded). */
  processed: number
  failed: number
  /** Matching events whose body retention dropped: they cannot be replayed. */
  withoutBody: number
}

/** Retention: events finished before these times are deleted (bodies: dropped). Absent: kept. */
export interface RetentionCutoffs {
  processedBefore?: Date
  failedBefore?: Date
  /** Bodies of processed events finished before this time are dropped, their metadata kept. */
  processedBodiesBefore?: Date
}

export interface PruneResult {
  /** Events deleted, by status (with their attempts and once records). */
  processed: number
  failed: number
  /** Bodies dropped. */
  bodies: number
  /** Bytes of bodies and headers deleted or dropped. */
  bytes: number
}

/** A source whose forwarding the worker turned off (its destination answered 410 Gone). */
export interface ForwardingState {
  source: string
  disabledAt: Date
  reason: string
}

export interface Stats {
  bySourceStatus: { source: string; status: EventStatus; count: number }[]
  /** Events claimable now: new and due (ordered ones only at the head of their key's line), or processing with an expired lease. */
  queueDepth: number
  /** Age in ms of the oldest due event, 0 when none. */
  oldestDueMs: number
}

/** Counts for one minute of traffic (console chart). */
export interface TrafficMinute {
  /** Start of the minute. */
  minute: Date
  /** Events stored (received) in this minute. */
  accepted: number
  /** Requests refused (401, 403, 413, 429), from the rejection log. */
  rejected: number
  /** Events whose processing finished in this minute, by their current status. */
  processed: number
  failed: number
}

/** How many events arrived and finished processing over sliding windows ending now. */
export interface Rates {
  ingest: { lastMinute: number; lastHour: number }
  /** Finished processing (processed or failed). */
  processing: { lastMinute: number; lastHour: number }
  failed: { lastMinute: number; lastHour: number }
  /** Refused requests (the rejection log). */
  rejected: { lastMinute: number; lastHour: number }
}

export interface Store {
  /** Stores a delivery; settles after commit. A (source, deliveryId) already stored is a duplicate, not an error. */
  append(event: NewWebhookEvent): Promise<AppendResult>
  /** Leases up to `limit` due events (new and due, or processing with an expired lease), counting the attempt. */
  claim(options: ClaimOptions): Promise<WebhookEvent[]>
  complete(id: string, attempt: AttemptRecord): Promise<void>
  /** Records a failed attempt and schedules the next one. */
  retry(id: string, attempt: AttemptRecord, nextAttemptAt: Date, options?: RetryOptions): Promise<void>
  /** Records a failed attempt and dead-letters the event. */
  fail(id: string, attempt: AttemptRecord): Promise<void>
  /** Gives leased events back (shutdown): they become due now, the attempt not counted. */
  release(ids: string[], now: Date): Promise<void>
  get(id: string): Promise<WebhookEvent | undefined>
  list(options: ListOptions): Promise<Page<WebhookEventSummary>>
  attempts(eventId: string): Promise<Attempt[]>
  /** Sets processed/failed events back to new (recording a 'replayed' attempt); returns how many changed. Events whose body was dropped are left as they are. */
  replay(ids: string[], now: Date, options?: ReplayOptions): Promise<number>
  /** Replays every processed/failed event matching the filter, in short chunks; returns how many changed. */
  replayWhere(filter: EventFilter, now: Date, options?: ReplayOptions): Promise<number>
  /** How many events `replayWhere(filter)` would replay, by status. */
  countReplayable(filter: EventFilter): Promise<ReplayCount>
  /** The JSON result of an event's completed `ctx.once(key)`; undefined when that effect has not completed. */
  findEffect(eventId: string, key: string): Promise<string | undefined>
  /** Records a completed `ctx.once(key)` with its JSON result (the first record wins); settles after commit. */
  recordEffect(eventId: string, key: string, resultJson: string, at: Date): Promise<void>
  /** Deletes up to `limit` events of each status, and drops up to `limit` bodies, past the cutoffs. `dryRun`: counts all, changes nothing. */
  prune(cutoffs: RetentionCutoffs, options: { limit: number; dryRun?: boolean }): Promise<PruneResult>
  /** Turns forwarding off for a source, for every worker, until `enableForwarding`. */
  disableForwarding(source: string, reason: string, at: Date): Promise<void>
  /** Returns false when forwarding was not disabled. */
  enableForwarding(source: string): Promise<boolean>
  forwardingState(source: string): Promise<ForwardingState | undefined>
  disabledForwarding(): Promise<ForwardingState[]>
  countWhere(filter: EventFilter): Promise<number>
  recordRejection(rejection: Rejection): void
  rejections(options: { limit?: number; source?: string; since?: Date }): Promise<Rejection[]>
  stats(now: Date): Promise<Stats>
  /** Per-minute counts for every minute from the one holding `since` to the one before `until`, oldest first. */
  traffic(options: { since: Date; until: Date }): Promise<TrafficMinute[]>
  /** Counts over the minute and the hour before `now`. */
  rates(now: Date): Promise<Rates>
  /** Throws when the database cannot be written right now. */
  checkWritable(): Promise<void>
  close(): Promise<void>
}
