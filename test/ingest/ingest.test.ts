import { sign } from '@octokit/webhooks-methods'
import Database from 'better-sqlite3'
import { request as httpRequest } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.ts'

const SECRET = 'ingest-test-secret'

async function githubDelivery(body: string | Buffer, delivery: string = crypto.randomUUID(), extra: Record<string, string> = {}) {
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': delivery,
      'x-hub-signature-256': await sign(SECRET, body.toString()),
      ...extra,
    },
    body,
  }
}

/** Sends a chunked request (no Content-Length) with raw http. */
function sendChunked(url: string, chunks: Buffer[], headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    for (const c of chunks) req.write(c)
    req.end()
  })
}

describe('ingest', () => {
  let gw: TestGateway
  beforeEach(async () => {
    gw = await startTestGateway({
      database: { busyTimeoutMs: 50 },
      sources: {
        github: { provider: 'github', secret: SECRET, bodyLimit: 1024 },
        limited: { provider: 'github', secret: SECRET, rateLimit: { perSecond: 20, burst: 2 } },
        private: { provider: 'github', secret: SECRET, allowIps: ['10.0.0.0/8', '2001:db8::/32'] },
        local: { provider: 'github', secret: SECRET, allowIps: ['127.0.0.1'] },
      },
    })
  })
  afterEach(() => gw.close())

  it('answers 200 for a valid delivery and stores the exact bytes', async () => {
    const body = Buffer.from('{"zen":"Keep it logically awesome.",  "x": "\u00e9\\u00e9" }\n')
    const res = await gw.send('github', await githubDelivery(body, 'del-1'))
    expect(res.status).toBe(200)
    const page = await gw.store.list({})
    expect(page.items).toHaveLength(1)
    const stored = await gw.store.get(page.items[0]!.id)
    expect(Buffer.compare(stored!.body, body)).toBe(0)
    expect(stored).toMatchObject({ source: 'github', provider: 'github', type: 'push', deliveryId: 'del-1', status: 'new', method: 'POST', path: '/webhooks/github' })
  })

  it('answers 404 for an unknown source', async () => {
    const res = await gw.send('nope', await githubDelivery('{}'))
    expect(res.status).toBe(404)
  })

  it('answers 405 with Allow for a method the provider does not use', async () => {
    const res = await gw.send('github', { method: 'PUT', body: '{}' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
  })

  it('answers 401 with a generic body when the signature does not match, and logs the reason', async () => {
    const delivery = await githubDelivery('{"a":1}')
    const res = await gw.send('github', { ...delivery, body: '{"a":2}' })
    expect(res.status).toBe(401)
    const text = await res.text()
    expect(text).toBe('{"error":"unauthorized"}')
    expect((await gw.store.list({})).items).toHaveLength(0)
    const log = await waitFor(async () => (await gw.store.rejections({})).at(0))
    expect(log).toMatchObject({ source: 'github', status: 401, reason: 'mismatch', clientIp: '127.0.0.1' })
    expect(JSON.stringify(log)).not.toContain(SECRET)
  })

  it.each([
    ['no signature', {}],
    ['an empty signature', { 'x-hub-signature-256': '' }],
    ['garbage', { 'x-hub-signature-256': 'sha256=' + '\u00ff'.repeat(3) }],
    ['a huge header', { 'x-hub-signature-256': 'sha256=' + 'a'.repeat(8000) }],
  ])('answers 401, never 500, for %s', async (_, headers) => {
    const res = await gw.send('github', { headers: { 'x-github-delivery': 'x', ...headers }, body: '{}' })
    expect(res.status).toBe(401)
  })

  it('stores a delivery id once: a duplicate answers 200 and is not stored again', async () => {
    const delivery = await githubDelivery('{"n":1}', 'same-id')
    expect((await gw.send('github', delivery)).status).toBe(200)
    const second = await gw.send('github', delivery)
    expect(second.status).toBe(200)
    expect(await second.json()).toEqual({ ok: true, duplicate: true })
    expect((await gw.store.list({})).items).toHaveLength(1)
  })

  it('stores concurrent duplicates once', async () => {
    const delivery = await githubDelivery('{"n":2}', 'race-id')
    const results = await Promise.all(Array.from({ length: 10 }, () => gw.send('github', delivery)))
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200))
    expect((await gw.store.list({})).items).toHaveLength(1)
  })

  it('accepts a body exactly at the limit and refuses one byte more declared by Content-Length with 413', async () => {
    const at = Buffer.alloc(1024, 'a')
    expect((await gw.send('github', await githubDelivery(at))).status).toBe(200)
    const over = Buffer.alloc(1025, 'a')
    const res = await gw.send('github', await githubDelivery(over))
    expect(res.status).toBe(413)
  })

  it('refuses a chunked body one byte over the limit with 413', async () => {
    const body = Buffer.alloc(1025, 'b')
    const { headers } = await githubDelivery(body)
    const res = await sendChunked(`${gw.url}/webhooks/github`, [body.subarray(0, 600), body.subarray(600)], headers)
    expect(res.status).toBe(413)
    expect((await gw.store.list({})).items).toHaveLength(0)
  })

  it('accepts a chunked body within the limit', async () => {
    const body = Buffer.alloc(1000, 'c')
    const { headers } = await githubDelivery(body)
    const res = await sendChunked(`${gw.url}/webhooks/github`, [body.subarray(0, 10), body.subarray(10)], headers)
    expect(res.status).toBe(200)
  })

  it('answers 429 with Retry-After when the bucket is empty, then 200 again once it refills', async () => {
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 3; i++) {
      const res = await gw.send('limited', await githubDelivery('{}'))
      statuses.push(res.status)
      if (res.status === 429) retryAfter = res.headers.get('retry-after')
    }
    expect(statuses).toEqual([200, 200, 429])
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    // 20 tokens/s: a token is back within ~50 ms.
    await waitFor(async () => (await gw.send('limited', await githubDelivery('{}'))).status === 200, { timeoutMs: 10_000, intervalMs: 25 })
  })

  it('answers 403 outside the allowlist, and ignores X-Forwarded-For without trustProxy', async () => {
    const res = await gw.send('private', await githubDelivery('{}', undefined, { 'x-forwarded-for': '10.1.2.3' }))
    expect(res.status).toBe(403)
    expect((await gw.send('local', await githubDelivery('{}'))).status).toBe(200)
  })

  it('answers 503 with Retry-After when the database is locked beyond busy_timeout, and recovers by itself', async () => {
    const other = new Database(gw.dbFile)
    other.prepare('BEGIN IMMEDIATE').run()
    try {
      const res = await gw.send('github', await githubDelivery('{"locked":true}', 'locked-1'))
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect((await fetch(`${gw.url}/readyz`)).status).toBe(503)
    } finally {
      other.prepare('ROLLBACK').run()
      other.close()
    }
    expect((await gw.send('github', await githubDelivery('{"locked":true}', 'locked-1'))).status).toBe(200)
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200)
  })

  it('answers 503, never 200, when the database is closed', async () => {
    await gw.store.close()
    const res = await gw.send('github', await githubDelivery('{}'))
    expect(res.status).toBe(503)
  })

  it('redacts authorization, cookie and proxy-authorization before storing', async () => {
    const res = await gw.send('github', await githubDelivery('{}', 'redact-1', { authorization: 'Bearer hunter2', cookie: 'session=abc' }))
    expect(res.status).toBe(200)
    const id = (await gw.store.list({})).items[0]!.id
    const headers = Object.fromEntries((await gw.store.get(id))!.headers)
    expect(headers.authorization).toBe('[redacted]')
    expect(headers.cookie).toBe('[redacted]')
    expect(headers['x-github-event']).toBe('push')
  })
})

describe('ingest behind a proxy', () => {
  it('uses X-Forwarded-For only when trustProxy is set', async () => {
    const gw = await startTestGateway({ server: { trustProxy: true }, sources: { private: { provider: 'github', secret: SECRET, allowIps: ['10.0.0.0/8'] } } })
    try {
      expect((await gw.send('private', await githubDelivery('{}', undefined, { 'x-forwarded-for': '10.1.2.3' }))).status).toBe(200)
      expect((await gw.send('private', await githubDelivery('{}', undefined, { 'x-forwarded-for': '10.1.2.3, 192.0.2.7' }))).status).toBe(403)
    } finally {
      await gw.close()
    }
  })
})
