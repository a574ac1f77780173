import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import { pruneAll } from '../../src/worker/retention.ts'
import { Worker } from '../../src/worker/worker.ts'
import { tempDir, waitFor } from '../helpers/gateway.ts'
import { seedEvent } from './seed.ts'

const log = pino({ level: 'silent' })
const NOW = new Date('2026-06-01T00:00:00Z')
const DAY = 86_400_000
const policy = { processedDays: 30, failedDays: 90, processedBodyDays: 7, batchSize: 3 } as const

describe('retention', () => {
  let store: SqliteStore
  let cleanup: () => void
  const ids: Record<string, string[]> = {}
  beforeEach(async () => {
    const tmp = tempDir()
    cleanup = tmp.cleanup
    store = new SqliteStore(openDatabase(`file:${tmp.dir}/r.db`))
    const seed = async (name: string, n: number, status: 'processed' | 'failed' | 'new', daysAgo: number) => {
      ids[name] = []
      for (let i = 0; i < n; i++) ids[name]!.push(await seedEvent(store, { status, finishedAt: new Date(NOW.getTime() - daysAgo * DAY), body: 'x'.repeat(100) }))
    }
    await seed('processed40', 5, 'processed', 40)
    await seed('processed10', 4, 'processed', 10)
    await seed('processed3', 2, 'processed', 3)
    await seed('failed100', 4, 'failed', 100)
    await seed('failed40', 2, 'failed', 40)
    await seed('new200', 1, 'new', 200)
    for (const id of ids.processed40!) await store.recordEffect(id, 'email', '"sent"', NOW)
  })
  afterEach(async () => {
    await store.close()
    cleanup()
  })

  const statusOf = async (name: string) => Promise.all(ids[name]!.map(async (id) => (await store.get(id))?.status ?? 'deleted'))
  const bodyBytes = async (name: string) => Promise.all(ids[name]!.map(async (id) => (await store.get(id))!.body.length))

  it('deletes processed events after 30 days and failed after 90, drops processed bodies after 7, in batches; the dry run says the same', async () => {
    const expected = { processed: 5, failed: 4, bodies: 4 }
    const dry = await pruneAll(store, policy, NOW, { dryRun: true })
    expect(dry).toMatchObject(expected)
    expect(await statusOf('processed40')).toEqual(Array(5).fill('processed'))

    const batches: number[] = []
    const freed = await pruneAll(store, policy, NOW, { onBatch: (t) => batches.push(t.processed + t.failed + t.bodies) })
    expect(freed).toEqual(dry)
    expect(batches.length).toBeGreaterThan(1) // batchSize 3: several short transactions
    expect(freed.bytes).toBeGreaterThan(9 * 100 + 4 * 100 - 1)

    expect(await statusOf('processed40')).toEqual(Array(5).fill('deleted'))
    expect(await statusOf('failed100')).toEqual(Array(4).fill('deleted'))
    expect(await statusOf('processed10')).toEqual(Array(4).fill('processed'))
    expect(await bodyBytes('processed10')).toEqual([0, 0, 0, 0])
    expect(await bodyBytes('processed3')).toEqual([100, 100])
    expect(await bodyBytes('failed40')).toEqual([100, 100]) // failed bodies stay: they may be replayed
    expect(await statusOf('new200')).toEqual(['new'])
    // Attempts and once records go with their event.
    expect(await store.attempts(ids.processed40![0]!)).toEqual([])
    expect(await store.findEffect(ids.processed40![0]!, 'email')).toBeUndefined()

    expect(await pruneAll(store, policy, NOW)).toEqual({ processed: 0, failed: 0, bodies: 0, bytes: 0 })
  })

  it('keeps everything a policy of false keeps', async () => {
    expect(await pruneAll(store, { processedDays: false, failedDays: false, processedBodyDays: false }, NOW)).toEqual({ processed: 0, failed: 0, bodies: 0, bytes: 0 })
  })

  it('does not replay an event whose body was dropped, and says so in the count', async () => {
    await pruneAll(store, policy, NOW)
    expect(await store.replay(ids.processed10!, NOW)).toBe(0)
    expect(await store.countReplayable({ status: 'processed' })).toEqual({ processed: 2, failed: 0, withoutBody: 4 })
    expect(await store.replayWhere({ status: 'processed' }, NOW)).toBe(2)
  })

  it('is done by the worker on its timer', async () => {
    const worker = new Worker(
      { store, log, process: async () => {}, maxAttempts: 1, timeoutMs: 1000, backoff: { baseMs: 1, maxMs: 1 } },
      { concurrency: 1, batchSize: 1, pollMs: 10_000, leaseMs: 1000, retention: { ...policy, intervalMs: 20 } },
      () => NOW,
    ).start()
    try {
      await waitFor(async () => (await statusOf('failed100')).every((s) => s === 'deleted'))
    } finally {
      await worker.stop(100)
    }
    expect(await statusOf('processed40')).toEqual(Array(5).fill('deleted'))
  })
})
