// Seeding a database with events in a given state, through the Store (no SQL in tests).
import type { SqliteStore } from '../../src/store/sqlite-store.ts'

export interface SeedOptions {
  status: 'new' | 'processed' | 'failed'
  /** When processing finished (processed/failed). */
  finishedAt?: Date
  receivedAt?: Date
  source?: string
  type?: string
  body?: string
}

/** Appends an event and, unless it stays new, runs it to `status` at `finishedAt`. Seed new events last. */
export async function seedEvent(store: SqliteStore, { status, finishedAt = new Date(), receivedAt, source = 'github', type = 'push', body = '{}' }: SeedOptions): Promise<string> {
  const received = receivedAt ?? new Date(finishedAt.getTime() - 1000)
  const { id } = (await store.append({
    source, provider: 'github', type, deliveryId: crypto.randomUUID(), method: 'POST', path: `/webhooks/${source}`, query: '',
    headers: [['content-type', 'application/json']], body: Buffer.from(body), receivedAt: received,
  })) as { id: string }
  if (status === 'new') return id
  const [claimed] = await store.claim({ limit: 1, leaseMs: 60_000, now: received })
  if (claimed?.id !== id) throw new Error(`seedEvent: expected to claim ${id}; seed new events last`)
  const attempt = { attempt: 1, startedAt: finishedAt, finishedAt, error: status === 'failed' ? 'seeded failure' : undefined }
  await (status === 'processed' ? store.complete(id, attempt) : store.fail(id, attempt))
  return id
}
