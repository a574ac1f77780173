import { sign } from '@octokit/webhooks-methods'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MinuteCounter } from '../src/metrics.ts'
import { PermanentError } from '../src/worker/errors.ts'
import { startTestGateway, waitFor, type TestGateway } from './helpers/gateway.ts'

const SECRET = 'metrics-test-secret'

async function delivery(type: string, body: string, deliveryId: string) {
  return { headers: { 'content-type': 'application/json', 'x-github-event': type, 'x-github-delivery': deliveryId, 'x-hub-signature-256': await sign(SECRET, body) }, body }
}

/** The value of one sample in Prometheus text format, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3])
  }
  return undefined
}

describe('/metrics', () => {
  let gw: TestGateway
  let text: string

  beforeAll(async () => {
    gw = await startTestGateway(
      {
        worker: { maxAttempts: 1 },
        sources: {
          github: { provider: 'github', secret: SECRET, bodyLimit: 512 },
          limited: { provider: 'github', secret: SECRET, rateLimit: { perSecond: 0.01, burst: 1 } },
          private: { provider: 'github', secret: SECRET, allowIps: ['10.0.0.0/8'] },
        },
        handlers: { github: { fail: () => Promise.reject(new PermanentError('nope')) } },
      },
      { worker: true },
    )
    for (let i = 0; i < 3; i++) await gw.send('github', await delivery('push', `{"n":${i}}`, `ok-${i}`))
    await gw.send('github', await delivery('fail', '{}', 'fails'))
    await gw.send('github', await delivery('push', '{"n":0}', 'ok-0')) // duplicate
    await gw.send('github', { ...(await delivery('push', '{}', 'forged')), body: '{"tampered":true}' })
    await gw.send('github', await delivery('push', JSON.stringify({ big: 'x'.repeat(600) }), 'big'))
    await gw.send('limited', await delivery('push', '{}', 'l-1'))
    await gw.send('limited', await delivery('push', '{}', 'l-2')) // bucket empty
    await gw.send('private', await delivery('push', '{}', 'p-1'))
    await waitFor(async () => (await gw.store.countWhere({ status: 'new' })) + (await gw.store.countWhere({ status: 'processing' })) === 0)
    text = await (await fetch(`${gw.url}/metrics`)).text()
  })
  afterAll(() => gw.close())

  it.each([
    [{ source: 'github', outcome: 'accepted' }, 4],
    [{ source: 'github', outcome: 'duplicate' }, 1],
    [{ source: 'github', outcome: 'rejected', reason: 'mismatch' }, 1],
    [{ source: 'github', outcome: 'too_large', reason: 'too-large' }, 1],
    [{ source: 'limited', outcome: 'accepted' }, 1],
    [{ source: 'limited', outcome: 'rate_limited', reason: 'rate-limited' }, 1],
    [{ source: 'private', outcome: 'forbidden', reason: 'ip-not-allowed' }, 1],
  ])('counts requests by source, outcome and reason: %o', (labels, n) => {
    expect(sample(text, 'inhook_ingest_requests_total', labels)).toBe(n)
  })

  it('counts a write that cannot be committed as unavailable', async () => {
    await gw.store.close() // the database refuses writes from now on
    expect((await gw.send('github', await delivery('push', '{}', 'lost'))).status).toBe(503)
    const after = await (await fetch(`${gw.url}/metrics`)).text()
    expect(sample(after, 'inhook_ingest_requests_total', { source: 'github', outcome: 'unavailable' })).toBe(1)
  })

  it('times every acknowledged delivery', () => {
    expect(sample(text, 'inhook_ingest_duration_seconds_count', { source: 'github' })).toBe(5)
    expect(sample(text, 'inhook_ingest_duration_seconds_bucket', { source: 'github', le: '+Inf' })).toBe(5)
  })

  it('reports events by status, the queue depth and the oldest due age', () => {
    expect(sample(text, 'inhook_events', { source: 'github', status: 'processed' })).toBe(3)
    expect(sample(text, 'inhook_events', { source: 'github', status: 'failed' })).toBe(1)
    expect(sample(text, 'inhook_events', { source: 'limited', status: 'processed' })).toBe(1)
    expect(sample(text, 'inhook_queue_depth')).toBe(0)
    expect(sample(text, 'inhook_queue_oldest_due_seconds')).toBe(0)
  })

  it('times processing and counts attempts by outcome', () => {
    expect(sample(text, 'inhook_processing_attempts_total', { source: 'github', outcome: 'processed' })).toBe(3)
    expect(sample(text, 'inhook_processing_attempts_total', { source: 'github', outcome: 'failed' })).toBe(1)
    expect(sample(text, 'inhook_processing_duration_seconds_count', { source: 'github', outcome: 'processed' })).toBe(3)
    expect(sample(text, 'inhook_processing_duration_seconds_count', { source: 'github', outcome: 'failed' })).toBe(1)
  })

  it('records group-commit batch sizes', () => {
    const batches = sample(text, 'inhook_group_commit_batch_size_count')!
    const writes = sample(text, 'inhook_group_commit_batch_size_sum')!
    expect(batches).toBeGreaterThan(0)
    // Every stored delivery, claim, outcome and rejection went through the writer.
    expect(writes).toBeGreaterThanOrEqual(5 + 4 + 5)
    expect(writes).toBeGreaterThanOrEqual(batches)
  })

  it('includes the process metrics', () => {
    expect(sample(text, 'inhook_process_resident_memory_bytes')).toBeGreaterThan(0)
  })
})

describe('MinuteCounter', () => {
  it('counts per minute and totals over a window', () => {
    const counter = new MinuteCounter()
    const t0 = new Date('2025-01-01T12:00:30Z')
    counter.add(t0)
    counter.add(new Date('2025-01-01T12:00:59Z'), 2)
    counter.add(new Date('2025-01-01T11:30:00Z'))
    expect(counter.get(new Date('2025-01-01T12:00:00Z'))).toBe(3)
    expect(counter.total(t0, 1)).toBe(3)
    expect(counter.total(t0, 60)).toBe(4)
    expect(counter.total(new Date('2025-01-01T13:10:00Z'), 60)).toBe(0)
  })

  it('forgets minutes older than it keeps', () => {
    const counter = new MinuteCounter(61)
    for (let m = 0; m < 200; m++) counter.add(new Date(m * 60_000))
    expect(counter.get(new Date(0))).toBe(0)
    expect(counter.total(new Date(199 * 60_000), 61)).toBe(61)
  })
})
