import { createHmac, randomBytes } from 'node:crypto'
import pino from 'pino'
import { Webhook } from 'standardwebhooks'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveConfig, type ConfigInput, type HandlerEvent, type SourceInput } from '../../src/config.ts'
import { openDatabase } from '../../src/store/database.ts'
import { SqliteStore } from '../../src/store/sqlite-store.ts'
import type { NewWebhookEvent } from '../../src/store/store.ts'
import { createWorkerDeps } from '../../src/worker/deps.ts'
import { PermanentError } from '../../src/worker/errors.ts'
import { MAX_RETRY_AFTER_MS, parseRetryAfter, RESPONSE_BODY_BYTES } from '../../src/worker/forward.ts'
import { SourceLimits } from '../../src/worker/limits.ts'
import { runEvent, type WorkerDeps } from '../../src/worker/run-event.ts'
import { drain, Worker } from '../../src/worker/worker.ts'
import { startTestGateway, tempDir, waitFor } from '../helpers/gateway.ts'
import { startReceiver, type Receiver, type Reply } from './receiver.ts'

const log = pino({ level: 'silent' })
const SIGNING_SECRET = `whsec_${randomBytes(32).toString('base64')}`
const BODY = Buffer.from('{"action":"opened","number":7}')

const newEvent = (overrides: Partial<NewWebhookEvent> = {}): NewWebhookEvent => ({
  source: 'github', provider: 'github', type: 'pull_request', deliveryId: crypto.randomUUID(), method: 'POST', path: '/webhooks/github', query: '',
  headers: [
    ['content-type', 'application/json'], ['x-github-event', 'pull_request'], ['x-hub-signature-256', 'sha256=abc'], ['user-agent', 'GitHub-Hookshot/1'],
    ['host', 'hooks.example.com'], ['connection', 'keep-alive, x-hop'], ['x-hop', 'dropped'], ['keep-alive', 'timeout=5'], ['transfer-encoding', 'chunked'],
    ['content-length', String(BODY.length)], ['authorization', '[redacted]'], ['x-forwarded-for', '10.9.9.9'], ['x-inhook-attempt', '99'],
  ],
  body: BODY, clientIp: '203.0.113.7', receivedAt: new Date(), ...overrides,
})

describe('forwarding', () => {
  let store: SqliteStore
  let cleanup: () => void
  let receiver: Receiver | undefined
  beforeEach(() => {
    const tmp = tempDir()
    cleanup = tmp.cleanup
    store = new SqliteStore(openDatabase(`file:${tmp.dir}/f.db`))
  })
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
    await store.close()
    cleanup()
  })

  /** Worker deps for a github source forwarding to `receiver` (backoff: exactly 1 s, 2 s …). */
  async function forwardingTo(reply: (req: import('./receiver.ts').Received, i: number) => Reply | Promise<Reply>, forward: Partial<NonNullable<SourceInput['forward']>> = {}, input: Partial<ConfigInput> = {}): Promise<WorkerDeps> {
    receiver = await startReceiver(reply)
    const config = await resolveConfig({
      sources: { github: { provider: 'github', secret: 'gh-secret', forward: { url: `${receiver.url}/hooks?token=s3cret`, signingSecret: SIGNING_SECRET, headers: { authorization: 'Bearer internal' }, ...forward } } },
      worker: { maxAttempts: 5, backoff: { baseMs: 1000, maxMs: 60_000 } },
      ...input,
    })
    return { ...createWorkerDeps(config, { store, log }), random: () => 1 }
  }
  const appendOne = async (overrides: Partial<NewWebhookEvent> = {}) => ((await store.append(newEvent(overrides))) as { id: string }).id
  const runDue = async (deps: WorkerDeps, now = new Date()) => {
    const [event] = await store.claim({ limit: 1, leaseMs: 60_000, now })
    return runEvent(deps, event!, () => now)
  }

  it('sends the original bytes and headers with the gateway signature, verified by the official standardwebhooks package', async () => {
    const deps = await forwardingTo(() => ({ status: 204 }))
    const id = await appendOne()
    expect(await runDue(deps)).toBe('processed')
    const [req] = receiver!.received
    expect(req!.method).toBe('POST')
    expect(req!.url).toBe('/hooks?token=s3cret')
    expect(req!.body.equals(BODY)).toBe(true)
    const h = req!.headers
    expect(new Webhook(SIGNING_SECRET).verify(req!.body, h as Record<string, string>)).toEqual({ action: 'opened', number: 7 })
    expect(h).toMatchObject({
      'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-hub-signature-256': 'sha256=abc', 'user-agent': 'GitHub-Hookshot/1',
      'webhook-id': id, 'idempotency-key': id, 'x-inhook-source': 'github', 'x-inhook-event-type': 'pull_request', 'x-inhook-attempt': '1',
      'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'http', authorization: 'Bearer internal',
    })
    // Hop-by-hop headers, Host and the provider's redacted ones are not passed on.
    expect(h.host).toBe(new URL(receiver!.url).host)
    expect(h['x-hop']).toBeUndefined()
    expect(h['keep-alive']).toBeUndefined()
    expect(h['transfer-encoding']).toBeUndefined()
    expect(h['content-length']).toBe(String(BODY.length))
    const [attempt] = await store.attempts(id)
    expect(attempt).toMatchObject({ outcome: 'processed', responseStatus: 204, responseBody: '' })
    expect(attempt!.responseMs).toBeGreaterThanOrEqual(0)
  })

  it('forwards a binary body byte for byte, with a signature over those bytes', async () => {
    const deps = await forwardingTo(() => ({ status: 200 }))
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41])
    await appendOne({ body, headers: [['content-type', 'application/octet-stream']] })
    expect(await runDue(deps)).toBe('processed')
    const [req] = receiver!.received
    expect(req!.body.equals(body)).toBe(true)
    expect(req!.headers['content-type']).toBe('application/octet-stream')
    // The reference SDK decodes a Buffer payload as UTF-8 before signing, so it cannot check non-UTF-8 bytes;
    // the signature is over the exact bytes, as the spec says: check it with node:crypto.
    const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature } = req!.headers as Record<string, string>
    const key = Buffer.from(SIGNING_SECRET.slice('whsec_'.length), 'base64')
    expect(signature).toBe(`v1,${createHmac('sha256', key).update(`${id}.${ts}.`).update(body).digest('base64')}`)
  })

  it('retries a 500, then marks the event processed on 200: one processed attempt, the same idempotency key', async () => {
    const deps = await forwardingTo((_, i) => (i === 0 ? { status: 500, body: 'database down' } : { status: 200, body: 'ok' }))
    const id = await appendOne()
    expect(await runDue(deps)).toBe('retry')
    const waiting = (await store.get(id))!
    expect(waiting).toMatchObject({ status: 'new', lastError: expect.stringMatching(/answered 500/) })
    expect(await runDue(deps, waiting.nextAttemptAt)).toBe('processed')
    expect((await store.attempts(id)).map((a) => [a.outcome, a.responseStatus, a.responseBody])).toEqual([
      ['retry', 500, 'database down'],
      ['processed', 200, 'ok'],
    ])
    expect(receiver!.received.map((r) => [r.headers['idempotency-key'], r.headers['x-inhook-attempt']])).toEqual([[id, '1'], [id, '2']])
  })

  it('honours Retry-After on a 503', async () => {
    const deps = await forwardingTo(() => ({ status: 503, headers: { 'retry-after': '120' } }))
    const id = await appendOne()
    expect(await runDue(deps)).toBe('retry')
    const [attempt] = await store.attempts(id)
    // The backoff alone would be 1 s (random = 1); Retry-After asks for 120 s.
    expect((await store.get(id))!.nextAttemptAt.getTime() - attempt!.finishedAt.getTime()).toBe(120_000)
  })

  it.each([
    ['120', 120_000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:01:00 GMT', 60_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['999999999', MAX_RETRY_AFTER_MS],
    ['soon', undefined],
  ])('reads Retry-After %j as %j ms', (value, ms) => {
    expect(parseRetryAfter(value, new Date('2026-01-01T00:00:00Z'))).toBe(ms)
  })

  it('fails at once on 400, keeping the status and the first KiB of the answer', async () => {
    const deps = await forwardingTo(() => ({ status: 400, body: 'x'.repeat(5000) }))
    const id = await appendOne()
    expect(await runDue(deps)).toBe('failed')
    expect(await store.get(id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/answered 400; not retried/) })
    const [attempt] = await store.attempts(id)
    expect(attempt).toMatchObject({ outcome: 'failed', responseStatus: 400 })
    expect(attempt!.responseBody).toHaveLength(RESPONSE_BODY_BYTES)
  })

  it('retries the 4xx statuses listed in retryOn4xx', async () => {
    const deps = await forwardingTo((_, i) => ({ status: i === 0 ? 409 : 200 }), { retryOn4xx: [409] })
    const id = await appendOne()
    expect(await runDue(deps)).toBe('retry')
    expect(await runDue(deps, (await store.get(id))!.nextAttemptAt)).toBe('processed')
  })

  it('on 410 fails the event and disables forwarding for the source until re-enabled', async () => {
    const deps = await forwardingTo((_, i) => ({ status: i === 0 ? 410 : 200 }))
    const first = await appendOne()
    expect(await runDue(deps)).toBe('failed')
    expect(await store.forwardingState('github')).toMatchObject({ source: 'github', reason: expect.stringMatching(/410 Gone/) })
    // Later events fail without a request, saying what to do.
    const second = await appendOne()
    expect(await runDue(deps)).toBe('failed')
    expect(receiver!.received).toHaveLength(1)
    expect((await store.get(second))!.lastError).toMatch(/forwarding is disabled for source github .*inhook forwarding enable github/)
    // The state is stored: another worker (a new store on the same file) sees it too.
    expect(await store.disabledForwarding()).toHaveLength(1)
    expect(await store.enableForwarding('github')).toBe(true)
    expect(await store.replay([first, second], new Date())).toBe(2)
    expect(await drain(deps, { concurrency: 2, batchSize: 10, leaseMs: 60_000 })).toMatchObject({ processed: 2 })
    expect(receiver!.received).toHaveLength(3)
  })

  it('retries a destination that does not answer within forward.timeoutMs', async () => {
    const deps = await forwardingTo((_, i) => (i === 0 ? { hang: true } : { status: 200 }), { timeoutMs: 100 })
    const id = await appendOne()
    expect(await runDue(deps)).toBe('retry')
    expect((await store.get(id))!.lastError).toMatch(/did not answer within 100 ms/)
    expect(await runDue(deps, (await store.get(id))!.nextAttemptAt)).toBe('processed')
  })

  it('retries when the destination refuses the connection, without the URL query in the error', async () => {
    const deps = await forwardingTo(() => ({}))
    await receiver!.close()
    const id = await appendOne()
    expect(await runDue(deps)).toBe('retry')
    const { lastError } = (await store.get(id))!
    expect(lastError).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+\/hooks: ECONNREFUSED/)
    expect(lastError).not.toContain('s3cret')
  })

  it('treats a redirect as permanent', async () => {
    const deps = await forwardingTo(() => ({ status: 301, headers: { location: '/elsewhere' } }))
    const id = await appendOne()
    expect(await runDue(deps)).toBe('failed')
    expect((await store.get(id))!.lastError).toMatch(/redirect to http:\/\/127\.0\.0\.1:\d+\/elsewhere/)
  })

  it('keeps at most forward.concurrency deliveries in flight for a source', async () => {
    const deps = await forwardingTo(() => ({ status: 200, delayMs: 20 }), { concurrency: 2 })
    for (let i = 0; i < 12; i++) await appendOne()
    const totals = await drain(deps, { concurrency: 8, batchSize: 8, leaseMs: 60_000 })
    expect(totals.processed).toBe(12)
    expect(receiver!.received).toHaveLength(12)
    expect(receiver!.maxInFlight).toBeLessThanOrEqual(2)
  })

  it('a source at its forwarding limit does not take the worker slots of other sources', async () => {
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    receiver = await startReceiver(async () => (await held, { status: 200 }))
    const handled: string[] = []
    const config = await resolveConfig({
      sources: { github: { provider: 'github', secret: 's', forward: { url: receiver.url, concurrency: 1 } }, stripe: { provider: 'stripe', secret: 'whsec_x' } },
      handlers: { stripe: { '*': (e: HandlerEvent) => void handled.push(e.id) } },
    })
    const worker = new Worker(createWorkerDeps(config, { store, log }), { concurrency: 2, batchSize: 2, pollMs: 10_000, leaseMs: 60_000 }).start()
    try {
      for (let i = 0; i < 4; i++) await appendOne()
      const others = []
      for (let i = 0; i < 3; i++) others.push(await appendOne({ source: 'stripe', provider: 'stripe' }))
      worker.wake()
      // github's first delivery hangs; with both slots free, the worker takes only one github event and runs stripe's.
      await waitFor(() => handled.length === 3)
      expect(receiver.received).toHaveLength(1)
      release()
      await waitFor(async () => (await store.countReplayable({ source: 'github' })).processed === 4)
      expect(receiver.maxInFlight).toBe(1)
    } finally {
      release()
      await worker.stop(1000)
    }
  })

  it('with a handler and forward, runs the handler first, then forwards; a PermanentError stops the forward', async () => {
    const order: string[] = []
    const deps = await forwardingTo(() => (order.push('forward'), { status: 200 }), {}, {
      handlers: {
        github: {
          pull_request: (event) => {
            order.push('handler')
            if (event.json<{ number: number }>().number === 8) throw new PermanentError('not this one')
          },
        },
      },
    })
    await appendOne()
    expect(await runDue(deps)).toBe('processed')
    await appendOne({ body: Buffer.from('{"number":8}') })
    expect(await runDue(deps)).toBe('failed')
    expect(order).toEqual(['handler', 'forward', 'handler'])
  })

  it('refuses a signing secret that is not whsec_<base64>, without echoing it', async () => {
    const error = await resolveConfig({ sources: { s: { provider: 'github', secret: 'x', forward: { url: 'http://127.0.0.1:1/', signingSecret: 'hunter2-plain' } } } }).catch((e: Error) => e)
    expect(String(error)).toMatch(/sources\.s\.forward\.signingSecret: expected a Standard Webhooks secret: whsec_/)
    expect(String(error)).not.toContain('hunter2')
  })
})

describe('source limits', () => {
  it('spaces starts 1/ratePerSecond apart and hands a freed place to the first waiter', async () => {
    const limits = new SourceLimits(new Map([['s', { concurrency: 1, ratePerSecond: 20 }]]))
    const starts: number[] = []
    const runs = [0, 1, 2].map(async () => {
      const release = await limits.acquire('s')
      starts.push(performance.now())
      expect(limits.saturated()).toContain('s')
      release()
    })
    await Promise.all(runs)
    expect(starts).toHaveLength(3)
    // The spacing is 50 ms; Date.now() granularity and timers firing early can shave a few ms off it.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(45)
    expect(limits.saturated()).toEqual([])
  })

  it('stops waiting when the worker stops', async () => {
    const limits = new SourceLimits(new Map([['s', { concurrency: 1 }]]))
    const held = await limits.acquire('s')
    const stop = new AbortController()
    const waiting = limits.acquire('s', stop.signal)
    stop.abort(new Error('stopping'))
    await expect(waiting).rejects.toThrow('stopping')
    held()
    expect(limits.saturated()).toEqual([])
  })
})

describe('forwarding through a running gateway', () => {
  it('forwards a verified GitHub delivery that the destination verifies with standardwebhooks', async () => {
    const receiver = await startReceiver(() => ({ status: 202, body: 'accepted' }))
    const gateway = await startTestGateway(
      { sources: { github: { provider: 'github', secret: 'gh-secret', forward: { url: `${receiver.url}/internal/github`, signingSecret: SIGNING_SECRET } } } },
      { worker: true },
    )
    try {
      const body = '{"zen":"Keep it logically awesome.","hook_id":1}'
      const signature = `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`
      const res = await gateway.send('github', { headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'd-1', 'x-hub-signature-256': signature }, body })
      expect(res.status).toBe(200)
      await waitFor(() => receiver.received.length === 1)
      const [req] = receiver.received
      expect(req!.body.toString()).toBe(body)
      expect(new Webhook(SIGNING_SECRET).verify(req!.body, req!.headers as Record<string, string>)).toEqual(JSON.parse(body))
      expect(req!.headers).toMatchObject({ 'x-github-delivery': 'd-1', 'x-hub-signature-256': signature, 'x-inhook-event-type': 'ping', 'x-forwarded-for': '127.0.0.1' })
      const [event] = (await gateway.store.list({})).items
      await waitFor(async () => (await gateway.store.get(event!.id))!.status === 'processed')
      expect((await gateway.store.attempts(event!.id))[0]).toMatchObject({ responseStatus: 202, responseBody: 'accepted' })
    } finally {
      await gateway.close()
      await receiver.close()
    }
  })
})
