import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveConfig, type Handler, type OrderingInput } from '../../src/config.ts'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import type { NewWebhookEvent } from '../../src/store/store.ts'
import { createWorkerDeps } from '../../src/worker/deps.ts'
import { PermanentError } from '../../src/worker/errors.ts'
import type { WorkerDeps } from '../../src/worker/run-event.ts'
import { drain } from '../../src/worker/worker.ts'
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.ts'

const log = pino({ level: 'silent' })
const SECRET = `whsec_${randomBytes(24).toString('base64')}`
const T0 = Date.parse('2026-03-01T00:00:00Z')

/** A deterministic shuffle (mulberry32), so a failure can be reproduced. */
function shuffle<T>(items: T[], seed = 7): T[] {
  const out = [...items]
  let a = seed
  const random = () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

describe('per-key ordering over HTTP', () => {
  let gateway: TestGateway
  const seen: { key: string; seq: number }[] = []
  const running = new Map<string, number>()
  let overlapInKey = false
  let maxRunning = 0

  const handler: Handler = async (event) => {
    const { data } = event.json<{ data: { id: string; seq: number } }>()
    const now = (running.get(data.id) ?? 0) + 1
    running.set(data.id, now)
    if (now > 1) overlapInKey = true
    maxRunning = Math.max(maxRunning, [...running.values()].reduce((a, b) => a + b, 0))
    seen.push({ key: data.id, seq: data.seq })
    // Yield a few turns so that other keys' events run meanwhile.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
    running.set(data.id, running.get(data.id)! - 1)
  }

  beforeEach(async () => {
    seen.length = 0
    running.clear()
    overlapInKey = false
    maxRunning = 0
    gateway = await startTestGateway({
      sources: { sw: { provider: 'standard-webhooks', secret: SECRET, ordering: { key: 'data.id' } } },
      handlers: { sw: { '*': handler } },
    })
  })
  afterEach(() => gateway.close())

  const send = (key: string, seq: number) => {
    const body = JSON.stringify({ type: 'order.updated', timestamp: new Date(T0 + seq * 1000).toISOString(), data: { id: key, seq } })
    const id = `msg_${key}_${seq}`
    const now = new Date()
    return gateway.send('sw', { headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign(id, now, body) }, body })
  }

  it('processes 200 shuffled events over 10 keys one at a time per key, in event-time order, keys interleaved', async () => {
    const deliveries = shuffle(Array.from({ length: 200 }, (_, i) => ({ key: `order_${i % 10}`, seq: Math.floor(i / 10) })))
    for (let i = 0; i < deliveries.length; i += 20) {
      const statuses = await Promise.all(deliveries.slice(i, i + 20).map((d) => send(d.key, d.seq).then((r) => r.status)))
      expect(statuses.every((s) => s === 200)).toBe(true)
    }
    const deps = createWorkerDeps(gateway.config, { store: gateway.store, log })
    const totals = await drain(deps, { concurrency: 8, batchSize: 8, leaseMs: 60_000 })
    expect(totals.processed).toBe(200)
    expect(seen).toHaveLength(200)
    for (let k = 0; k < 10; k++) expect(seen.filter((s) => s.key === `order_${k}`).map((s) => s.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(overlapInKey).toBe(false)
    // Keys ran side by side: several at once, and the handler saw them interleaved rather than key after key.
    expect(maxRunning).toBeGreaterThan(1)
    const switches = seen.filter((s, i) => i > 0 && s.key !== seen[i - 1]!.key).length
    expect(switches).toBeGreaterThan(100)
  })

  it('stores the key computed at ingest, and leaves a delivery without one unordered', async () => {
    expect((await send('order_x', 0)).status).toBe(200)
    const body = JSON.stringify({ type: 'ping', data: {} })
    const now = new Date()
    await gateway.send('sw', { headers: { 'content-type': 'application/json', 'webhook-id': 'msg_nokey', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign('msg_nokey', now, body) }, body })
    const items = (await gateway.store.list({})).items
    const keys = await Promise.all(items.map(async (e) => (await gateway.store.get(e.id))!.orderingKey))
    expect(keys.sort()).toEqual(['order_x', null].sort())
  })

  it('gives a key function the whole request (headers, query, body helpers) and what describe found', async () => {
    await gateway.close()
    const inputs: Record<string, unknown>[] = []
    gateway = await startTestGateway({
      sources: {
        sw: {
          provider: 'standard-webhooks', secret: SECRET,
          ordering: {
            key: (e: OrderingInput) => {
              inputs.push({ source: e.source, type: e.type, deliveryId: e.deliveryId, header: e.headers.get('webhook-id'), region: e.query.get('region'), text: e.text().length > 0, form: typeof e.form, method: e.method })
              return `${e.query.get('region')}:${e.json<{ data: { id: string } }>()?.data.id}`
            },
          },
        },
      },
    })
    const body = JSON.stringify({ type: 'order.updated', timestamp: new Date(T0).toISOString(), data: { id: 'o1' } })
    const now = new Date()
    const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_q', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(SECRET).sign('msg_q', now, body) }
    expect((await gateway.send('sw', { headers, body, query: 'region=eu' })).status).toBe(200)
    expect(inputs).toEqual([{ source: 'sw', type: 'order.updated', deliveryId: 'msg_q', header: 'msg_q', region: 'eu', text: true, form: 'function', method: 'POST' }])
    const id = (await gateway.store.list({})).items[0]!.id
    expect((await gateway.store.get(id))!.orderingKey).toBe('eu:o1')
  })
})

describe('per-key ordering in the store and worker', () => {
  let store: SqliteStore
  let cleanup: () => void
  beforeEach(() => {
    const tmp = tempDir()
    cleanup = tmp.cleanup
    store = new SqliteStore(openDatabase(`file:${tmp.dir}/o.db`))
  })
  afterEach(async () => {
    await store.close()
    cleanup()
  })

  const event = (key: string | undefined, seq: number, overrides: Partial<NewWebhookEvent> = {}): NewWebhookEvent => ({
    source: 'shop', provider: 'github', type: 'order', deliveryId: `${key}-${seq}-${Math.random()}`, method: 'POST', path: '/webhooks/shop', query: '', headers: [],
    body: Buffer.from(JSON.stringify({ key, seq })), receivedAt: new Date(T0 + 60_000), occurredAt: new Date(T0 + seq * 1000), orderingKey: key, ...overrides,
  })
  const append = async (key: string | undefined, seq: number, overrides: Partial<NewWebhookEvent> = {}) => ((await store.append(event(key, seq, overrides))) as { id: string }).id
  const claimIds = async (now = new Date(T0 + 120_000)) => (await store.claim({ limit: 100, leaseMs: 60_000, now })).map((e) => e.id)

  async function depsFor(onFailure: 'hold' | 'skip', handler: Handler, maxAttempts = 5): Promise<WorkerDeps> {
    const config = await resolveConfig({
      sources: { shop: { provider: 'github', secret: 's', ordering: { key: (e: OrderingInput) => e.json<{ key: string }>()?.key, onFailure } } },
      handlers: { shop: { '*': handler } },
      worker: { maxAttempts, backoff: { baseMs: 60_000, maxMs: 60_000 } },
    })
    return { ...createWorkerDeps(config, { store, log }), random: () => 1 }
  }
  const T1 = new Date(T0 + 120_000)
  const opts = { concurrency: 4, batchSize: 4, leaseMs: 60_000 }

  it('claims only the head of each line, and the next one when the head is done', async () => {
    const a2 = await append('a', 2)
    const a1 = await append('a', 1) // arrived later, happened earlier: it goes first
    const b1 = await append('b', 1)
    const free = await append(undefined, 1)
    expect((await claimIds()).sort()).toEqual([a1, b1, free].sort())
    expect(await claimIds()).toEqual([])
    await store.complete(a1, { attempt: 1, startedAt: T1, finishedAt: T1 })
    expect(await claimIds()).toEqual([a2])
  })

  it('puts a replayed event back at its place in the line', async () => {
    const a1 = await append('a', 1)
    const a2 = await append('a', 2)
    expect(await claimIds()).toEqual([a1])
    await store.complete(a1, { attempt: 1, startedAt: T1, finishedAt: T1 })
    expect(await store.replay([a1], T1)).toBe(1)
    expect(await claimIds()).toEqual([a1])
    await store.complete(a1, { attempt: 1, startedAt: T1, finishedAt: T1 })
    expect(await claimIds()).toEqual([a2])
  })

  it("'hold': a failing event holds back later events of its key until it succeeds", async () => {
    const order: string[] = []
    let failures = 1
    const deps = await depsFor('hold', (e) => {
      const { key, seq } = e.json<{ key: string; seq: number }>()
      if (`${key}${seq}` === 'a1' && failures-- > 0) throw new Error('not yet')
      order.push(`${key}${seq}`)
    })
    await append('a', 1)
    await append('a', 2)
    await append('a', 3)
    await append('b', 1)
    expect(await drain(deps, opts, () => T1)).toMatchObject({ processed: 1, retry: 1 })
    expect(order).toEqual(['b1'])
    expect(await drain(deps, opts, () => new Date(T1.getTime() + 60_000))).toMatchObject({ processed: 3 })
    expect(order).toEqual(['b1', 'a1', 'a2', 'a3'])
  })

  it("'hold': an event that fails for good lets the next one go", async () => {
    const order: number[] = []
    const deps = await depsFor('hold', (e) => {
      const { seq } = e.json<{ seq: number }>()
      if (seq === 1) throw new PermanentError('bad order')
      order.push(seq)
    })
    await append('a', 1)
    await append('a', 2)
    expect(await drain(deps, opts, () => T1)).toMatchObject({ failed: 1, processed: 1 })
    expect(order).toEqual([2])
  })

  it("'skip': a failing event steps out of line, later events go ahead, and it is retried on its own", async () => {
    const order: number[] = []
    let failures = 1
    const deps = await depsFor('skip', (e) => {
      const { seq } = e.json<{ seq: number }>()
      if (seq === 1 && failures-- > 0) throw new Error('not yet')
      order.push(seq)
    })
    await append('a', 1)
    await append('a', 2)
    await append('a', 3)
    expect(await drain(deps, opts, () => T1)).toMatchObject({ retry: 1, processed: 2 })
    expect(order).toEqual([2, 3])
    expect(await drain(deps, opts, () => new Date(T1.getTime() + 60_000))).toMatchObject({ processed: 1 })
    expect(order).toEqual([2, 3, 1])
  })
})
