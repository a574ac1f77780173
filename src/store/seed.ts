// Benchmark helpers (`npm run bench -- worker`): fill a database with synthetic events fast, checkpoint
// it, measure it, show query plans. Not used by the gateway.
import type { Statement } from 'better-sqlite3'
import { statSync } from 'node:fs'
import { INSERT_PAYLOAD_SQL } from './append-thread.ts'
import type { Db } from './database.ts'
import type { EventStatus } from './schema.ts'
import type { SqliteStore } from './sqlite-store.ts'

export interface SeedOptions {
  count: number
  body: Uint8Array
  /** Status of the i-th event (default: 'processed'). */
  status?: (i: number) => EventStatus
  /** Source of the i-th event (default: 'github'). */
  source?: (i: number) => string
  /** Arrival time of the i-th event (default: one event per millisecond, ending now). */
  receivedAt?: (i: number) => number
  /** Rows per transaction (default: 50,000). */
  batch?: number
  /** Called after each transaction with the number of rows inserted so far. */
  onProgress?: (inserted: number) => void
}

const HEADERS = JSON.stringify([
  ['content-type', 'application/json'],
  ['user-agent', 'GitHub-Hookshot/044aadd'],
  ['x-github-event', 'push'],
  ['x-github-hook-id', '292430182'],
])

/**
 * Inserts `count` synthetic events with one prepared statement in big transactions (about a million
 * small rows in seconds). Finished events get a processed_at and, when failed, a last_error; new ones
 * are due now. Delivery ids are unique per call (`seed-<time>-<i>`).
 */
export function seedEvents(db: Db, o: SeedOptions): void {
  const client = db.$client
  const insert = client.prepare(
    `INSERT INTO events (source, provider, type, delivery_id, method, path, query, body_bytes, client_ip, received_at, status, attempts, next_attempt_at, processed_at, last_error)
     VALUES (?, 'github', 'push', ?, 'POST', ?, '', ?, '127.0.0.1', ?, ?, ?, ?, ?, ?) RETURNING id`,
  )
  const insertPayload = client.prepare(INSERT_PAYLOAD_SQL)
  const now = Date.now()
  const status = o.status ?? (() => 'processed' as const)
  const source = o.source ?? (() => 'github')
  const receivedAt = o.receivedAt ?? ((i: number) => now - o.count + i)
  const body = Buffer.from(o.body.buffer, o.body.byteOffset, o.body.byteLength)
  const batch = o.batch ?? 50_000
  const run = `seed-${now.toString(36)}`
  const insertRange = client.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const s = status(i)
      const src = source(i)
      const at = receivedAt(i)
      const finished = s === 'processed' || s === 'failed'
      const { id } = insert.get(src, `${run}-${i}`, `/webhooks/${src}`, body.length, at, s, finished ? 1 : 0, at, finished ? at + 5 : null, s === 'failed' ? 'HTTP 500 from the destination' : null) as { id: number }
      insertPayload.run(id, HEADERS, body)
    }
  })
  for (let from = 0; from < o.count; from += batch) {
    const to = Math.min(o.count, from + batch)
    insertRange.immediate(from, to)
    o.onProgress?.(to)
  }
}

/** Copies the WAL into the database file and empties it, so the file sizes say what is stored. */
export function checkpointTruncate(db: Db): void {
  db.$client.pragma('wal_checkpoint(TRUNCATE)')
}

/** The database's page size and the bytes of its files (main + WAL). */
export function databaseSize(db: Db): { pageSize: number; bytes: number } {
  const file = db.$client.name
  const size = (path: string) => {
    try {
      return statSync(path).size
    } catch {
      return 0
    }
  }
  return { pageSize: db.$client.pragma('page_size', { simple: true }) as number, bytes: size(file) + size(`${file}-wal`) }
}

/** EXPLAIN QUERY PLAN of the store's prepared statements whose name matches (e.g. /^claim/), by name. */
export function statementPlans(store: SqliteStore, name: RegExp): Record<string, string[]> {
  const statements = (store as unknown as { statements: Record<string, Statement> }).statements
  const plans: Record<string, string[]> = {}
  for (const [key, statement] of Object.entries(statements)) {
    if (!name.test(key)) continue
    const params = Array.from(statement.source.match(/\?/g) ?? [], () => 0)
    plans[key] = store.db.$client
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${statement.source}`)
      .all(...params)
      .map((r) => r.detail)
  }
  return plans
}
