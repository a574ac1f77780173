// The SQLite implementation of Store. Hot paths (append, claim, marks) are prepared statements run
// through the group-commit writer; listings use drizzle's query builder.
import { and, desc, eq, gte, isNotNull, lt, lte, or, sql, type SQL } from 'drizzle-orm'
import { statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Db } from './database.ts'
import { createLines, type Lines } from './lines.ts'
import { attempts, events, rejections, type EventStatus } from './schema.ts'
import type {
  AppendResult, Attempt, AttemptRecord, ClaimOptions, EventFilter, ForwardingState, ListOptions, NewWebhookEvent, Page, PruneResult, Rates, Rejection,
  ReplayCount, ReplayOptions, RetentionCutoffs, RetryOptions, Stats, Store, TrafficMinute, WebhookEvent, WebhookEventSummary,
} from './store.ts'
import { AppendThread, INSERT_PAYLOAD_SQL } from './append-thread.ts'
import { Checkpointer, newRestartGate } from './checkpointer.ts'
import { GroupCommitWriter, StorageError } from './writer.ts'

/** How many rejections the log keeps (oldest dropped first). */
export const REJECTION_LOG_SIZE = 10_000
const MAX_PAGE = 500
/** Below this much free space on the database's file system, the store is not writable (/readyz). */
const MIN_FREE_BYTES = 256 * 1024
/** A capped claim looks at this many candidates per place it fills. */
const CAPPED_CLAIM_LOOKAHEAD = 4
/** Events replayed per transaction by a bulk replay. */
const REPLAY_CHUNK = 500
const MINUTE_MS = 60_000
const HOUR_MS = 3_600_000

interface EventRowRaw {
  id: number
  source: string
  provider: string
  type: string | null
  delivery_id: string | null
  method: string
  path: string
  query: string
  body_bytes: number | null
  client_ip: string | null
  received_at: number
  occurred_at: number | null
  status: EventStatus
  attempts: number
  next_attempt_at: number
  lease_until: number | null
  processed_at: number | null
  last_error: string | null
  ordering_key: string | null
  order_at: number | null
  blocked: number
}

/** An event's row in `payloads`. */
interface PayloadRaw {
  headers: string
  body: Buffer | null
}

/** What a write that changes an event's line returns, to settle that line. */
interface LineRef {
  source: string
  ordering_key: string | null
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms))

export function toWebhookEvent(row: EventRowRaw, payload: PayloadRaw | undefined): WebhookEvent {
  return {
    id: String(row.id),
    source: row.source,
    provider: row.provider,
    type: row.type,
    deliveryId: row.delivery_id,
    method: row.method,
    path: row.path,
    query: row.query,
    headers: payload ? (JSON.parse(payload.headers) as [string, string][]) : [],
    body: payload?.body ?? Buffer.alloc(0),
    clientIp: row.client_ip,
    receivedAt: new Date(row.received_at),
    occurredAt: date(row.occurred_at),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: new Date(row.next_attempt_at),
    leaseUntil: date(row.lease_until),
    processedAt: date(row.processed_at),
    lastError: row.last_error,
    orderingKey: row.ordering_key,
  }
}

/** An event's stored bytes: body and headers. */
const PAYLOAD_BYTES = `coalesce(body_bytes, 0) + coalesce((SELECT length(headers) FROM payloads WHERE event_id = events.id), 0)`

const appended = (id: number): AppendResult => (id ? { id: String(id), duplicate: false } : { duplicate: true })

/** Parses an event id given by a user; undefined when it is not one. */
export const parseEventId = (id: string): number | undefined => (/^[1-9]\d{0,15}$/.test(id) ? Number(id) : undefined)

export class SqliteStore implements Store {
  readonly writer: GroupCommitWriter
  private readonly checkpointer?: Checkpointer
  private readonly appendThread?: AppendThread
  private readonly statements
  private readonly lines: Lines
  private rejectionsSincePrune = 0

  constructor(
    readonly db: Db,
    options: {
      onBatch?: (size: number) => void
      /** Checkpoint the WAL from a background thread rather than in the committing thread (default: false). */
      backgroundCheckpoints?: boolean
      /** Insert and commit unordered deliveries on a thread of their own, off the event loop (default: false; see append-thread.ts). */
      appendThread?: boolean
      /** Told when the append thread stops unasked; appends go on through the store's own connection. */
      onAppendThreadDeath?: (error: Error) => void
      /** Told when a background checkpoint fails, or the checkpointer's thread stops (CheckpointerOptions.onError). */
      onCheckpointError?: (error: Error, stopped: boolean) => void
    } = {},
  ) {
    const client = db.$client
    // Read before the writer turns FULL into NORMAL plus its own fsync: the append thread commits at the configured level.
    const synchronous = client.pragma('synchronous', { simple: true }) as number
    this.writer = new GroupCommitWriter(client, options.onBatch)
    const restartGate = newRestartGate()
    if (options.backgroundCheckpoints && !client.memory && !client.readonly) this.checkpointer = new Checkpointer(client, { restartGate, onError: options.onCheckpointError })
    if (options.appendThread && !client.memory && !client.readonly)
      this.appendThread = new AppendThread({ file: client.name, synchronous, busyTimeoutMs: client.pragma('busy_timeout', { simple: true }) as number,
        autocheckpointPages: client.pragma('wal_autocheckpoint', { simple: true }) as number, onBatch: options.onBatch,
        onDeath: options.onAppendThreadDeath, restartGate })
    this.writer.gate = this.appendThread
    this.lines = createLines(client)
    this.statements = {
      insert: client.prepare<unknown[], { id: number }>(
        `INSERT INTO events (source, provider, type, delivery_id, method, path, query, body_bytes, client_ip, received_at, occurred_at, status, attempts, next_attempt_at, ordering_key, order_at, blocked)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', 0, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
      ),
      insertPayload: client.prepare(INSERT_PAYLOAD_SQL),
      payload: client.prepare<[number], PayloadRaw>(`SELECT headers, body FROM payloads WHERE event_id = ?`),
      // Ordered events wait in their key's line (blocked = 1) until they are its head: see lines.ts.
      // INDEXED BY: without ANALYZE statistics SQLite would rather scan events_status_id and sort.
      claimNew: client.prepare<unknown[], EventRowRaw>(
        `UPDATE events SET status = 'processing', attempts = attempts + 1, lease_until = ?
         WHERE id IN (SELECT id FROM events INDEXED BY events_due WHERE status = 'new' AND blocked = 0 AND next_attempt_at <= ?
                        AND source NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at, id LIMIT ?)
         RETURNING *`,
      ),
      claimExpired: client.prepare<unknown[], EventRowRaw>(
        `UPDATE events SET attempts = attempts + 1, lease_until = ?
         WHERE id IN (SELECT id FROM events INDEXED BY events_lease WHERE status = 'processing' AND lease_until < ?
                        AND source NOT IN (SELECT value FROM json_each(?)) ORDER BY lease_until LIMIT ?)
         RETURNING *`,
      ),
      // Claims that cap some sources pick candidates first, then lease the ids they keep.
      candidatesNew: client.prepare<unknown[], { id: number; source: string }>(
        `SELECT id, source FROM events INDEXED BY events_due WHERE status = 'new' AND blocked = 0 AND next_attempt_at <= ?
           AND source NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at, id LIMIT ?`,
      ),
      candidatesExpired: client.prepare<unknown[], { id: number; source: string }>(
        `SELECT id, source FROM events INDEXED BY events_lease WHERE status = 'processing' AND lease_until < ?
           AND source NOT IN (SELECT value FROM json_each(?)) ORDER BY lease_until LIMIT ?`,
      ),
      claimNewIds: client.prepare<unknown[], EventRowRaw>(
        `UPDATE events SET status = 'processing', attempts = attempts + 1, lease_until = ? WHERE id IN (SELECT value FROM json_each(?)) RETURNING *`,
      ),
      claimExpiredIds: client.prepare<unknown[], EventRowRaw>(`UPDATE events SET attempts = attempts + 1, lease_until = ? WHERE id IN (SELECT value FROM json_each(?)) RETURNING *`),
      insertAttempt: client.prepare(
        `INSERT INTO attempts (event_id, attempt, started_at, finished_at, outcome, error, note, response_status, response_body, response_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      complete: client.prepare<unknown[], LineRef>(
        `UPDATE events SET status = 'processed', processed_at = ?, lease_until = NULL, last_error = NULL WHERE id = ? AND status = 'processing' RETURNING source, ordering_key`,
      ),
      retry: client.prepare<unknown[], LineRef>(
        `UPDATE events SET status = 'new', next_attempt_at = ?, lease_until = NULL, last_error = ?, order_at = CASE WHEN ? THEN NULL ELSE order_at END
         WHERE id = ? AND status = 'processing' RETURNING source, ordering_key`,
      ),
      fail: client.prepare<unknown[], LineRef>(
        `UPDATE events SET status = 'failed', processed_at = ?, lease_until = NULL, last_error = ? WHERE id = ? AND status = 'processing' RETURNING source, ordering_key`,
      ),
      release: client.prepare<unknown[], LineRef>(
        `UPDATE events SET status = 'new', attempts = max(attempts - 1, 0), next_attempt_at = ?, lease_until = NULL WHERE id = ? AND status = 'processing' RETURNING source, ordering_key`,
      ),
      // A replayed event takes its old place in its key's line again. A dropped body (retention) cannot be replayed.
      replay: client.prepare<unknown[], LineRef>(
        `UPDATE events SET status = 'new', attempts = 0, next_attempt_at = ?, lease_until = NULL,
           order_at = CASE WHEN ordering_key IS NULL THEN NULL ELSE coalesce(occurred_at, received_at) END, blocked = (ordering_key IS NOT NULL)
         WHERE id = ? AND status IN ('processed', 'failed') AND body_bytes IS NOT NULL RETURNING source, ordering_key`,
      ),
      replayable: client.prepare<unknown[], { status: EventStatus; attempts: number; has_body: number }>(`SELECT status, attempts, body_bytes IS NOT NULL AS has_body FROM events WHERE id = ?`),
      forgetEffects: client.prepare(`DELETE FROM effects WHERE event_id = ?`),
      findEffect: client.prepare<unknown[], { result: string }>(`SELECT result FROM effects WHERE event_id = ? AND key = ?`),
      recordEffect: client.prepare(`INSERT INTO effects (event_id, key, result, completed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      countFinished: client.prepare<unknown[], { n: number; bytes: number }>(
        `SELECT count(*) AS n, coalesce(sum(${PAYLOAD_BYTES}), 0) AS bytes FROM events INDEXED BY events_processed_at WHERE status = ? AND processed_at < ?`,
      ),
      finishedBatch: client.prepare<unknown[], { id: number; bytes: number }>(
        `SELECT id, ${PAYLOAD_BYTES} AS bytes FROM events INDEXED BY events_processed_at WHERE status = ? AND processed_at < ? LIMIT ?`,
      ),
      countBodies: client.prepare<unknown[], { n: number; bytes: number }>(
        `SELECT count(*) AS n, coalesce(sum(body_bytes), 0) AS bytes FROM events INDEXED BY events_bodies WHERE status = 'processed' AND body_bytes IS NOT NULL AND processed_at < ?`,
      ),
      keptBodies: client.prepare<unknown[], { id: number; bytes: number }>(
        `SELECT id, body_bytes AS bytes FROM events INDEXED BY events_bodies WHERE status = 'processed' AND body_bytes IS NOT NULL AND processed_at >= ? AND processed_at < ? LIMIT ?`,
      ),
      dropBody: client.prepare(`UPDATE events SET body_bytes = NULL WHERE id = ?`),
      dropPayloadBody: client.prepare(`UPDATE payloads SET body = NULL WHERE event_id = ?`),
      // Their payloads and attempts go with them (ON DELETE CASCADE).
      deleteEvent: client.prepare(`DELETE FROM events WHERE id = ?`),
      disableForwarding: client.prepare(
        `INSERT INTO source_states (source, forward_disabled_at, forward_disabled_reason) VALUES (?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET forward_disabled_at = excluded.forward_disabled_at, forward_disabled_reason = excluded.forward_disabled_reason`,
      ),
      enableForwarding: client.prepare(`UPDATE source_states SET forward_disabled_at = NULL, forward_disabled_reason = NULL WHERE source = ? AND forward_disabled_at IS NOT NULL`),
      forwardingStates: client.prepare<unknown[], { source: string; at: number; reason: string | null }>(
        `SELECT source, forward_disabled_at AS at, forward_disabled_reason AS reason FROM source_states WHERE forward_disabled_at IS NOT NULL AND (? IS NULL OR source = ?) ORDER BY source`,
      ),
      get: client.prepare<unknown[], EventRowRaw & Partial<PayloadRaw>>(`SELECT e.*, p.headers, p.body FROM events e LEFT JOIN payloads p ON p.event_id = e.id WHERE e.id = ?`),
      insertRejection: client.prepare(`INSERT INTO rejections (at, source, client_ip, status, reason, hint) VALUES (?, ?, ?, ?, ?, ?)`),
      pruneRejections: client.prepare(`DELETE FROM rejections WHERE id <= (SELECT max(id) FROM rejections) - ?`),
    }
  }

  append(e: NewWebhookEvent): Promise<AppendResult> {
    if (e.orderingKey === undefined && this.appendThread?.usable) return this.appendThread.append(e).then(appended)
    const received = e.receivedAt.getTime()
    const params = [
      e.source, e.provider, e.type ?? null, e.deliveryId ?? null, e.method, e.path, e.query, e.body.byteLength, e.clientIp ?? null, received,
      e.occurredAt?.getTime() ?? null, received,
      e.orderingKey ?? null, e.orderingKey === undefined ? null : (e.occurredAt?.getTime() ?? received), e.orderingKey === undefined ? 0 : 1,
    ]
    const headers = JSON.stringify(e.headers)
    const body = Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength)
    return this.writer.run(() => {
      const row = this.statements.insert.get(...params)
      if (row) this.statements.insertPayload.run(row.id, headers, body)
      if (row && e.orderingKey !== undefined) this.lines.settle(e.source, e.orderingKey)
      return appended(row?.id ?? 0)
    })
  }

  claim({ limit, leaseMs, now, excludeSources = [], maxPerSource, payloadBytes = Infinity }: ClaimOptions): Promise<WebhookEvent[]> {
    const lease = now.getTime() + leaseMs
    const excluded = JSON.stringify(excludeSources)
    if (maxPerSource && Object.keys(maxPerSource).length) return this.writer.run(() => this.withPayloads(this.claimCapped(limit, lease, now, excluded, { ...maxPerSource }), payloadBytes))
    return this.writer.run(() => {
      const rows = this.statements.claimExpired.all(lease, now.getTime(), excluded, limit)
      if (rows.length < limit) rows.push(...this.statements.claimNew.all(lease, now.getTime(), excluded, limit - rows.length))
      return this.withPayloads(rows, payloadBytes)
    })
  }

  /** A claim that takes at most `left[source]` events of the capped sources (looking a little further for the others). */
  private claimCapped(limit: number, lease: number, now: Date, excluded: string, left: Record<string, number>): EventRowRaw[] {
    const keep = (candidates: { id: number; source: string }[], n: number) => {
      const ids: number[] = []
      for (const { id, source } of candidates) {
        if (ids.length >= n) break
        const cap = left[source]
        if (cap !== undefined && cap <= 0) continue
        if (cap !== undefined) left[source] = cap - 1
        ids.push(id)
      }
      return ids
    }
    const expired = keep(this.statements.candidatesExpired.all(now.getTime(), excluded, limit * CAPPED_CLAIM_LOOKAHEAD), limit)
    const rows = expired.length ? this.statements.claimExpiredIds.all(lease, JSON.stringify(expired)) : []
    if (rows.length < limit) {
      const fresh = keep(this.statements.candidatesNew.all(now.getTime(), excluded, (limit - rows.length) * CAPPED_CLAIM_LOOKAHEAD), limit - rows.length)
      if (fresh.length) rows.push(...this.statements.claimNewIds.all(lease, JSON.stringify(fresh)))
    }
    return rows
  }

  /** The claimed rows as events, with headers and bodies while those read stay within `budget` bytes (ClaimOptions.payloadBytes). */
  private withPayloads(rows: EventRowRaw[], budget: number): WebhookEvent[] {
    let left = budget
    return rows.map((row) => {
      const bytes = row.body_bytes ?? 0
      if (bytes > left) return { ...toWebhookEvent(row, undefined), payloadDeferred: true }
      left -= bytes
      return toWebhookEvent(row, this.statements.payload.get(row.id))
    })
  }

  private settle(ref: LineRef | undefined) {
    if (ref) this.lines.settle(ref.source, ref.ordering_key)
  }

  private recordAttempt(id: number, a: AttemptRecord, outcome: Attempt['outcome']) {
    this.statements.insertAttempt.run(id, a.attempt, a.startedAt.getTime(), a.finishedAt.getTime(), outcome, a.error ?? null, a.note ?? null, a.responseStatus ?? null, a.responseBody ?? null, a.responseMs ?? null)
  }

  complete(id: string, a: AttemptRecord): Promise<void> {
    const n = Number(id)
    return this.writer.run(() => {
      this.recordAttempt(n, a, 'processed')
      this.settle(this.statements.complete.get(a.finishedAt.getTime(), n))
    })
  }

  retry(id: string, a: AttemptRecord, nextAttemptAt: Date, options: RetryOptions = {}): Promise<void> {
    const n = Number(id)
    return this.writer.run(() => {
      this.recordAttempt(n, a, 'retry')
      this.settle(this.statements.retry.get(nextAttemptAt.getTime(), a.error ?? null, options.leaveLine ? 1 : 0, n))
    })
  }

  fail(id: string, a: AttemptRecord): Promise<void> {
    const n = Number(id)
    return this.writer.run(() => {
      this.recordAttempt(n, a, 'failed')
      this.settle(this.statements.fail.get(a.finishedAt.getTime(), a.error ?? null, n))
    })
  }

  release(ids: string[], now: Date): Promise<void> {
    return this.writer.run(() => {
      for (const id of ids) this.settle(this.statements.release.get(now.getTime(), Number(id)))
    })
  }

  async get(id: string): Promise<WebhookEvent | undefined> {
    const n = parseEventId(id)
    if (n === undefined) return undefined
    const row = this.statements.get.get(n)
    // headers is NOT NULL in payloads: null here means the event has no payload row.
    return row ? toWebhookEvent(row, row.headers == null ? undefined : (row as PayloadRaw)) : undefined
  }

  async list(options: ListOptions): Promise<Page<WebhookEventSummary>> {
    const limit = Math.min(Math.max(options.limit ?? 50, 1), MAX_PAGE)
    const where = [...filterConditions(options)]
    const cursor = options.cursor === undefined ? undefined : parseEventId(options.cursor)
    if (options.cursor !== undefined && cursor === undefined) throw new RangeError(`invalid cursor ${JSON.stringify(options.cursor)}`)
    if (cursor !== undefined) where.push(lt(events.id, cursor))
    const rows = this.db
      .select({
        id: events.id, source: events.source, provider: events.provider, type: events.type, deliveryId: events.deliveryId,
        method: events.method, path: events.path, query: events.query, clientIp: events.clientIp, receivedAt: events.receivedAt,
        occurredAt: events.occurredAt, status: events.status, attempts: events.attempts, nextAttemptAt: events.nextAttemptAt,
        leaseUntil: events.leaseUntil, processedAt: events.processedAt, lastError: events.lastError,
        bodyBytes: sql<number>`coalesce(${events.bodyBytes}, 0)`,
      })
      .from(events)
      .where(and(...where))
      .orderBy(desc(events.id))
      .limit(limit + 1)
      .all()
    const items = rows.slice(0, limit).map((r) => ({ ...r, id: String(r.id) }))
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : undefined }
  }

  async attempts(eventId: string): Promise<Attempt[]> {
    const n = parseEventId(eventId)
    if (n === undefined) return []
    return this.db.select().from(attempts).where(eq(attempts.eventId, n)).orderBy(attempts.id).all()
      .map((a) => ({ ...a, id: String(a.id), eventId: String(a.eventId) }))
  }

  replay(ids: string[], now: Date, options: ReplayOptions = {}): Promise<number> {
    const numbers = ids.map(parseEventId).filter((n): n is number => n !== undefined)
    return this.writer.run(() => this.replaySync(numbers, now, options))
  }

  private replaySync(ids: number[], now: Date, { fresh = false }: ReplayOptions): number {
    let changed = 0
    for (const id of ids) {
      const before = this.statements.replayable.get(id)
      if (!before || (before.status !== 'processed' && before.status !== 'failed') || !before.has_body) continue
      this.settle(this.statements.replay.get(now.getTime(), id))
      if (fresh) this.statements.forgetEffects.run(id)
      this.statements.insertAttempt.run(id, before.attempts, now.getTime(), now.getTime(), 'replayed', null, fresh ? 'fresh: once records cleared' : null, null, null, null)
      changed++
    }
    return changed
  }

  async replayWhere(filter: EventFilter, now: Date, options: ReplayOptions = {}): Promise<number> {
    const replayable = or(eq(events.status, 'processed'), eq(events.status, 'failed'))
    const ids = this.db.select({ id: events.id }).from(events).where(and(replayable, isNotNull(events.bodyBytes), ...filterConditions(filter))).orderBy(events.id).all().map((r) => r.id)
    let changed = 0
    // Chunks keep each transaction short, so ingest is never blocked for long.
    for (let i = 0; i < ids.length; i += REPLAY_CHUNK) {
      changed += await this.writer.run(() => this.replaySync(ids.slice(i, i + REPLAY_CHUNK), now, options))
      options.onProgress?.(Math.min(i + REPLAY_CHUNK, ids.length), ids.length)
    }
    return changed
  }

  async countReplayable(filter: EventFilter): Promise<ReplayCount> {
    const rows = this.db
      .select({ status: events.status, hasBody: sql<number>`${events.bodyBytes} IS NOT NULL`, n: sql<number>`count(*)` })
      .from(events)
      .where(and(or(eq(events.status, 'processed'), eq(events.status, 'failed')), ...filterConditions(filter)))
      .groupBy(events.status, sql`${events.bodyBytes} IS NOT NULL`)
      .all()
    const count: ReplayCount = { processed: 0, failed: 0, withoutBody: 0 }
    for (const r of rows) {
      if (!r.hasBody) count.withoutBody += r.n
      else if (r.status === 'processed' || r.status === 'failed') count[r.status] += r.n
    }
    return count
  }

  async countWhere(filter: EventFilter): Promise<number> {
    return this.db.select({ n: sql<number>`count(*)` }).from(events).where(and(...filterConditions(filter))).get()?.n ?? 0
  }

  async findEffect(eventId: string, key: string): Promise<string | undefined> {
    const n = parseEventId(eventId)
    return n === undefined ? undefined : this.statements.findEffect.get(n, key)?.result
  }

  recordEffect(eventId: string, key: string, resultJson: string, at: Date): Promise<void> {
    const n = Number(eventId)
    return this.writer.run(() => void this.statements.recordEffect.run(n, key, resultJson, at.getTime()))
  }

  async prune(cutoffs: RetentionCutoffs, { limit, dryRun = false }: { limit: number; dryRun?: boolean }): Promise<PruneResult> {
    const result: PruneResult = { processed: 0, failed: 0, bodies: 0, bytes: 0 }
    const finished = [['processed', cutoffs.processedBefore], ['failed', cutoffs.failedBefore]] as const
    if (dryRun) {
      // Bodies of events that would be deleted anyway are counted once, with the events.
      for (const [status, before] of finished) {
        if (!before) continue
        const { n, bytes } = this.statements.countFinished.get(status, before.getTime())!
        result[status] = n
        result.bytes += bytes
      }
      const { processedBodiesBefore: bodiesBefore, processedBefore } = cutoffs
      if (bodiesBefore && !(processedBefore && bodiesBefore <= processedBefore)) {
        const all = this.statements.countBodies.get(bodiesBefore.getTime())!
        const deleted = processedBefore ? this.statements.countBodies.get(processedBefore.getTime())! : { n: 0, bytes: 0 }
        result.bodies = all.n - deleted.n
        result.bytes += all.bytes - deleted.bytes
      }
      return result
    }
    return this.writer.run(() => {
      for (const [status, before] of finished) {
        if (!before) continue
        for (const row of this.statements.finishedBatch.all(status, before.getTime(), limit)) {
          this.statements.deleteEvent.run(row.id)
          result[status]++
          result.bytes += row.bytes
        }
      }
      if (cutoffs.processedBodiesBefore) {
        // Only events that stay: older ones are deleted whole, in this batch or the next.
        const from = cutoffs.processedBefore?.getTime() ?? 0
        for (const row of this.statements.keptBodies.all(from, cutoffs.processedBodiesBefore.getTime(), limit)) {
          this.statements.dropBody.run(row.id)
          this.statements.dropPayloadBody.run(row.id)
          result.bodies++
          result.bytes += row.bytes
        }
      }
      return result
    })
  }

  disableForwarding(source: string, reason: string, at: Date): Promise<void> {
    return this.writer.run(() => void this.statements.disableForwarding.run(source, at.getTime(), reason))
  }

  enableForwarding(source: string): Promise<boolean> {
    return this.writer.run(() => this.statements.enableForwarding.run(source).changes > 0)
  }

  async forwardingState(source: string): Promise<ForwardingState | undefined> {
    const row = this.statements.forwardingStates.get(source, source)
    return row && { source: row.source, disabledAt: new Date(row.at), reason: row.reason ?? '' }
  }

  async disabledForwarding(): Promise<ForwardingState[]> {
    return this.statements.forwardingStates.all(null, null).map((row) => ({ source: row.source, disabledAt: new Date(row.at), reason: row.reason ?? '' }))
  }

  recordRejection(r: Rejection): void {
    this.writer
      .run(() => {
        this.statements.insertRejection.run(r.at.getTime(), r.source, r.clientIp ?? null, r.status, r.reason, r.hint ?? null)
        if (++this.rejectionsSincePrune >= 1000) {
          this.rejectionsSincePrune = 0
          this.statements.pruneRejections.run(REJECTION_LOG_SIZE)
        }
      })
      .catch(() => {}) // the log is best effort; the request was refused either way
  }

  async rejections({ limit = 100, source, since }: { limit?: number; source?: string; since?: Date }): Promise<Rejection[]> {
    const where: SQL[] = []
    if (source) where.push(eq(rejections.source, source))
    if (since) where.push(gte(rejections.at, since))
    return this.db.select().from(rejections).where(and(...where)).orderBy(desc(rejections.id)).limit(Math.min(limit, MAX_PAGE)).all()
      .map((r) => ({ at: r.at, source: r.source, clientIp: r.clientIp ?? undefined, status: r.status, reason: r.reason, hint: r.hint ?? undefined }))
  }

  async stats(now: Date): Promise<Stats> {
    const bySourceStatus = this.db
      .select({ source: events.source, status: events.status, count: sql<number>`count(*)` })
      .from(events).groupBy(events.source, events.status).all()
    const t = now.getTime()
    const due = this.db.$client
      .prepare<unknown[], { n: number; oldest: number | null }>(
        `SELECT count(*) AS n, min(due) AS oldest FROM (
           SELECT next_attempt_at AS due FROM events INDEXED BY events_due WHERE status = 'new' AND blocked = 0 AND next_attempt_at <= ?
           UNION ALL SELECT lease_until FROM events INDEXED BY events_lease WHERE status = 'processing' AND lease_until < ?)`,
      )
      .get(t, t)!
    return { bySourceStatus, queueDepth: due.n, oldestDueMs: due.oldest === null ? 0 : Math.max(0, t - due.oldest) }
  }

  async traffic({ since, until }: { since: Date; until: Date }): Promise<TrafficMinute[]> {
    const first = Math.floor(since.getTime() / MINUTE_MS)
    const end = Math.ceil(until.getTime() / MINUTE_MS)
    const from = first * MINUTE_MS
    const to = until.getTime()
    const minutes = Array.from({ length: Math.max(0, end - first) }, (_, i): TrafficMinute => ({ minute: new Date((first + i) * MINUTE_MS), accepted: 0, rejected: 0, processed: 0, failed: 0 }))
    const at = (m: number) => minutes[m - first]
    const client = this.db.$client
    // Each query reads only its time index (events_received_at, events_processed_at, rejections_at).
    for (const r of client.prepare<unknown[], { m: number; n: number }>(`SELECT received_at / ${MINUTE_MS} AS m, count(*) AS n FROM events WHERE received_at >= ? AND received_at < ? GROUP BY m`).all(from, to)) {
      const slot = at(r.m)
      if (slot) slot.accepted = r.n
    }
    for (const r of client.prepare<unknown[], { m: number; status: string; n: number }>(
      `SELECT processed_at / ${MINUTE_MS} AS m, status, count(*) AS n FROM events WHERE processed_at >= ? AND processed_at < ? GROUP BY m, status`,
    ).all(from, to)) {
      // A replayed event keeps its old processed_at until it finishes again: count only finished ones.
      const slot = at(r.m)
      if (slot && (r.status === 'processed' || r.status === 'failed')) slot[r.status] = r.n
    }
    for (const r of client.prepare<unknown[], { m: number; n: number }>(`SELECT at / ${MINUTE_MS} AS m, count(*) AS n FROM rejections WHERE at >= ? AND at < ? GROUP BY m`).all(from, to)) {
      const slot = at(r.m)
      if (slot) slot.rejected = r.n
    }
    return minutes
  }

  async rates(now: Date): Promise<Rates> {
    const t = now.getTime()
    const client = this.db.$client
    const ingest = client
      .prepare<unknown[], { minute: number | null; hour: number }>(`SELECT sum(received_at > ?) AS minute, count(*) AS hour FROM events WHERE received_at > ? AND received_at <= ?`)
      .get(t - MINUTE_MS, t - HOUR_MS, t)!
    const done = client
      .prepare<unknown[], { minute: number | null; hour: number | null; failedMinute: number | null; failedHour: number | null }>(
        `SELECT sum(processed_at > ? AND status IN ('processed', 'failed')) AS minute, sum(status IN ('processed', 'failed')) AS hour,
                sum(processed_at > ? AND status = 'failed') AS failedMinute, sum(status = 'failed') AS failedHour
         FROM events WHERE processed_at > ? AND processed_at <= ?`,
      )
      .get(t - MINUTE_MS, t - MINUTE_MS, t - HOUR_MS, t)!
    const refused = client
      .prepare<unknown[], { minute: number | null; hour: number }>(`SELECT sum(at > ?) AS minute, count(*) AS hour FROM rejections WHERE at > ? AND at <= ?`)
      .get(t - MINUTE_MS, t - HOUR_MS, t)!
    return {
      ingest: { lastMinute: ingest.minute ?? 0, lastHour: ingest.hour },
      processing: { lastMinute: done.minute ?? 0, lastHour: done.hour ?? 0 },
      failed: { lastMinute: done.failedMinute ?? 0, lastHour: done.failedHour ?? 0 },
      rejected: { lastMinute: refused.minute ?? 0, lastHour: refused.hour },
    }
  }

  /**
   * A real (tiny) write through the writer, so a fault and its recovery are both noticed; and room to
   * grow: a database at its page limit takes a rewrite of page 1 but not one new event (SQLITE_FULL).
   */
  async checkWritable(): Promise<void> {
    await this.writer.run(() => {
      const client = this.db.$client
      client.pragma('user_version = 0')
      const pages = client.pragma('page_count', { simple: true }) as number
      if (pages >= (client.pragma('max_page_count', { simple: true }) as number) && (client.pragma('freelist_count', { simple: true }) as number) === 0)
        throw new StorageError(`the database is full: ${pages} pages, its max_page_count`)
      // A WAL that has been checkpointed and restarted rewrites frames already on disk, so the tiny
      // write above can succeed on a full disk where an event would not: ask the file system too.
      if (!client.memory) {
        const { bavail, bsize } = statfsSync(dirname(client.name))
        if (bavail * bsize < MIN_FREE_BYTES) throw new StorageError(`the disk is full: ${bavail * bsize} bytes left`)
      }
    })
  }

  /**
   * Runs a per-connection pragma (max_page_count, query_only …) on every connection that writes events,
   * the store's own and the append thread's; returns each one's first value.
   */
  async pragma(pragma: string): Promise<{ main: unknown; appendThread?: unknown }> {
    const main = this.db.$client.pragma(pragma, { simple: true })
    return this.appendThread ? { main, appendThread: await this.appendThread.pragma(pragma) } : { main }
  }

  /** Settles once every connection the store writes through is open (the append thread starts on its own). */
  async opened(): Promise<void> {
    await this.appendThread?.started
  }

  async close(): Promise<void> {
    await this.appendThread?.close()
    this.writer.close()
    await this.checkpointer?.stop()
    this.db.$client.close()
    this.checkpointer?.release()
  }
}

function filterConditions(f: EventFilter): SQL[] {
  const where: SQL[] = []
  if (f.source) where.push(eq(events.source, f.source))
  if (f.status) where.push(eq(events.status, f.status))
  if (f.type) where.push(eq(events.type, f.type))
  if (f.since) where.push(gte(events.receivedAt, f.since))
  if (f.until) where.push(lte(events.receivedAt, f.until))
  if (f.q) where.push(or(sql`instr(${events.deliveryId}, ${f.q}) > 0`, sql`instr(${events.type}, ${f.q}) > 0`)!)
  return where
}

export { StorageError }
