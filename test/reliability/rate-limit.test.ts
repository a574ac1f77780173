// It keeps answering: a flood against one source (or from one client address) gets 429 with
// Retry-After while another source, or another client, keeps getting 200s. The token bucket policy
// is a pure function of time, tested as a table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyedBuckets, TokenBucket } from '../../src/ingest/rate-limit.ts'
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts'
import { githubDelivery } from '../helpers/wire.ts'

const SECRET = 'rate-limit-secret'

describe('TokenBucket', () => {
  it.each([
    { case: 'a full bucket allows a burst, then asks to wait', perSecond: 1, burst: 2, at: [0, 0, 0], waits: [0, 0, 1] },
    { case: 'one token comes back after 1/perSecond', perSecond: 1, burst: 2, at: [0, 0, 1000], waits: [0, 0, 0] },
    { case: 'half a token is not a token', perSecond: 1, burst: 2, at: [0, 0, 500], waits: [0, 0, 1] },
    { case: 'the wait is rounded up to whole seconds', perSecond: 0.25, burst: 1, at: [0, 0], waits: [0, 4] },
    { case: 'a fast rate still answers at least 1 s', perSecond: 100, burst: 1, at: [0, 0], waits: [0, 1] },
    { case: 'refill never exceeds the burst', perSecond: 10, burst: 2, at: [0, 60_000, 60_000, 60_000], waits: [0, 0, 0, 1] },
    { case: 'a clock going backwards adds nothing', perSecond: 1, burst: 1, at: [5000, 0, 0], waits: [0, 1, 1] },
    { case: 'refused takes cost nothing', perSecond: 1, burst: 1, at: [0, 100, 200, 300, 1000], waits: [0, 1, 1, 1, 0] },
  ])('$case', ({ perSecond, burst, at, waits }) => {
    const bucket = new TokenBucket({ perSecond, burst }, at[0]!)
    expect(at.map((t) => bucket.take(t))).toEqual(waits)
  })

  it.each([
    { perSecond: 1, burst: 3, takes: 3, afterMs: 2999, full: false },
    { perSecond: 1, burst: 3, takes: 3, afterMs: 3000, full: true },
    { perSecond: 5, burst: 1, takes: 1, afterMs: 200, full: true },
  ])('isFull after $takes takes and $afterMs ms (burst $burst at $perSecond/s) is $full', ({ perSecond, burst, takes, afterMs, full }) => {
    const bucket = new TokenBucket({ perSecond, burst }, 0)
    for (let i = 0; i < takes; i++) bucket.take(0)
    expect(bucket.isFull(afterMs)).toBe(full)
  })
})

describe('KeyedBuckets', () => {
  it('keeps one bucket per key', () => {
    const buckets = new KeyedBuckets({ perSecond: 1, burst: 1 })
    expect([buckets.take('a', 0), buckets.take('a', 0), buckets.take('b', 0)]).toEqual([0, 1, 0])
  })

  it('stays bounded when a flood comes from ever new addresses', () => {
    const buckets = new KeyedBuckets({ perSecond: 1, burst: 5 }, 100)
    for (let i = 0; i < 10_000; i++) buckets.take(`198.51.${i >> 8}.${i & 255}`, i)
    expect(buckets.size).toBeLessThanOrEqual(100)
  })
})

describe('a flood over HTTP', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startTestGateway({
      server: { trustProxy: true },
      sources: {
        flooded: { provider: 'github', secret: SECRET, rateLimit: { perSecond: 20, burst: 20 } },
        steady: { provider: 'github', secret: SECRET, rateLimit: { perSecond: 50, burst: 10 } },
        perip: { provider: 'github', secret: SECRET, rateLimit: { perSecond: 10_000, perIp: { perSecond: 0.1, burst: 5 } } },
      },
    })
  })
  afterAll(() => gw.close())

  it('answers 429 with Retry-After to the flooded source while another source keeps getting 200', async () => {
    const started = Date.now()
    const flood = Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        const res = await gw.send('flooded', await githubDelivery(SECRET, `{"i":${i}}`, `flood-${i}`))
        return { status: res.status, retryAfter: res.headers.get('retry-after') }
      }),
    )
    const steady: number[] = []
    for (let i = 0; i < 10; i++) steady.push((await gw.send('steady', await githubDelivery(SECRET, `{"i":${i}}`, `steady-${i}`))).status)
    const answers = await flood
    const elapsedSeconds = (Date.now() - started) / 1000

    expect(steady).toEqual(Array(10).fill(200))
    const limited = answers.filter((a) => a.status === 429)
    const accepted = answers.filter((a) => a.status === 200)
    expect(limited.length + accepted.length).toBe(answers.length)
    expect(limited.length).toBeGreaterThan(0)
    expect(limited.every((a) => Number(a.retryAfter) >= 1)).toBe(true)
    // Never more than the bucket allows: the burst, plus what refilled while the flood lasted.
    expect(accepted.length).toBeLessThanOrEqual(20 + Math.ceil(20 * elapsedSeconds))
    expect(await gw.store.countWhere({ source: 'flooded' })).toBe(accepted.length)
  })

  it('limits per client address: a flood from one address does not starve another (trustProxy)', async () => {
    const from = (ip: string, i: number) => githubDelivery(SECRET, `{"i":${i}}`, `${ip}-${i}`, { 'x-forwarded-for': ip })
    const started = Date.now()
    const flood = await Promise.all(Array.from({ length: 50 }, async (_, i) => (await gw.send('perip', await from('198.51.100.7', i))).status))
    const other = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await gw.send('perip', await from('203.0.113.9', i))).status))
    expect(flood.filter((s) => s === 429).length).toBeGreaterThan(0)
    expect(flood.filter((s) => s === 200).length).toBeLessThanOrEqual(5 + Math.ceil(0.1 * ((Date.now() - started) / 1000)))
    expect(other).toEqual(Array(5).fill(200))
  })
})
