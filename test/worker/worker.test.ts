import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import pino from 'pino'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import type { NewWebhookEvent, WebhookEvent } from '../../src/store/store.ts'
import { backoffMs } from '../../src/worker/backoff.ts'
import { PermanentError } from '../../src/worker/errors.ts'
import { createProcess } from '../../src/worker/handlers.ts'
import { runEvent, type WorkerDeps } from '../../src/worker/run-event.ts'
import { drain, Worker } from '../../src/worker/worker.ts'
import { tempDir, waitFor } from '../helpers/gateway.ts'

const log = pino({ level: 'silent' })
const T0 = new Date('2026-01-01T00:00:00Z')
const newEvent = (overrides: Partial<NewWebhookEvent> = {}): NewWebhookEvent => ({
  source: 'github', provider: 'github', type: 'push', deliveryId: crypto.randomUUID(), method: 'POST', path: '/webhooks/github',
  query: '', headers: [['content-type', 'application/json']], body: Buffer.from('{"ok":true}'), receivedAt: T0, ...overrides,
})

describe('worker', () => {
  let store: SqliteStore
  let cleanup: () => void
  beforeEach(() => {
    const tmp = tempDir()
    cleanup = tmp.cleanup
    store = new SqliteStore(openDatabase(`file:${tmp.dir}/w.db`))
  })
  afterEach(async () => {
    await store.close()
    cleanup()
  })

  const deps = (process: WorkerDeps['process'], overrides: Partial<WorkerDeps> = {}): WorkerDeps => ({
    store, process, log, maxAttempts: 3, timeoutMs: 1000, backoff: { baseMs: 1000, maxMs: 60_000 }, random: () => 1, ...overrides,
  })
  const claimOne = async (now: Date) => (await store.claim({ limit: 1, leaseMs: 60_000, now }))[0]!

  it('runs the handler for the event type and marks it processed', async () => {
    await store.append(newEvent())
    const seen: WebhookEvent[] = []
    const process = createProcess({ handlers: { github: { push: (e) => void seen.push(e) } } })
    const totals = await drain(deps(process), { concurrency: 2, batchSize: 10, leaseMs: 60_000 }, () => T0)
    expect(totals).toEqual({ processed: 1, retry: 0, failed: 0, released: 0, unrecorded: 0 })
    expect(seen).toHaveLength(1)
    expect(seen[0]!.body.toString()).toBe('{"ok":true}')
    const [event] = (await store.list({})).items
    expect(event).toMatchObject({ status: 'processed', attempts: 1 })
  })

  it("falls back to the source's '*' handler", async () => {
    await store.append(newEvent({ type: 'issues' }))
    let called = 0
    await drain(deps(createProcess({ handlers: { github: { '*': () => void called++ } } })), { concurrency: 1, batchSize: 10, leaseMs: 1000 }, () => T0)
    expect(called).toBe(1)
  })

  it('marks an event without a handler processed, with a note', async () => {
    const { id } = (await store.append(newEvent({ source: 'stripe' }))) as { id: string }
    await drain(deps(createProcess({ handlers: {} })), { concurrency: 1, batchSize: 10, leaseMs: 1000 }, () => T0)
    expect((await store.get(id))!.status).toBe('processed')
    expect((await store.attempts(id))[0]!.note).toMatch(/no handler configured for stripe\/push/)
  })

  it('retries a handler that throws twice, then succeeds: processed after three attempts', async () => {
    const { id } = (await store.append(newEvent())) as { id: string }
    let calls = 0
    const d = deps(async () => {
      if (++calls < 3) throw new Error(`boom ${calls}`)
    }, { maxAttempts: 5 })
    let now = T0
    for (let i = 0; i < 3; i++) {
      const event = await claimOne(now)
      expect(event.id).toBe(id)
      await runEvent(d, event, () => now)
      const stored = (await store.get(id))!
      // The next attempt is due after the backoff (random = 1: the full 1 s, 2 s … window).
      if (i < 2) {
        expect(stored.status).toBe('new')
        expect(stored.nextAttemptAt.getTime() - now.getTime()).toBe(backoffMs(i + 1, { baseMs: 1000, maxMs: 60_000 }, 1))
        expect(await store.claim({ limit: 1, leaseMs: 1000, now })).toEqual([])
        now = stored.nextAttemptAt
      }
    }
    const event = (await store.get(id))!
    expect(event).toMatchObject({ status: 'processed', attempts: 3, lastError: null })
    expect((await store.attempts(id)).map((a) => [a.attempt, a.outcome, a.error])).toEqual([
      [1, 'retry', 'boom 1'],
      [2, 'retry', 'boom 2'],
      [3, 'processed', null],
    ])
  })

  it('fails an event after maxAttempts, keeping the last error', async () => {
    const { id } = (await store.append(newEvent())) as { id: string }
    const d = deps(async () => {
      throw new Error('always')
    })
    let now = T0
    for (let i = 0; i < 3; i++) {
      await runEvent(d, await claimOne(now), () => now)
      now = new Date(now.getTime() + 120_000)
    }
    expect(await store.get(id)).toMatchObject({ status: 'failed', attempts: 3, lastError: 'always' })
    expect(await store.claim({ limit: 10, leaseMs: 1000, now })).toEqual([])
  })

  it('fails at once on PermanentError', async () => {
    const { id } = (await store.append(newEvent())) as { id: string }
    await runEvent(deps(async () => {
      throw new PermanentError('bad payload')
    }), await claimOne(T0), () => T0)
    expect(await store.get(id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'PermanentError: bad payload' })
  })

  it('fails the attempt of a handler that runs past the timeout, and aborts its signal', async () => {
    const { id } = (await store.append(newEvent())) as { id: string }
    let aborted = false
    await runEvent(deps((_e, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => ((aborted = true), resolve(undefined)))), { timeoutMs: 20 }), await claimOne(T0), () => T0)
    expect(aborted).toBe(true)
    expect(await store.get(id)).toMatchObject({ status: 'new', lastError: 'HandlerTimeoutError: timed out after 20 ms' })
  })

  it('re-claims an event whose lease expired (a crashed worker)', async () => {
    const { id } = (await store.append(newEvent())) as { id: string }
    const first = await store.claim({ limit: 1, leaseMs: 30_000, now: T0 })
    expect(first.map((e) => e.id)).toEqual([id])
    expect(await store.claim({ limit: 1, leaseMs: 30_000, now: new Date(T0.getTime() + 29_000) })).toEqual([])
    const again = await store.claim({ limit: 1, leaseMs: 30_000, now: new Date(T0.getTime() + 31_000) })
    expect(again.map((e) => [e.id, e.attempts])).toEqual([[id, 2]])
  })

  it('runs a replayed failed event again', async () => {
    const { id } = (await store.append(newEvent())) as { id: string }
    await runEvent(deps(async () => {
      throw new PermanentError('nope')
    }), await claimOne(T0), () => T0)
    expect((await store.get(id))!.status).toBe('failed')
    expect(await store.replay([id], T0)).toBe(1)
    expect(await store.get(id)).toMatchObject({ status: 'new', attempts: 0 })
    let ran = 0
    await drain(deps(async () => void ran++), { concurrency: 1, batchSize: 10, leaseMs: 1000 }, () => T0)
    expect(ran).toBe(1)
    expect((await store.get(id))!.status).toBe('processed')
    expect((await store.attempts(id)).map((a) => a.outcome)).toEqual(['failed', 'replayed', 'processed'])
  })

  it('processes events as they arrive when woken, and releases running events on stop', async () => {
    const started: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const worker = new Worker(deps(async (e) => {
      started.push(e.id)
      if (e.type === 'slow') await gate
    }), { concurrency: 4, batchSize: 4, pollMs: 10_000, leaseMs: 60_000 }).start()
    const fast = (await store.append(newEvent())) as { id: string }
    worker.wake()
    await waitFor(async () => (await store.get(fast.id))!.status === 'processed')
    const slow = (await store.append(newEvent({ type: 'slow' }))) as { id: string }
    worker.wake()
    await waitFor(() => started.includes(slow.id))
    const result = await worker.stop(20)
    release()
    expect(result).toEqual({ finished: 0, released: 1 })
    expect(await store.get(slow.id)).toMatchObject({ status: 'new', attempts: 0 })
  })

  it('claims up to twice its concurrency ahead, runs no more than its concurrency at once, and gives back what never started as soon as it stops', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, async () => ((await store.append(newEvent())) as { id: string }).id))
    let running = 0
    let most = 0
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const worker = new Worker(deps(async () => {
      most = Math.max(most, ++running)
      await gate
      running--
    }), { concurrency: 2, batchSize: 64, pollMs: 10_000, leaseMs: 60_000 }).start()
    const statuses = async () => Promise.all(ids.map(async (id) => (await store.get(id))!.status))
    await waitFor(async () => (await statuses()).filter((s) => s === 'processing').length === 6)
    expect(running).toBe(2)
    const stopping = worker.stop(10_000)
    // The four waiting claimed go back at once, while the two running still have their grace period.
    await waitFor(async () => (await statuses()).filter((s) => s === 'new').length === 28)
    release()
    expect(await stopping).toEqual({ finished: 2, released: 4 })
    expect(most).toBe(2)
    const after = await Promise.all(ids.map((id) => store.get(id)))
    expect(after.filter((e) => e!.status === 'processed')).toHaveLength(2)
    expect(after.filter((e) => e!.status === 'new').every((e) => e!.attempts === 0)).toBe(true)
  })

  it('gives back a claimed event whose lease no longer covers an attempt, and runs it on a fresh lease', async () => {
    const [first, second] = (await Promise.all([store.append(newEvent()), store.append(newEvent())])) as { id: string }[]
    let now = T0.getTime()
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const started: WebhookEvent[] = []
    // timeoutMs 1000: a lease of 5000 is more than two attempts, so one event waits claimed.
    const worker = new Worker(deps(async (e) => {
      started.push(e)
      if (e.id === first!.id) await gate
    }), { concurrency: 1, batchSize: 10, pollMs: 10_000, leaseMs: 5000 }, () => new Date(now)).start()
    await waitFor(() => started.length === 1)
    expect(started.map((e) => e.id)).toEqual([first!.id])
    expect(await store.get(second!.id)).toMatchObject({ status: 'processing', leaseUntil: new Date(T0.getTime() + 5000) })
    now += 3500 // 1.5 s of lease left: less than an attempt (1 s) and the margin (1 s)
    release()
    await waitFor(async () => (await store.get(second!.id))!.status === 'processed')
    // It was given back (no attempt spent) and claimed again: it ran on a lease from the new claim.
    expect(started.map((e) => e.id)).toEqual([first!.id, second!.id])
    expect(started[1]).toMatchObject({ attempts: 1, leaseUntil: new Date(now + 5000) })
    await worker.stop(100)
  })

  it.each([{ capped: false }, { capped: true }])('a claim reads bodies oldest first while they fit in payloadBytes, and defers the rest (capped: $capped)', async ({ capped }) => {
    for (const size of [600, 3000, 300, 200]) await store.append(newEvent({ body: Buffer.alloc(size, 'x') }))
    const claimed = await store.claim({ limit: 10, leaseMs: 60_000, now: T0, payloadBytes: 1000, ...(capped ? { maxPerSource: { github: 10 } } : {}) })
    // 600 fits; 3000 does not (deferred); 300 still fits (900 in all); 200 would make 1100.
    expect(claimed.map((e) => [e.body.length, e.headers.length, e.payloadDeferred ?? false])).toEqual([[600, 1, false], [0, 0, true], [300, 1, false], [0, 0, true]])
    expect(claimed.every((e) => e.status === 'processing')).toBe(true)
    expect((await store.get(claimed[1]!.id))!.body.length).toBe(3000)
  })

  it('leaves bodies unread past claimedBodyBytes and reads each when its event starts: every handler sees its own headers and body', async () => {
    const bodies = [1, 2, 3, 4].map((n) => Buffer.alloc(1024, n))
    const ids: string[] = []
    for (const body of bodies) ids.push(((await store.append(newEvent({ body, headers: [['x-n', String(body[0])]] }))) as { id: string }).id)
    // Count the reads of whole events: the worker's only way to a body its claim left unread.
    let reads = 0
    const counted = new Proxy(store, { get: (target, key) => (key === 'get' ? (id: string) => (reads++, target.get(id)) : Reflect.get(target, key, target)) })
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const seen = new Map<string, { body: Buffer; headers: [string, string][] }>()
    // concurrency 2: two run, two wait claimed; 2500 bytes: the claim reads two bodies, not four.
    const worker = new Worker(deps(async (e) => {
      seen.set(e.id, { body: Buffer.from(e.body), headers: e.headers })
      expect(e).not.toHaveProperty('payloadDeferred')
      await gate
    }, { store: counted }), { concurrency: 2, batchSize: 64, pollMs: 10_000, leaseMs: 60_000, claimedBodyBytes: 2500 }).start()
    await waitFor(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((e) => e!.status === 'processing'))
    await waitFor(() => seen.size === 2)
    release()
    await waitFor(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((e) => e!.status === 'processed'))
    expect(reads).toBe(2)
    for (const [i, id] of ids.entries()) {
      expect(seen.get(id)!.body.equals(bodies[i]!)).toBe(true)
      expect(seen.get(id)!.headers).toEqual([['x-n', String(i + 1)]])
    }
    await worker.stop(100)
  })

  it('claims only for free slots when the lease is shorter than two attempts', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, async () => ((await store.append(newEvent())) as { id: string }).id))
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const worker = new Worker(deps(async () => gate), { concurrency: 2, batchSize: 64, pollMs: 10_000, leaseMs: 1900 }).start()
    await waitFor(async () => (await Promise.all(ids.map((id) => store.get(id)))).filter((e) => e!.status === 'processing').length === 2)
    await new Promise((r) => setTimeout(r, 50))
    expect((await Promise.all(ids.map((id) => store.get(id)))).filter((e) => e!.status === 'processing')).toHaveLength(2)
    release()
    await waitFor(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((e) => e!.status === 'processed'))
    await worker.stop(100)
  })
})

describe('backoff', () => {
  it.each([
    [1, 1, 1000],
    [2, 1, 2000],
    [3, 1, 4000],
    [10, 1, 60_000],
    [3, 0.5, 2000],
    [3, 0, 0],
    [2000, 1, 60_000],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffMs(attempt, { baseMs: 1000, maxMs: 60_000 }, random)).toBe(expected)
  })
})
