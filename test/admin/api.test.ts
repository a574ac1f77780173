import { sign } from '@octokit/webhooks-methods'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdminApi } from '../../src/admin/api.ts'
import { PermanentError } from '../../src/worker/errors.ts'
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.ts'

const SECRET = 'api-test-github-secret'
const OTHER_SECRET = 'api-test-other-secret'
const TOKEN = 'api-test-admin-token-0123456789'

async function delivery(secret: string, type: string, body: string | Buffer, deliveryId: string, extra: Record<string, string> = {}) {
  return {
    headers: { 'content-type': 'application/json', 'x-github-event': type, 'x-github-delivery': deliveryId, 'x-hub-signature-256': await sign(secret, body.toString('latin1')), ...extra },
    body,
  }
}

/** GitHub signs the exact bytes; webhooks-methods signs a string, so binary bodies are signed by hand. */
async function binaryDelivery(bytes: Buffer, deliveryId: string) {
  const { createHmac } = await import('node:crypto')
  return {
    headers: { 'content-type': 'application/octet-stream', 'x-github-event': 'blob', 'x-github-delivery': deliveryId, 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(bytes).digest('hex')}` },
    body: bytes,
  }
}

/** A JSON answer, loosely typed for assertions. */
const body = (res: Response): Promise<any> => res.json()

describe('admin API', () => {
  let gw: TestGateway
  const api = (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const { token = TOKEN, headers, ...rest } = init
    return fetch(`${gw.url}/api${path}`, { ...rest, headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(headers as Record<string, string>) } })
  }
  const getJson = async <T = any>(path: string): Promise<T> => {
    const res = await api(path)
    expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200)
    return (await res.json()) as T
  }
  const settled = async () => waitFor(async () => (await gw.store.countWhere({ status: 'new' })) + (await gw.store.countWhere({ status: 'processing' })) === 0)

  beforeAll(async () => {
    gw = await startTestGateway(
      {
        admin: { token: TOKEN },
        worker: { maxAttempts: 1 },
        sources: { github: { provider: 'github', secret: SECRET }, other: { provider: 'github', secret: OTHER_SECRET } },
        handlers: {
          github: {
            '*': (event) => {
              if (event.type === 'boom') throw new PermanentError('downstream answered 500')
            },
          },
        },
      },
      { worker: true },
    )
    for (let i = 0; i < 6; i++) expect((await gw.send('github', await delivery(SECRET, 'push', `{"n":${i}}`, `gh-push-${i}`))).status).toBe(200)
    for (let i = 0; i < 2; i++) expect((await gw.send('github', await delivery(SECRET, 'boom', `{"boom":${i}}`, `gh-boom-${i}`))).status).toBe(200)
    expect((await gw.send('github', await delivery(SECRET, 'issues', '{"action":"opened","title":"é ✓"}', 'gh-issue-1', { authorization: 'Basic c2VjcmV0LXVzZXI6aHVudGVyMg==' }))).status).toBe(200)
    expect((await gw.send('github', await binaryDelivery(Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x0a]), 'gh-binary'))).status).toBe(200)
    expect((await gw.send('other', await delivery(OTHER_SECRET, 'push', '{"other":true}', 'other-1'))).status).toBe(200)
    // A duplicate and two refusals.
    expect((await gw.send('github', await delivery(SECRET, 'push', '{"n":0}', 'gh-push-0'))).status).toBe(200)
    expect((await gw.send('github', await delivery('not-the-secret', 'push', '{}', 'forged'))).status).toBe(401)
    expect((await gw.send('other', { headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401)
    await settled()
  })
  afterAll(() => gw.close())

  describe('authentication', () => {
    it('answers 401 with no detail without a token', async () => {
      const res = await api('/events', { token: null })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
      expect(await res.text()).toBe('{"error":"unauthorized"}')
    })

    it.each([
      ['a wrong token of the same length', TOKEN.replace(/.$/, 'X')],
      ['a prefix of the token', TOKEN.slice(0, 10)],
      ['the token with a suffix', `${TOKEN}x`],
      ['the provider secret', SECRET],
    ])('answers 401 for %s', async (_, token) => {
      const res = await api('/stats', { token })
      expect(res.status).toBe(401)
      expect(await res.text()).toBe('{"error":"unauthorized"}')
    })

    it('accepts the token only as a bearer header, not in the query or a cookie', async () => {
      expect((await api(`/events?token=${TOKEN}`, { token: null })).status).toBe(401)
      expect((await api('/events', { token: null, headers: { cookie: `token=${TOKEN}`, authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` } })).status).toBe(401)
      expect((await api('/events', { headers: { authorization: `bearer   ${TOKEN}` }, token: null })).status).toBe(200)
    })

    it('guards every route, including unknown ones and replays', async () => {
      for (const [method, path] of [['GET', '/events/1'], ['GET', '/events/1/body'], ['POST', '/events/1/replay'], ['POST', '/events/replay'], ['GET', '/rejections'], ['GET', '/nope']] as const)
        expect((await api(path, { method, token: null })).status, `${method} ${path}`).toBe(401)
    })

    it('never accepts a signed provider delivery', async () => {
      const signed = await delivery(SECRET, 'push', '{"status":"failed"}', 'to-the-api')
      const res = await fetch(`${gw.url}/api/events/replay`, { method: 'POST', headers: signed.headers, body: signed.body })
      expect(res.status).toBe(401)
    })

    it('is not accepted on the ingest path', async () => {
      const before = (await gw.store.list({ limit: 500 })).items.length
      const attempts: Record<string, string>[] = [{ authorization: `Bearer ${TOKEN}` }, { 'x-hub-signature-256': TOKEN }, { 'x-hub-signature-256': `sha256=${TOKEN}`, authorization: `Bearer ${TOKEN}` }]
      for (const headers of attempts) {
        const res = await gw.send('github', { headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers }, body: '{}' })
        expect(res.status).toBe(401)
      }
      expect((await gw.store.list({ limit: 500 })).items.length).toBe(before)
    })
  })

  describe('GET /api/events', () => {
    it('lists newest first, without bodies', async () => {
      const page = await getJson('/events')
      expect(page.items).toHaveLength(11)
      const ids = page.items.map((e: { id: string }) => Number(e.id))
      expect(ids).toEqual([...ids].sort((a, b) => b - a))
      expect(page.items[0]).not.toHaveProperty('body')
      expect(page.items[0]).not.toHaveProperty('headers')
      expect(page.items[0]).toMatchObject({ source: 'other', deliveryId: 'other-1', type: 'push', status: 'processed', bodyBytes: 14 })
      expect(page.items[0].receivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
      expect(page.nextCursor).toBeUndefined()
    })

    it.each([
      ['source=other', 1],
      ['source=github', 10],
      ['status=failed', 2],
      ['status=processed', 9],
      ['type=boom', 2],
      ['type=push&source=github', 6],
      ['q=gh-push', 6],
      ['q=ssu', 1],
      ['source=github&status=failed&q=boom-1', 1],
      ['source=nope', 0],
      ['since=1h', 11],
      ['since=2099-01-01T00:00:00Z', 0],
      ['until=2000-01-01', 0],
      ['until=2099-01-01', 11],
    ])('filters by %s', async (query, count) => {
      const page = await getJson(`/events?${query}`)
      expect(page.items).toHaveLength(count)
    })

    it('pages with a cursor until the last page, each event once', async () => {
      const seen: string[] = []
      let cursor: string | undefined
      for (let pages = 0; pages < 10; pages++) {
        const page = await getJson(`/events?limit=4${cursor ? `&cursor=${cursor}` : ''}`)
        seen.push(...page.items.map((e: { id: string }) => e.id))
        cursor = page.nextCursor
        if (!cursor) break
        expect(page.items).toHaveLength(4)
      }
      expect(cursor).toBeUndefined()
      expect(seen).toHaveLength(11)
      expect(new Set(seen).size).toBe(11)
      expect(seen.map(Number)).toEqual(seen.map(Number).sort((a, b) => b - a))
    })

    it.each([
      ['limit=501', /^limit: .*500/],
      ['limit=0', /^limit: /],
      ['limit=ten', /^limit: /],
      ['cursor=abc', /^cursor: expected the nextCursor/],
      ['status=done', /^status: /],
      ['since=yesterday', /^since: expected an ISO 8601 date/],
      ['until=12', /^until: /],
    ])('answers 400 with the validation message for %s', async (query, message) => {
      const res = await api(`/events?${query}`)
      expect(res.status).toBe(400)
      expect((await body(res)).error).toMatch(message)
    })
  })

  describe('GET /api/events/:id', () => {
    const idOf = async (deliveryId: string) => (await gw.store.list({ q: deliveryId })).items[0]!.id

    it('returns metadata, redacted headers, the body as UTF-8 text and the attempts', async () => {
      const id = await idOf('gh-issue-1')
      const event = await getJson(`/events/${id}`)
      expect(event).toMatchObject({ id, source: 'github', type: 'issues', deliveryId: 'gh-issue-1', status: 'processed', bodyEncoding: 'utf8', body: '{"action":"opened","title":"é ✓"}', contentType: 'application/json' })
      expect(event.headers).toContainEqual(['authorization', '[redacted]'])
      expect(event.headers).toContainEqual(['x-github-event', 'issues'])
      expect(JSON.stringify(event)).not.toContain('c2VjcmV0LXVzZXI6aHVudGVyMg')
      expect(event.history).toHaveLength(1)
      expect(event.history[0]).toMatchObject({ attempt: 1, outcome: 'processed', error: null })
    })

    it('returns a binary body as base64', async () => {
      const event = await getJson(`/events/${await idOf('gh-binary')}`)
      expect(event.bodyEncoding).toBe('base64')
      expect(Buffer.from(event.body, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x0a]))
    })

    it('shows the error of a failed attempt', async () => {
      const event = await getJson(`/events/${await idOf('gh-boom-0')}`)
      expect(event.status).toBe('failed')
      expect(event.lastError).toContain('downstream answered 500')
      expect(event.history[0]).toMatchObject({ outcome: 'failed', error: expect.stringContaining('downstream answered 500') })
    })

    it.each(['999999', 'abc', '0', '-1', '1.5', '1e3', '%00'])('answers 404 for the unknown id %s', async (id) => {
      for (const path of [`/events/${id}`, `/events/${id}/body`]) {
        const res = await api(path)
        expect(res.status, path).toBe(404)
        expect((await body(res)).error).toMatch(/no event with id/)
      }
    })
  })

  describe('GET /api/events/:id/body', () => {
    it('returns the exact bytes with the original content type', async () => {
      const id = (await gw.store.list({ q: 'gh-binary' })).items[0]!.id
      const res = await api(`/events/${id}/body`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('application/octet-stream')
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x0a]))
    })

    it('serves a JSON body as JSON, byte for byte, and never as something a browser runs', async () => {
      const id = (await gw.store.list({ q: 'gh-issue-1' })).items[0]!.id
      const res = await api(`/events/${id}/body`)
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('content-security-policy')).toContain('sandbox')
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from('{"action":"opened","title":"é ✓"}'))
    })
  })

  describe('replay', () => {
    it('replays one failed event, which then runs again', async () => {
      const id = (await gw.store.list({ q: 'gh-boom-0' })).items[0]!.id
      const res = await api(`/events/${id}/replay`, { method: 'POST' })
      expect(res.status).toBe(200)
      expect(await body(res)).toEqual({ replayed: 1 })
      const event = await waitFor(async () => {
        const e = await getJson(`/events/${id}`)
        return e.status === 'failed' && e.history.length === 3 ? e : undefined
      })
      expect(event.history.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'replayed', 'failed'])
    })

    it('answers 404 for an unknown event and 409 for one not finished', async () => {
      expect((await api('/events/999999/replay', { method: 'POST' })).status).toBe(404)
      const idle = await startTestGateway({ admin: { token: TOKEN }, sources: { github: { provider: 'github', secret: SECRET } } })
      try {
        await idle.send('github', await delivery(SECRET, 'push', '{}', 'waiting'))
        const id = (await idle.store.list({})).items[0]!.id
        const res = await fetch(`${idle.url}/api/events/${id}/replay`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
        expect(res.status).toBe(409)
        expect((await body(res)).error).toMatch(/is new/)
      } finally {
        await idle.close()
      }
    })

    it('replays by filter and returns the count', async () => {
      const res = await api('/events/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'github', type: 'boom' }) })
      expect(res.status).toBe(200)
      expect(await body(res)).toEqual({ replayed: 2 })
      await settled()
      expect((await gw.store.list({ type: 'boom', status: 'failed' })).items).toHaveLength(2)
    })

    it('answers 503 when the database cannot take the write', async () => {
      const idle = await startTestGateway({ admin: { token: TOKEN }, sources: { github: { provider: 'github', secret: SECRET } } })
      try {
        await idle.send('github', await delivery(SECRET, 'push', '{}', 'stored-before'))
        const id = (await idle.store.list({})).items[0]!.id
        idle.store.writer.close()
        const res = await fetch(`${idle.url}/api/events/${id}/replay`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
        expect(res.status).toBe(503)
        expect(res.headers.get('retry-after')).toBe('5')
      } finally {
        await idle.close()
      }
    })

    it('answers 413 for an oversized request body', async () => {
      const res = await api('/events/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ q: 'x'.repeat(100_000) }) })
      expect(res.status).toBe(413)
    })

    it.each([
      ['no filter', '{}', /at least one filter/],
      ['an invalid status', '{"status":"done"}', /^status: /],
      ['malformed JSON', '{"source":', /malformed JSON/i],
      ['an invalid since', '{"since":"last week"}', /^since: /],
    ])('answers 400 for a filter replay with %s', async (_, filter, message) => {
      const res = await api('/events/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: filter })
      expect(res.status).toBe(400)
      expect((await body(res)).error).toMatch(message)
    })
  })

  describe('GET /api/stats', () => {
    it('counts by source and status, and rates over the last minute and hour', async () => {
      const stats = await getJson('/stats')
      expect(stats.bySourceStatus).toEqual(
        expect.arrayContaining([
          { source: 'github', status: 'processed', count: 8 },
          { source: 'github', status: 'failed', count: 2 },
          { source: 'other', status: 'processed', count: 1 },
        ]),
      )
      expect(stats.queueDepth).toBe(0)
      expect(stats.oldestDueSeconds).toBe(0)
      expect(stats.rates.ingest).toEqual({ lastMinute: 11, lastHour: 11 })
      expect(stats.rates.duplicates).toEqual({ lastMinute: 1, lastHour: 1 })
      expect(stats.rates.rejected.lastHour).toBeGreaterThanOrEqual(2)
      expect(stats.rates.processing.lastHour).toBe(11)
      expect(stats.rates.failed.lastHour).toBe(2)
      expect(stats.rates.ingestPerSecond.lastMinute).toBeCloseTo(11 / 60)
    })

    it('reports the queue of a gateway whose worker is off', async () => {
      const idle = await startTestGateway({ admin: { token: TOKEN }, sources: { github: { provider: 'github', secret: SECRET } } })
      try {
        for (let i = 0; i < 3; i++) await idle.send('github', await delivery(SECRET, 'push', '{}', `queued-${i}`))
        const stats = await body(await fetch(`${idle.url}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } }))
        expect(stats.queueDepth).toBe(3)
        expect(stats.oldestDueSeconds).toBeGreaterThanOrEqual(0)
        expect(stats.bySourceStatus).toEqual([{ source: 'github', status: 'new', count: 3 }])
      } finally {
        await idle.close()
      }
    })
  })

  describe('GET /api/rejections', () => {
    it('lists refused requests with reason and hint, newest first, never a body', async () => {
      const { items } = await getJson('/rejections')
      expect(items.length).toBeGreaterThanOrEqual(2)
      const forged = items.find((r: { source: string; reason: string }) => r.source === 'github' && r.reason === 'mismatch')
      expect(forged).toMatchObject({ status: 401, clientIp: '127.0.0.1' })
      expect(Object.keys(forged).sort()).toEqual(['at', 'clientIp', 'hint', 'reason', 'source', 'status'])
      const times = items.map((r: { at: string }) => Date.parse(r.at))
      expect(times).toEqual([...times].sort((a, b) => b - a))
    })

    it('filters by source and limits', async () => {
      const { items } = await getJson('/rejections?source=other')
      expect(items).toEqual([expect.objectContaining({ source: 'other', reason: 'missing-signature' })])
      expect((await getJson('/rejections?limit=1')).items).toHaveLength(1)
      expect((await api('/rejections?limit=501')).status).toBe(400)
    })
  })

  describe('GET /api/openapi.json', () => {
    it('describes every route of the API from the schemas that validate them', async () => {
      const res = await fetch(`${gw.url}/api/openapi.json`)
      expect(res.status).toBe(200)
      const doc = await body(res)
      expect(doc.openapi).toMatch(/^3\./)
      expect(doc.servers).toEqual([{ url: '/api' }])
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
      const api = createAdminApi({ config: gw.config, store: gw.store, log: gw.log, metrics: gw.metrics, adminToken: TOKEN })
      const served = api.routes.filter((r) => r.method !== 'ALL' && r.path !== '/openapi.json').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`)
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      expect(documented.sort()).toEqual([...new Set(served)].sort())
      expect(documented).toHaveLength(7)
      const limit = doc.paths['/events'].get.parameters.find((p: { name: string }) => p.name === 'limit')
      expect(limit).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } })
      const status = doc.paths['/events'].get.parameters.find((p: { name: string }) => p.name === 'status')
      expect(status.schema.enum).toEqual(['new', 'processing', 'processed', 'failed'])
      expect(doc.paths['/events/replay'].post.requestBody.content['application/json'].schema).toBeDefined()
      expect(doc.paths['/events/{id}'].get.security).toEqual([{ bearer: [] }])
    })
  })
})
