// Memory stays bounded when the worker falls behind by 100k events: pending events live in SQLite,
// not in the process. Ingest keeps answering, claims take a bounded batch, and the JS heap does not
// grow with the backlog.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Worker } from '../../src/worker/worker.ts'
import { silentLog, startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.ts'
import { githubDelivery } from '../helpers/wire.ts'

const SECRET = 'backlog-secret'
const BACKLOG = 100_000
/** Events appended through the store's own path; the rest of the backlog is bulk-inserted rows. */
const APPENDED = 30_000
const BATCH = 2000

const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1)

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Heap in use after a full collection. */
function heapUsed(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

describe('a backlog of 100k pending events', () => {
  let gw: TestGateway
  const heap: { at10k?: number; at30k?: number; at100k?: number } = {}

  beforeAll(async () => {
    gw = await startTestGateway({ sources: { github: { provider: 'github', secret: SECRET } } })
    const headers: [string, string][] = [['content-type', 'application/json'], ['x-github-event', 'push']]
    const body = Buffer.from('{"action":"queued","padding":"' + 'p'.repeat(200) + '"}')
    // 30k through the store's append path (what ingest does), measured; then 70k more in bulk rows, for depth.
    for (let i = 0; i < APPENDED; i += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, (_, j) =>
          gw.store.append({ source: 'github', provider: 'github', type: 'push', deliveryId: `backlog-${i + j}`, method: 'POST', path: '/webhooks/github', query: '', headers, body, receivedAt: new Date() }),
        ),
      )
      if (i + BATCH === 10_000) heap.at10k = heapUsed()
    }
    heap.at30k = heapUsed()
    const client = gw.store.db.$client
    const insert = client.prepare<unknown[], { id: number }>(
      `INSERT INTO events (source, provider, type, delivery_id, method, path, body_bytes, received_at, next_attempt_at) VALUES ('github', 'github', 'push', ?, 'POST', '/webhooks/github', ?, ?, ?) RETURNING id`,
    )
    const insertPayload = client.prepare(`INSERT INTO payloads (event_id, headers, body) VALUES (?, ?, ?)`)
    const now = Date.now()
    client.transaction(() => {
      for (let i = APPENDED; i < BACKLOG; i++) insertPayload.run(insert.get(`backlog-${i}`, body.length, now, now)!.id, JSON.stringify(headers), body)
    })()
    heap.at100k = heapUsed()
  }, 60_000)
  afterAll(() => gw.close())

  it('holds nothing in memory per pending event: the heap does not grow with the backlog', () => {
    const perAppended = (heap.at30k! - heap.at10k!) / (APPENDED - 10_000)
    const perPending = (heap.at100k! - heap.at10k!) / (BACKLOG - 10_000)
    console.log(`backlog heap: ${JSON.stringify({ at10kMiB: mib(heap.at10k!), at30kMiB: mib(heap.at30k!), at100kMiB: mib(heap.at100k!), bytesPerAppended: +perAppended.toFixed(2), bytesPerPending: +perPending.toFixed(2) })}`)
    // Anything kept per event (an id in a Set, a summary object) costs tens to hundreds of bytes each.
    expect(perAppended).toBeLessThan(32)
    expect(perPending).toBeLessThan(16)
  })

  it('counts the backlog without loading it', async () => {
    const stats = await gw.store.stats(new Date())
    expect(stats.queueDepth).toBe(BACKLOG)
  })

  it('keeps acknowledging new deliveries', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await gw.send('github', await githubDelivery(SECRET, `{"i":${i}}`, `fresh-${i}`))).status))
    expect(answers).toEqual(Array(20).fill(200))
  })

  it('claims a bounded batch, oldest first, however deep the backlog', async () => {
    const claimed = await gw.store.claim({ limit: 64, leaseMs: 60_000, now: new Date() })
    expect(claimed).toHaveLength(64)
    expect(claimed[0]!.deliveryId).toBe('backlog-0')
    await gw.store.release(claimed.map((e) => e.id), new Date(0))
  })

  it('a worker working through the backlog runs at most `concurrency` events at once and keeps the heap flat', async () => {
    let running = 0
    let maxRunning = 0
    let done = 0
    const worker = new Worker(
      {
        store: gw.store,
        log: silentLog,
        maxAttempts: 3,
        timeoutMs: 5000,
        backoff: { baseMs: 1000, maxMs: 1000 },
        process: async () => {
          maxRunning = Math.max(maxRunning, ++running)
          await new Promise((r) => setImmediate(r))
          running--
          done++
        },
      },
      { concurrency: 8, batchSize: 64, pollMs: 50, leaseMs: 60_000 },
    ).start()
    const before = heapUsed()
    try {
      await waitFor(() => done >= 2000, { timeoutMs: 30_000 })
    } finally {
      await worker.stop(1000)
    }
    expect(maxRunning).toBeLessThanOrEqual(8)
    expect(heapUsed() - before).toBeLessThan(16 * 2 ** 20)
  })
})
